// A minimal ELF64 little-endian reader for bare-metal RISC-V programs (System V gABI, "ELF-64
// Object File Format"): the PT_LOAD segments to place in RAM and the symbol table, which the
// runner searches for HTIF's `tohost`/`fromhost`.

export interface LoadSegment {
  paddr: bigint;
  data: Uint8Array; // file bytes; memSize - data.length more bytes are zero
  memSize: number;
}

export interface ElfImage {
  entry: bigint;
  segments: LoadSegment[];
  symbols: Map<string, bigint>;
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const EM_RISCV = 243;

export function parseElf(file: Uint8Array, name: string): ElfImage {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what}`);
  };
  if (file.length < 64 || view.getUint32(0, false) !== 0x7f454c46) fail('not an ELF file');
  if (file[4] !== 2 || file[5] !== 1) fail('not a 64-bit little-endian ELF (need riscv64)');
  if (view.getUint16(18, true) !== EM_RISCV) fail(`machine ${view.getUint16(18, true)} is not RISC-V (243)`);
  const entry = view.getBigUint64(24, true);
  const phoff = Number(view.getBigUint64(32, true));
  const shoff = Number(view.getBigUint64(40, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);

  const segments: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + 56 > file.length) fail(`program header ${i} lies outside the file`);
    if (view.getUint32(p, true) !== PT_LOAD) continue;
    const offset = Number(view.getBigUint64(p + 8, true));
    const paddr = view.getBigUint64(p + 24, true);
    const fileSize = Number(view.getBigUint64(p + 32, true));
    const memSize = Number(view.getBigUint64(p + 40, true));
    if (offset + fileSize > file.length) fail(`segment ${i} lies outside the file`);
    segments.push({ paddr, data: file.subarray(offset, offset + fileSize), memSize });
  }
  if (segments.length === 0) fail('no PT_LOAD segment');

  const symbols = new Map<string, bigint>();
  for (let i = 0; i < shnum && shoff !== 0; i++) {
    const s = shoff + i * shentsize;
    if (s + 64 > file.length) break;
    if (view.getUint32(s + 4, true) !== SHT_SYMTAB) continue;
    const symOff = Number(view.getBigUint64(s + 24, true));
    const symSize = Number(view.getBigUint64(s + 32, true));
    const strIndex = view.getUint32(s + 40, true);
    const str = shoff + strIndex * shentsize;
    const strOff = Number(view.getBigUint64(str + 24, true));
    for (let k = symOff; k + 24 <= symOff + symSize; k += 24) {
      const nameOff = view.getUint32(k, true);
      if (nameOff === 0) continue;
      let end = strOff + nameOff;
      while (end < file.length && file[end] !== 0) end++;
      symbols.set(new TextDecoder().decode(file.subarray(strOff + nameOff, end)), view.getBigUint64(k + 8, true));
    }
  }
  return { entry, segments, symbols };
}
