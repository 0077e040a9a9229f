// SiFive test finisher, the syscon QEMU virt exposes at 0x10_0000: a 32-bit write of 0x5555
// powers off, 0x7777 resets, 0x3333 | code << 16 reports a failure (Linux reaches it through
// syscon-poweroff / syscon-reboot in the DTB).

import { Termination } from '@colinux/protocol';
import type { MmioDevice, Plain } from './mmio-device.ts';
import { type Placement } from '../memory-map.ts';

export type Terminate = (reason: Termination, text?: string) => void;

export class TestFinisher implements MmioDevice {
  readonly name = 'test-finisher';
  readonly base: number;
  readonly size: number;
  private readonly terminate: Terminate;

  constructor(place: Placement, terminate: Terminate) {
    ({ base: this.base, size: this.size } = place);
    this.terminate = terminate;
  }

  reset(): void {}

  /** Stateless: a write acts at once. */
  save(): Plain {
    return {};
  }

  restore(): void {}

  read(): number {
    return 0;
  }

  write(offset: number, _size: number, value: number): void {
    if (offset !== 0) return;
    const kind = value & 0xffff;
    if (kind === 0x5555) this.terminate(Termination.POWEROFF);
    else if (kind === 0x7777) this.terminate(Termination.REBOOT);
    // A failing bare-metal test: HALT, with the exit code in the text.
    else if (kind === 0x3333) this.terminate(Termination.HALT, `test finisher: fail code ${value >>> 16}`);
  }
}
