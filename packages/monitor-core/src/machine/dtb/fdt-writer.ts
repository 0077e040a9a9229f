// Flattened devicetree blob writer (Devicetree Specification v0.4, chapter 5): header, empty
// memory reservation map, structure block, strings block. Property values are built with the
// helpers below (cells are big-endian u32, strings NUL-terminated).

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;
const HEADER_SIZE = 40;

export type PropValue = Uint8Array;

export function u32(...cells: number[]): PropValue {
  const out = new Uint8Array(4 * cells.length);
  const v = new DataView(out.buffer);
  cells.forEach((c, i) => v.setUint32(4 * i, c >>> 0));
  return out;
}

/** A 64-bit value as two cells (high, low), for #address-cells/#size-cells = 2. */
export function u64(value: number): PropValue {
  return u32(Math.floor(value / 0x1_0000_0000), value % 0x1_0000_0000);
}

export function str(...strings: string[]): PropValue {
  return new TextEncoder().encode(strings.map((s) => s + '\0').join(''));
}

export function empty(): PropValue {
  return new Uint8Array(0);
}

export function concat(...parts: PropValue[]): PropValue {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export class FdtWriter {
  private struct: number[] = [];
  private strings: number[] = [];
  private readonly stringOffsets = new Map<string, number>();
  private depth = 0;

  private word(v: number): void {
    this.struct.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }

  private bytesPadded(b: Uint8Array): void {
    for (const x of b) this.struct.push(x);
    while (this.struct.length % 4) this.struct.push(0);
  }

  beginNode(name: string): this {
    this.word(FDT_BEGIN_NODE);
    this.bytesPadded(str(name));
    this.depth++;
    return this;
  }

  endNode(): this {
    if (this.depth === 0) throw new Error('FDT: endNode without beginNode');
    this.word(FDT_END_NODE);
    this.depth--;
    return this;
  }

  prop(name: string, value: PropValue = empty()): this {
    let off = this.stringOffsets.get(name);
    if (off === undefined) {
      off = this.strings.length;
      this.stringOffsets.set(name, off);
      for (const b of str(name)) this.strings.push(b);
    }
    this.word(FDT_PROP);
    this.word(value.length);
    this.word(off);
    this.bytesPadded(value);
    return this;
  }

  finish(bootCpu = 0): Uint8Array {
    if (this.depth !== 0) throw new Error('FDT: unbalanced nodes');
    this.word(FDT_END);
    const rsvOff = HEADER_SIZE;
    const rsvSize = 16; // one terminating {0, 0} entry
    const structOff = rsvOff + rsvSize;
    const stringsOff = structOff + this.struct.length;
    const total = stringsOff + this.strings.length;
    const out = new Uint8Array(Math.ceil(total / 8) * 8);
    const v = new DataView(out.buffer);
    const header = [FDT_MAGIC, out.length, structOff, stringsOff, rsvOff, 17, 16, bootCpu, this.strings.length, this.struct.length];
    header.forEach((h, i) => v.setUint32(4 * i, h));
    out.set(this.struct, structOff);
    out.set(this.strings, stringsOff);
    return out;
  }
}
