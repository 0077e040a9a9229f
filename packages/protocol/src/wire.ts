// Little-endian body reader/writer with bounds checks before every read, so a malformed body
// becomes a BodyError (answered with INVALID_PARAMETER) and never a crash or a huge allocation.
import { Module, isModuleId, type ModuleId } from './codes.ts';

export class BodyError extends Error {
  override name = 'BodyError';
}

export class BodyWriter {
  private parts: Uint8Array[] = [];
  private size = 0;

  u32(value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    return this.bytes(b);
  }

  i32(value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value, true);
    return this.bytes(b);
  }

  f64(value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return this.bytes(b);
  }

  bytes(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  /** u32 length + bytes. */
  blob(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }

  text(s: string): this {
    return this.blob(new TextEncoder().encode(s));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export class BodyReader {
  private at = 0;
  private readonly view: DataView;
  private readonly what: string;
  readonly body: Uint8Array;

  constructor(body: Uint8Array, what: string) {
    this.body = body;
    this.what = what;
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }

  private need(n: number, field: string): void {
    if (this.body.length - this.at < n) throw new BodyError(`${this.what}: body too short for ${field} (${this.body.length} bytes)`);
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }

  f64(field: string): number {
    this.need(8, field);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }

  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  /** u32 length + bytes, length checked against `max` and the body before slicing. */
  blob(field: string, max: number): Uint8Array {
    const n = this.u32(`${field} length`);
    if (n > max) throw new BodyError(`${this.what}: ${field} of ${n} bytes exceeds ${max}`);
    return this.bytes(n, field);
  }

  /** A u32 that must be one of `table`'s values (a code or state), else BodyError. */
  code<T extends number>(field: string, table: Readonly<Record<string, T>>): T {
    const v = this.u32(field);
    if (!(Object.values(table) as number[]).includes(v)) throw new BodyError(`${this.what}: unknown ${field} ${v}`);
    return v as T;
  }

  /** A u32 co_module_t, else BodyError. */
  module(field: string): ModuleId {
    const v = this.u32(field);
    if (!isModuleId(v)) throw new BodyError(`${this.what}: ${field} ${v} is no module (0..${Module.MODULES_MAX - 1})`);
    return v;
  }

  text(field: string, max: number): string {
    return new TextDecoder('utf-8', { fatal: false }).decode(this.blob(field, max));
  }

  rest(): Uint8Array {
    const v = this.body.subarray(this.at);
    this.at = this.body.length;
    return v;
  }

  get remaining(): number {
    return this.body.length - this.at;
  }

  end(): void {
    if (this.at !== this.body.length) throw new BodyError(`${this.what}: ${this.body.length - this.at} unexpected trailing bytes`);
  }
}
