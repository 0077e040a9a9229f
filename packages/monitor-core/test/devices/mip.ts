// The hart's host-driven mip bits as a plain bit set, for device tests without a CPU.

import type { HartInterrupts } from '../../src/machine/devices/mmio-device.ts';

export class MipBits implements HartInterrupts {
  mip = 0;
  setPending(mask: number): void {
    this.mip |= mask;
  }
  clearPending(mask: number): void {
    this.mip &= ~mask;
  }
}
