/**
 * A small ELF64 little-endian reader (System V gABI, "ELF-64 Object File Format") for the guest
 * kernel. Every offset and size read from the file is bounds-checked before use; a malformed file
 * yields an ElfError, never an exception from a typed-array access or a giant allocation.
 */
export class ElfError extends Error {}

export const EM_RISCV = 243;
export const PT_LOAD = 1;
export const SHT_NOBITS = 8;
export const SHF_ALLOC = 0x2n;
export const SHF_TLS = 0x400n;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
}
export interface SectionHeader {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
}
export interface ElfImage {
  type: number;
  machine: number;
  entry: bigint;
  programs: ProgramHeader[];
  sections: SectionHeader[];
  bytes: Uint8Array;
}

const MAX_HEADERS = 65536;

export function parseElf64(bytes: Uint8Array): ElfImage {
  const magic = [0x7f, 0x45, 0x4c, 0x46];
  if (magic.some((b, i) => i < bytes.length && bytes[i] !== b) || bytes.length === 0) throw new ElfError('not an ELF file (bad magic)');
  if (bytes.length < 64) throw new ElfError(`file too short for an ELF header (${bytes.length} bytes)`);
  if (bytes[4] !== 2) throw new ElfError(`not a 64-bit ELF file (class ${bytes[4]})`);
  if (bytes[5] !== 1) throw new ElfError('not a little-endian ELF file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const u64 = (o: number) => view.getBigUint64(o, true);
  const type = u16(16);
  const machine = u16(18);
  const entry = u64(24);
  const phoff = u64(32);
  const shoff = u64(40);
  const phentsize = u16(54);
  let phnum = u16(56);
  const shentsize = u16(58);
  let shnum = u16(60);
  let shstrndx = u16(62);

  const inFile = (off: bigint, len: bigint, what: string): number => {
    if (off < 0n || len < 0n || off + len > BigInt(bytes.length))
      throw new ElfError(`${what} lies outside the file (offset ${off}, size ${len}, file ${bytes.length})`);
    return Number(off);
  };

  // Extended numbering (gABI): counts that do not fit in 16 bits live in section header 0.
  if (shoff !== 0n && (shnum === 0 || shstrndx === 0xffff || phnum === 0xffff)) {
    if (shentsize < 64) throw new ElfError(`section header size ${shentsize} too small`);
    const s0 = inFile(shoff, 64n, 'section header 0');
    if (shnum === 0) shnum = Number(u64(s0 + 32) & 0xffffffffn);
    if (shstrndx === 0xffff) shstrndx = u32(s0 + 40);
    if (phnum === 0xffff) phnum = u32(s0 + 44);
  }
  if (phnum > MAX_HEADERS || shnum > MAX_HEADERS) throw new ElfError(`too many headers (${phnum} program, ${shnum} section)`);

  const programs: ProgramHeader[] = [];
  if (phnum > 0) {
    if (phentsize < 56) throw new ElfError(`program header size ${phentsize} too small`);
    inFile(phoff, BigInt(phnum) * BigInt(phentsize), 'program header table');
    for (let i = 0; i < phnum; i++) {
      const o = Number(phoff) + i * phentsize;
      programs.push({ type: u32(o), flags: u32(o + 4), offset: u64(o + 8), vaddr: u64(o + 16), paddr: u64(o + 24), filesz: u64(o + 32), memsz: u64(o + 40) });
    }
  }

  const raw: Array<Omit<SectionHeader, 'name'> & { nameOff: number }> = [];
  if (shnum > 0) {
    if (shentsize < 64) throw new ElfError(`section header size ${shentsize} too small`);
    inFile(shoff, BigInt(shnum) * BigInt(shentsize), 'section header table');
    for (let i = 0; i < shnum; i++) {
      const o = Number(shoff) + i * shentsize;
      raw.push({ nameOff: u32(o), type: u32(o + 4), flags: u64(o + 8), addr: u64(o + 16), offset: u64(o + 24), size: u64(o + 32) });
    }
  }
  let names: Uint8Array | undefined;
  if (raw.length > 0 && shstrndx !== 0) {
    const strtab = raw[shstrndx];
    if (!strtab) throw new ElfError(`section name table index ${shstrndx} out of range (${raw.length} sections)`);
    if (strtab.type !== SHT_NOBITS) {
      const at = inFile(strtab.offset, strtab.size, 'section name table');
      names = bytes.subarray(at, at + Number(strtab.size));
    }
  }
  const sections = raw.map(({ nameOff, ...rest }, i) => ({ ...rest, name: sectionName(names, nameOff) ?? `#${i}` }));
  return { type, machine, entry, programs, sections, bytes };
}

function sectionName(table: Uint8Array | undefined, off: number): string | undefined {
  if (!table || off >= table.length) return undefined;
  let end = off;
  while (end < table.length && table[end] !== 0 && end - off < 256) end++;
  return Buffer.from(table.subarray(off, end)).toString('latin1');
}
