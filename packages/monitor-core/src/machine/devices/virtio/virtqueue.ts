// Split virtqueue, device side (virtio 1.2 §2.7). Every descriptor the driver hands us is
// checked before use: index in range, chain no longer than the queue (loop detection), buffers
// inside guest RAM, readable before writable, indirect tables well formed (§2.7.5.3.1). A
// violation throws VirtqueueError; the transport then sets DEVICE_NEEDS_RESET (§2.1.2) instead
// of letting a malicious guest crash or hang the host.

import type { GuestRam } from '../../guest-ram.ts';

export class VirtqueueError extends Error {}

const DESC_F_NEXT = 1;
const DESC_F_WRITE = 2;
const DESC_F_INDIRECT = 4;
const DESC_SIZE = 16;
/** Bounds the work one kick can cause (queues are at most 256 entries): Linux drivers use far
 *  fewer segments per request (virtio-blk seg_max 126, 9p about msize/4096). */
const MAX_INDIRECT = 4096;

/** One buffer of a chain: an offset into `ram.bytes` that has passed the bounds check. */
export interface Segment {
  off: number;
  len: number;
}

export interface Chain {
  head: number;
  readable: Segment[];
  writable: Segment[];
  readableLength: number;
  writableLength: number;
}

/** A queue's state as plain data (save/restore, virtio-device.ts). */
export type VirtqueueState = {
  size: number;
  ready: boolean;
  descAddr: number;
  availAddr: number;
  usedAddr: number;
  eventIdx: boolean;
  lastAvail: number;
  usedIdx: number;
  signalledUsed: number;
};

export class Virtqueue {
  readonly maxSize: number;
  size: number;
  ready = false;
  descAddr = 0;
  availAddr = 0;
  usedAddr = 0;
  /** VIRTIO_F_EVENT_IDX negotiated (§2.7.10): used_event/avail_event replace the flags. */
  eventIdx = false;
  private lastAvail = 0;
  private usedIdx = 0;
  /** used.idx when the driver was last interrupted, for vring_need_event (§2.7.7.2). */
  private signalledUsed = 0;
  private readonly ram: GuestRam;

  constructor(ram: GuestRam, maxSize: number) {
    this.ram = ram;
    this.maxSize = maxSize;
    this.size = maxSize;
  }

  reset(): void {
    this.size = this.maxSize;
    this.ready = false;
    this.descAddr = this.availAddr = this.usedAddr = 0;
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
    this.eventIdx = false;
  }

  /** QueueReady=1: the three areas must lie in RAM with their required alignment (§2.7). */
  enable(): void {
    this.checkAreas();
    this.ready = true;
    this.lastAvail = this.ram.read16(this.availAddr + 2);
    this.usedIdx = this.signalledUsed = this.ram.read16(this.usedAddr + 2);
  }

  private checkAreas(): void {
    const n = this.size;
    if (n === 0 || n > this.maxSize || (n & (n - 1)) !== 0) throw new VirtqueueError(`queue size ${n} invalid`);
    if (this.descAddr % 16 || this.availAddr % 2 || this.usedAddr % 4) throw new VirtqueueError('queue area misaligned');
    this.ram.check(this.descAddr, DESC_SIZE * n);
    this.ram.check(this.availAddr, 6 + 2 * n);
    this.ram.check(this.usedAddr, 6 + 8 * n);
  }

  save(): VirtqueueState {
    return {
      size: this.size,
      ready: this.ready,
      descAddr: this.descAddr,
      availAddr: this.availAddr,
      usedAddr: this.usedAddr,
      eventIdx: this.eventIdx,
      lastAvail: this.lastAvail,
      usedIdx: this.usedIdx,
      signalledUsed: this.signalledUsed,
    };
  }

  /** Take over a saved state; a ready queue's areas are checked as at QueueReady. */
  restore(state: VirtqueueState): void {
    ({
      size: this.size,
      ready: this.ready,
      descAddr: this.descAddr,
      availAddr: this.availAddr,
      usedAddr: this.usedAddr,
      eventIdx: this.eventIdx,
      lastAvail: this.lastAvail,
      usedIdx: this.usedIdx,
      signalledUsed: this.signalledUsed,
    } = state);
    if (this.ready) this.checkAreas();
  }

  /** Chains the driver made available that we have not taken yet. */
  available(): number {
    if (!this.ready) return 0;
    const pending = (this.ram.read16(this.availAddr + 2) - this.lastAvail) & 0xffff;
    if (pending > this.size) throw new VirtqueueError(`avail.idx ran ${pending} entries ahead of a ${this.size}-entry queue`);
    return pending;
  }

