// Guest RAM as seen by device models: a window of the wasm memory (docs/cpu-core.md "Memory"),
// read and written in place. Every guest-supplied address goes through `check` first, so a
// malicious descriptor can never make a device touch host memory outside RAM.

import { RAM_BASE } from './memory-map.ts';

export class GuestMemoryError extends Error {}

export class GuestRam {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly size: number;

  /** Told of every write by the host (DMA, the SBI) into RAM, as an offset into `bytes` and a
   *  length: the CPU drops translated code made from those bytes (docs/cpu-core.md,
   *  `ramWritten`). Loaders that write before the hart first runs need not call it. */
  onWrite: (offset: number, len: number) => void = () => {};

  constructor(buffer: ArrayBufferLike, byteOffset: number, size: number) {
    this.bytes = new Uint8Array(buffer, byteOffset, size);
    this.view = new DataView(buffer, byteOffset, size);
    this.size = size;
  }

  /** Offset into `bytes` of guest physical `addr`, after checking `[addr, addr+len)` is RAM. */
  check(addr: number, len: number): number {
    const off = addr - RAM_BASE;
    if (!(off >= 0 && len >= 0 && off + len <= this.size && Number.isSafeInteger(off + len))) {
      throw new GuestMemoryError(`guest range 0x${addr.toString(16)}+${len} is outside RAM`);
    }
    return off;
  }

  /** The host wrote `[off, off+len)` of `bytes` (see onWrite). */
  written(off: number, len: number): void {
    if (len > 0) this.onWrite(off, len);
  }

  slice(addr: number, len: number): Uint8Array {
    const off = this.check(addr, len);
    return this.bytes.subarray(off, off + len);
  }

  read16(addr: number): number {
    return this.view.getUint16(this.check(addr, 2), true);
  }
  read32(addr: number): number {
    return this.view.getUint32(this.check(addr, 4), true);
  }
  /** 64-bit guest addresses: values above 2^53 cannot be RAM, so they map to an invalid number. */
  read64(addr: number): number {
    const off = this.check(addr, 8);
    const lo = this.view.getUint32(off, true);
    const hi = this.view.getUint32(off + 4, true);
    return hi >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : hi * 0x1_0000_0000 + lo;
  }
  write16(addr: number, v: number): void {
    this.view.setUint16(this.check(addr, 2), v, true);
  }
  write32(addr: number, v: number): void {
    this.view.setUint32(this.check(addr, 4), v, true);
  }
}
