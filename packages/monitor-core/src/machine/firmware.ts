// Loading an M-mode firmware (`firmware=`, e.g. Debian's OpenSBI fw_jump) into guest RAM: an
// ELF64 is placed by its PT_LOAD program headers (physical addresses), anything else is a raw
// binary at 0x8000_0000.

import fs from 'node:fs';
import type { GuestRam } from './guest-ram.ts';
import { RAM_BASE } from './memory-map.ts';

const PT_LOAD = 1;

/** Copies the firmware into RAM and returns its entry point. */
export function loadFirmware(ram: GuestRam, path: string): number {
  let file: Buffer;
  try {
    file = fs.readFileSync(path);
  } catch (err) {
    throw new Error(`firmware=${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const isElf = file.length >= 64 && file.readUInt32BE(0) === 0x7f454c46;
  if (!isElf) {
    ram.slice(RAM_BASE, file.length).set(file);
    return RAM_BASE;
  }
  if (file[4] !== 2 || file[5] !== 1 || file.readUInt16LE(18) !== 243) {
    throw new Error(`firmware=${path}: not a little-endian ELF64 RISC-V image`);
  }
  const entry = Number(file.readBigUInt64LE(24));
  const phoff = Number(file.readBigUInt64LE(32));
  const phentsize = file.readUInt16LE(54);
  const phnum = file.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > file.length) throw new Error(`firmware=${path}: truncated program headers`);
    if (file.readUInt32LE(ph) !== PT_LOAD) continue;
    const offset = Number(file.readBigUInt64LE(ph + 8));
    const paddr = Number(file.readBigUInt64LE(ph + 24));
    const filesz = Number(file.readBigUInt64LE(ph + 32));
    const memsz = Number(file.readBigUInt64LE(ph + 40));
    if (offset + filesz > file.length) throw new Error(`firmware=${path}: segment ${i} beyond end of file`);
    try {
      const dest = ram.slice(paddr, memsz);
      dest.fill(0);
      dest.set(file.subarray(offset, offset + filesz));
    } catch {
      throw new Error(`firmware=${path}: segment ${i} at 0x${paddr.toString(16)} does not fit in guest RAM`);
    }
  }
  return entry;
}
