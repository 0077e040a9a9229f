import { readFileSync, statSync } from 'node:fs';
import { DaemonError } from '../errors.ts';
import { describeFsError } from '../cmdline/expand.ts';
import { EM_RISCV, ElfError, PT_LOAD, SHF_ALLOC, SHF_TLS, SHT_NOBITS, parseElf64, type ElfImage, type ProgramHeader } from './elf.ts';

/** One LOAD_SECTION request: `offset` from the image's lowest load address; no `data` = zero-fill. */
export interface LoadPiece { name: string; offset: number; size: number; data?: Uint8Array }
export interface KernelPlan { pieces: LoadPiece[]; entryOffset: number; spanBytes: number }

const MACHINES: Record<number, string> = { 3: 'x86', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 258: 'LoongArch' };
const MAX_KERNEL_BYTES = 1024 * 1024 * 1024;

/**
 * What the daemon sends for a vmlinux, following coLinux (reference 3.14 step 3: every allocatable
 * section): each SHF_ALLOC section with a size, placed at its load address (the section's virtual
 * address mapped through its PT_LOAD program header to the segment's physical address) minus the
 * lowest PT_LOAD physical address. SHT_NOBITS sections (.bss) are zero-fill requests without bytes.
 */
export function planKernelLoad(elf: ElfImage): KernelPlan {
  if (elf.machine !== EM_RISCV) {
    const name = MACHINES[elf.machine] ?? `machine ${elf.machine}`;
    throw new ElfError(`not a RISC-V kernel (ELF for ${name}, e_machine ${elf.machine}; expected ${EM_RISCV})`);
  }
  if (elf.type !== 2 && elf.type !== 3) throw new ElfError(`not an executable ELF file (e_type ${elf.type})`);
  const loads = elf.programs.filter((p) => p.type === PT_LOAD && p.memsz > 0n);
  if (loads.length === 0) throw new ElfError('no PT_LOAD program header');
  const base = loads.reduce((min, p) => (p.paddr < min ? p.paddr : min), loads[0]!.paddr);
  const toOffset = (lma: bigint, what: string): number => {
    const off = lma - base;
    if (off < 0n || off >= 1n << 32n) throw new ElfError(`${what} lies ${off < 0n ? 'below' : 'more than 4 GiB above'} the image start`);
    return Number(off);
  };
  const containing = (addr: bigint, size: bigint): ProgramHeader | undefined =>
    loads.find((p) => addr >= p.vaddr && addr + size <= p.vaddr + p.memsz);

  const pieces: LoadPiece[] = [];
  let end = 0;
  for (const s of elf.sections) {
    if ((s.flags & SHF_ALLOC) === 0n || s.size === 0n) continue;
    // .tbss occupies no memory of its own: it is a template for per-thread copies.
    if ((s.flags & SHF_TLS) !== 0n && s.type === SHT_NOBITS) continue;
    const seg = containing(s.addr, s.size);
    if (!seg) throw new ElfError(`section ${s.name} (0x${s.addr.toString(16)}, ${s.size} bytes) is outside every PT_LOAD segment`);
    const offset = toOffset(seg.paddr + (s.addr - seg.vaddr), `section ${s.name}`);
    const size = Number(s.size);
    if (s.type === SHT_NOBITS) {
      pieces.push({ name: s.name, offset, size });
    } else {
      if (s.offset + s.size > BigInt(elf.bytes.length)) throw new ElfError(`section ${s.name} data lies outside the file`);
      const at = Number(s.offset);
      pieces.push({ name: s.name, offset, size, data: elf.bytes.subarray(at, at + size) });
    }
    end = Math.max(end, offset + size);
  }
  if (pieces.length === 0) throw new ElfError('no allocatable section to load');
  const entrySeg = loads.find((p) => elf.entry >= p.vaddr && elf.entry < p.vaddr + p.memsz);
  if (!entrySeg) throw new ElfError(`entry point 0x${elf.entry.toString(16)} is outside every PT_LOAD segment`);
  const entryOffset = toOffset(entrySeg.paddr + (elf.entry - entrySeg.vaddr), 'entry point');
  return { pieces, entryOffset, spanBytes: end };
}

/** Reads and checks `kernel=`; every problem becomes one line naming the key and the file. */
export function loadKernel(path: string, shownValue: string): KernelPlan {
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DaemonError(`kernel=${shownValue}: not a regular file`);
    if (st.size > MAX_KERNEL_BYTES) throw new DaemonError(`kernel=${shownValue}: larger than 1 GiB, not a kernel`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof DaemonError) throw err;
    throw new DaemonError(`kernel=${shownValue}: error loading vmlinux file: ${describeFsError(err)}`);
  }
  try {
    return planKernelLoad(parseElf64(bytes));
  } catch (err) {
    if (err instanceof ElfError) throw new DaemonError(`kernel=${shownValue}: ${err.message}`);
    throw err;
  }
}
