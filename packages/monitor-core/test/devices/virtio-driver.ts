// A minimal virtio-mmio driver for device tests: plain RAM (no CPU), the real transport and
// device models, and the driver's side of the split ring written by hand (virtio 1.2 §2.7),
// including the malformed rings a hostile guest could build.

import { GuestRam } from '../../src/machine/guest-ram.ts';
import { BOARD, RAM_BASE } from '../../src/machine/memory-map.ts';
import { VirtioMmio } from '../../src/machine/devices/virtio/mmio.ts';
import type { VirtioDevice } from '../../src/machine/devices/virtio/virtio-device.ts';
import type { IrqLine } from '../../src/machine/devices/mmio-device.ts';
import * as R from '../../src/machine/devices/virtio/mmio-registers.ts';

export const RAM_SIZE = 4 * 1024 * 1024;
export const F_NEXT = 1;
export const F_WRITE = 2;
export const F_INDIRECT = 4;
export const STATUS_NEEDS_RESET = R.VIRTIO_CONFIG_S_NEEDS_RESET;
/** Data buffers live from here up; queue areas below. */
export const DATA = RAM_BASE + 0x10_0000;

export class Irq implements IrqLine {
  level = false;
  raised = 0;
  set(level: boolean): void {
    if (level && !this.level) this.raised++;
    this.level = level;
  }
}

export class TestDriver {
  readonly ram: GuestRam;
  readonly irq = new Irq();
  readonly transport: VirtioMmio;
  readonly logs: string[] = [];
  private readonly avail: number[] = [];
  private readonly used: number[] = [];
  private readonly lastUsed: number[] = [];
  private readonly sizes: number[] = [];

  constructor(device: VirtioDevice) {
    this.ram = new GuestRam(new ArrayBuffer(RAM_SIZE), 0, RAM_SIZE);
    this.transport = new VirtioMmio(BOARD.virtio(0), this.ram, this.irq, device, (m) => this.logs.push(m));
  }

  /** Take over `other`'s guest RAM and ring bookkeeping: the driver's side of a VM whose
   *  devices are restored from a save() into new objects. */
  adopt(other: TestDriver): void {
    this.ram.bytes.set(other.ram.bytes);
    for (const [mine, theirs] of [
      [this.avail, other.avail],
      [this.used, other.used],
      [this.lastUsed, other.lastUsed],
      [this.sizes, other.sizes],
    ] as const) {
      mine.splice(0, mine.length, ...theirs);
    }
  }

  reg(offset: number): number {
    return this.transport.read(offset, 4);
  }
  setReg(offset: number, v: number): void {
    this.transport.write(offset, 4, v);
  }

  /** ACKNOWLEDGE, DRIVER, features (VERSION_1 + `low`), FEATURES_OK, queues, DRIVER_OK. */
  init(low = 0, queueSize = 16): void {
    this.setReg(R.VIRTIO_MMIO_STATUS, 0);
    const {
      VIRTIO_CONFIG_S_ACKNOWLEDGE: ACK,
      VIRTIO_CONFIG_S_DRIVER: DRIVER,
      VIRTIO_CONFIG_S_FEATURES_OK: FEATURES_OK,
      VIRTIO_CONFIG_S_DRIVER_OK: DRIVER_OK,
    } = R;
    this.setReg(R.VIRTIO_MMIO_STATUS, ACK | DRIVER);
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES, low);
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES, 1);
    this.setReg(R.VIRTIO_MMIO_STATUS, ACK | DRIVER | FEATURES_OK);
    for (let q = 0; q < this.transport.queues.length; q++) this.setupQueue(q, queueSize);
    this.setReg(R.VIRTIO_MMIO_STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  }

  descAddr(q: number): number {
    return RAM_BASE + 0x1_0000 * q;
  }

  setupQueue(q: number, size: number, desc = this.descAddr(q), avail = desc + 0x4000, used = desc + 0x8000): void {
    this.setReg(R.VIRTIO_MMIO_QUEUE_SEL, q);
    this.setReg(R.VIRTIO_MMIO_QUEUE_NUM, size);
    this.setReg(R.VIRTIO_MMIO_QUEUE_DESC_LOW, desc % 0x1_0000_0000);
    this.setReg(R.VIRTIO_MMIO_QUEUE_DESC_HIGH, Math.floor(desc / 0x1_0000_0000));
    this.setReg(R.VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail % 0x1_0000_0000);
    this.setReg(R.VIRTIO_MMIO_QUEUE_AVAIL_HIGH, Math.floor(avail / 0x1_0000_0000));
    this.setReg(R.VIRTIO_MMIO_QUEUE_USED_LOW, used % 0x1_0000_0000);
    this.setReg(R.VIRTIO_MMIO_QUEUE_USED_HIGH, Math.floor(used / 0x1_0000_0000));
    // A fresh ring, as a driver allocates it: flags and idx of both rings zero (§2.7.6, §2.7.8).
    // (Hostile layouts outside RAM are left to the transport to refuse.)
    for (const ring of [avail, used]) if (ring >= RAM_BASE && ring + 4 <= RAM_BASE + RAM_SIZE) this.ram.write32(ring, 0);
    this.setReg(R.VIRTIO_MMIO_QUEUE_READY, 1);
    this.sizes[q] = size;
    this.avail[q] = avail;
    this.used[q] = used;
    this.lastUsed[q] = 0;
  }

  /** Write descriptor `i` of queue `q` (or of a table at `table`). */
  desc(q: number, i: number, addr: number, len: number, flags = 0, next = 0, table = this.descAddr(q)): void {
    const d = table + 16 * i - RAM_BASE;
    const v = this.ram.view;
    v.setUint32(d, addr % 0x1_0000_0000, true);
    v.setUint32(d + 4, Math.floor(addr / 0x1_0000_0000), true);
    v.setUint32(d + 8, len, true);
    v.setUint16(d + 12, flags, true);
    v.setUint16(d + 14, next, true);
  }

  /** Make chain `head` available and kick the queue. */
  offer(q: number, head: number, kick = true): void {
    const a = this.avail[q]!;
    const idx = this.ram.read16(a + 2);
    this.ram.write16(a + 4 + 2 * (idx % this.sizes[q]!), head);
    this.ram.write16(a + 2, (idx + 1) & 0xffff);
    if (kick) this.setReg(R.VIRTIO_MMIO_QUEUE_NOTIFY, q);
  }

  /** Set avail.idx directly (for the "runs ahead" attack). */
  setAvailIdx(q: number, idx: number): void {
    this.ram.write16(this.avail[q]! + 2, idx);
  }

  /** Used entries added since the last call. */
  takeUsed(q: number): Array<{ id: number; len: number }> {
    const u = this.used[q]!;
    const idx = this.ram.read16(u + 2);
    const out: Array<{ id: number; len: number }> = [];
    while (this.lastUsed[q] !== idx) {
      const slot = u + 4 + 8 * (this.lastUsed[q]! % this.sizes[q]!);
      out.push({ id: this.ram.read32(slot), len: this.ram.read32(slot + 4) });
      this.lastUsed[q] = (this.lastUsed[q]! + 1) & 0xffff;
    }
    return out;
  }

  put(addr: number, bytes: Uint8Array | string): void {
    this.ram.slice(addr, bytes.length).set(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  }

  get(addr: number, len: number): Uint8Array {
    return this.ram.slice(addr, len).slice();
  }

  get needsReset(): boolean {
    return (this.reg(R.VIRTIO_MMIO_STATUS) & STATUS_NEEDS_RESET) !== 0;
  }
}