  /** Take the next available chain, or null when there is none. */
  pop(): Chain | null {
    if (this.available() === 0) return null;
    const head = this.ram.read16(this.availAddr + 4 + 2 * (this.lastAvail % this.size));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    // avail_event: kick us as soon as anything beyond what we have taken is added. The guest
    // is stopped while a device runs, so this cannot race with the driver's check.
    if (this.eventIdx) this.ram.write16(this.usedAddr + 4 + 8 * this.size, this.lastAvail);
    return this.walk(head);
  }

  private walk(head: number): Chain {
    const chain: Chain = { head, readable: [], writable: [], readableLength: 0, writableLength: 0 };
    if (head >= this.size) throw new VirtqueueError(`head descriptor ${head} outside a ${this.size}-entry table`);
    let table = this.descAddr;
    let tableSize = this.size;
    let index = head;
    let seen = 0;
    let indirect = false;
    for (;;) {
      if (++seen > tableSize) throw new VirtqueueError('descriptor chain loops or exceeds the table');
      const d = table + DESC_SIZE * index;
      const addr = this.ram.read64(d);
      const len = this.ram.read32(d + 8);
      const flags = this.ram.read16(d + 12);
      const next = this.ram.read16(d + 14);
      if (flags & DESC_F_INDIRECT) {
        if (indirect) throw new VirtqueueError('nested indirect descriptor');
        if (flags & DESC_F_NEXT) throw new VirtqueueError('indirect descriptor with NEXT set');
        if (len === 0 || len % DESC_SIZE) throw new VirtqueueError(`indirect table length ${len} invalid`);
        if (len / DESC_SIZE > MAX_INDIRECT) throw new VirtqueueError(`indirect table of ${len / DESC_SIZE} descriptors`);
        if (addr % 16 !== 0) throw new VirtqueueError('indirect table misaligned');
        this.ram.check(addr, len);
        indirect = true;
        table = addr;
        tableSize = len / DESC_SIZE;
        index = 0;
        seen = 0;
        continue;
      }
      const off = this.ram.check(addr, len);
      if (flags & DESC_F_WRITE) {
        chain.writable.push({ off, len });
        chain.writableLength += len;
      } else {
        if (chain.writable.length) throw new VirtqueueError('readable descriptor after a writable one');
        chain.readable.push({ off, len });
        chain.readableLength += len;
      }
      if (!(flags & DESC_F_NEXT)) return chain;
      if (next >= tableSize) throw new VirtqueueError(`next descriptor ${next} outside the table`);
      index = next;
    }
  }

  /** Return a chain to the driver with `written` bytes placed in its writable part. */
  push(head: number, written: number): void {
    const slot = this.usedAddr + 4 + 8 * (this.usedIdx % this.size);
    this.ram.write32(slot, head);
    this.ram.write32(slot + 4, written);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    // The ring entry must be visible before the index; JS stores are in program order.
    this.ram.write16(this.usedAddr + 2, this.usedIdx);
  }

  /** Whether the used buffers added since the last interrupt call for one: used_event with
   *  EVENT_IDX (vring_need_event, §2.7.7.2), otherwise VIRTQ_AVAIL_F_NO_INTERRUPT. */
  wantsInterrupt(): boolean {
    if (!this.eventIdx) return (this.ram.read16(this.availAddr) & 1) === 0;
    const old = this.signalledUsed;
    this.signalledUsed = this.usedIdx;
    const usedEvent = this.ram.read16(this.availAddr + 4 + 2 * this.size);
    return ((this.usedIdx - usedEvent - 1) & 0xffff) < ((this.usedIdx - old) & 0xffff);
  }
}

/** Copy up to `max` bytes of a chain's readable part out of guest RAM. */
export function readChain(ram: GuestRam, chain: Chain, max = chain.readableLength, skip = 0): Uint8Array {
  const total = Math.max(0, Math.min(max, chain.readableLength - skip));
  const out = new Uint8Array(total);
  let pos = 0;
  for (const s of chain.readable) {
    if (pos >= total) break;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const n = Math.min(s.len - skip, total - pos);
    out.set(ram.bytes.subarray(s.off + skip, s.off + skip + n), pos);
    pos += n;
    skip = 0;
  }
  return out;
}

/** Copy `data` into a chain's writable part starting at byte `at`; returns bytes written. */
export function writeChain(ram: GuestRam, chain: Chain, data: Uint8Array, at = 0): number {
  let pos = 0;
  for (const s of chain.writable) {
    if (pos >= data.length) break;
    if (at >= s.len) {
      at -= s.len;
      continue;
    }
    const n = Math.min(s.len - at, data.length - pos);
    ram.bytes.set(data.subarray(pos, pos + n), s.off + at);
    pos += n;
    at = 0;
  }
  return pos;
}
