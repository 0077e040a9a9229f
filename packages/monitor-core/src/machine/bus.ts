// Physical address decoding for everything that is neither ROM nor RAM (the CPU calls
// mmioRead/mmioWrite for those, docs/cpu-core.md). Unassigned addresses read 0 and ignore
// writes, as on QEMU virt.

import type { Mmio } from './hart.ts';
import type { MmioDevice } from './devices/mmio-device.ts';

export class Bus implements Mmio {
  private devices: MmioDevice[] = [];
  /** The last device hit: device accesses come in runs (UART polling, virtio setup). */
  private last: MmioDevice | null = null;

  add(device: MmioDevice): void {
    for (const d of this.devices) {
      if (device.base < d.base + d.size && d.base < device.base + device.size) {
        throw new Error(`${device.name} at 0x${device.base.toString(16)} overlaps ${d.name}`);
      }
    }
    this.devices.push(device);
  }

  reset(): void {
    for (const d of this.devices) d.reset();
  }

  private find(addr: number): MmioDevice | null {
    const l = this.last;
    if (l && addr >= l.base && addr < l.base + l.size) return l;
    for (const d of this.devices) {
      if (addr >= d.base && addr < d.base + d.size) return (this.last = d);
    }
    return null;
  }

  read(addr: number, size: number): number {
    const d = this.find(addr);
    return d ? d.read(addr - d.base, size) : 0;
  }

  write(addr: number, size: number, value: number): void {
    const d = this.find(addr);
    if (d) d.write(addr - d.base, size, value);
  }
}
