// 9P message encoding (9P2000 and the 9P2000.L additions, as the Linux v9fs client speaks
// them): little-endian integers, strings as u16 length + UTF-8, qids as 13 bytes.

export class NinepError extends Error {
  readonly errno: number;
  constructor(errno: number, message = `errno ${errno}`) {
    super(message);
    this.errno = errno;
  }
}

/** Linux errno values the server answers with (Rlerror). */
export const EPERM = 1;
export const ENOENT = 2;
export const ENXIO = 6;
export const EIO = 5;
export const EBADF = 9;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENOTDIR = 20;
export const EINVAL = 22;
export const EMFILE = 24;
export const EROFS = 30;
export const ERANGE = 34;
export const ENOSYS = 38;
export const ELOOP = 40;
export const ENODATA = 61;
export const EPROTO = 71;
export const EOPNOTSUPP = 95;

export interface Qid {
  type: number;
  version: number;
  path: bigint;
}

export class Reader {
  private pos = 0;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): number {
    const p = this.pos;
    if (p + n > this.bytes.length) throw new NinepError(EPROTO, 'truncated 9P message');
    this.pos += n;
    return p;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }
  str(): string {
    const n = this.u16();
    const p = this.need(n);
    return new TextDecoder().decode(this.bytes.subarray(p, p + n));
  }
  data(n: number): Uint8Array {
    const p = this.need(n);
    return this.bytes.subarray(p, p + n);
  }
}

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private grow(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const p = this.length;
    this.length += n;
    return p;
  }

  // grow() may replace buf and view, so each method reserves first and only then reads them.
  u8(v: number): this {
    const p = this.grow(1);
    this.view.setUint8(p, v);
    return this;
  }
  u16(v: number): this {
    const p = this.grow(2);
    this.view.setUint16(p, v, true);
    return this;
  }
  u32(v: number): this {
    const p = this.grow(4);
    this.view.setUint32(p, v >>> 0, true);
    return this;
  }
  u64(v: bigint | number): this {
    const p = this.grow(8);
    this.view.setBigUint64(p, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.u16(b.length);
    return this.data(b);
  }
  data(b: Uint8Array): this {
    const p = this.grow(b.length);
    this.buf.set(b, p);
    return this;
  }
  qid(q: Qid): this {
    return this.u8(q.type).u32(q.version).u64(q.path);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
