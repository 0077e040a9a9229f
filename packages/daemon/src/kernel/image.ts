import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DaemonError } from '../errors.ts';
import { describeFsError } from '../cmdline/expand.ts';
import { EM_RISCV, ElfError, PT_LOAD, SHF_ALLOC, SHF_TLS, SHT_NOBITS, parseElf64, type ElfImage, type ProgramHeader } from './elf.ts';
import { ACCEPTED_FORMATS, KernelFormatError, type KernelPlan, type LoadPiece } from './plan.ts';
import { IMAGE_HEADER_SIZE, imageSpan, isRiscvImage, parseImageHeader, planImageLoad } from './riscv-image.ts';
import { DecompressedTooLarge, compressionOf, decompress, isZboot, zbootPayload } from './compressed.ts';

export type { KernelPlan, LoadPiece } from './plan.ts';

const MACHINES: Record<number, string> = { 3: 'x86', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC64', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 258: 'LoongArch' };
const MAX_KERNEL_BYTES = 1024 * 1024 * 1024;

/**
 * What the daemon sends for a vmlinux, following coLinux (docs/colinux.md#run-loop: every allocatable
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
  const containing = (addr: bigint, size: bigint): ProgramHeader | undefined => loads.find((p) => addr >= p.vaddr && addr + size <= p.vaddr + p.memsz);

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
  return { format: 'ELF vmlinux', pieces, entryOffset, spanBytes: end };
}

/** How much RAM the kernel may take: `room` bytes above its load address, else `tooSmall`. */
export interface RamFit {
  room: number;
  tooSmall(spanBytes?: number): DaemonError;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const isElf = (head: Uint8Array) => ELF_MAGIC.every((b, i) => head[i] === b);

/**
 * Reads and checks `kernel=`, detected by content: ELF vmlinux, RISC-V Image, or either of them
 * compressed (gzip, zstd, EFI zboot). The RAM it needs is checked against `fit` before the file
 * is read whole (from the Image header) or decompressed (bounded by the room). Every problem
 * becomes one line naming the key and the file.
 */
export function loadKernel(path: string, shownValue: string, fit: RamFit): KernelPlan {
  const fail = (msg: string) => new DaemonError(`kernel=${shownValue}: ${msg}`);
  let fd: number | undefined;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw fail('not a regular file');
    if (st.size === 0) throw fail(`empty file (${ACCEPTED_FORMATS})`);
    if (st.size > MAX_KERNEL_BYTES) throw fail('larger than 1 GiB, not a kernel');
    fd = openSync(path, 'r');
    const head = readExactly(fd, Math.min(st.size, IMAGE_HEADER_SIZE), 0);
    if (isRiscvImage(head)) {
      // The header says how much RAM the image takes: check it before reading the rest.
      const span = imageSpan(parseImageHeader(head), st.size);
      if (span > fit.room) throw fit.tooSmall(span);
    } else if (!isElf(head) && !compressionOf(head) && !isZboot(head)) {
      throw fail(`not a kernel (${ACCEPTED_FORMATS})`);
    } else if (!isElf(head) && st.size > fit.room) {
      throw fit.tooSmall(st.size); // compressed data larger than the room cannot fit decompressed
    }
    const plan = planBytes(readExactly(fd, st.size, 0), fit);
    if (plan.spanBytes > fit.room) throw fit.tooSmall(plan.spanBytes);
    return plan;
  } catch (err) {
    if (err instanceof DaemonError) throw err;
    if (err instanceof ElfError || err instanceof KernelFormatError) throw fail(err.message);
    throw fail(`error loading vmlinux file: ${describeFsError(err)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Plans a whole file's bytes; compressed data is unpacked once, into an ELF or an Image. */
export function planBytes(bytes: Uint8Array, fit: RamFit): KernelPlan {
  if (isElf(bytes)) return planKernelLoad(parseElf64(bytes));
  if (isRiscvImage(bytes)) return planImageLoad(bytes);
  const packed = isZboot(bytes) ? zbootPayload(bytes) : { compression: compressionOf(bytes), data: bytes };
  if (!packed.compression) throw new KernelFormatError(`not a kernel (${ACCEPTED_FORMATS})`);
  let inner: Uint8Array;
  try {
    inner = decompress(packed.data, packed.compression, fit.room);
  } catch (err) {
    if (err instanceof DecompressedTooLarge) throw fit.tooSmall();
    throw err;
  }
  const what = `${isZboot(bytes) ? 'EFI zboot' : packed.compression}-compressed`;
  if (isElf(inner)) return withFormat(planKernelLoad(parseElf64(inner)), what);
  if (isRiscvImage(inner)) return withFormat(planImageLoad(inner), what);
  throw new KernelFormatError(`${what} data is not a kernel (${ACCEPTED_FORMATS})`);
}

const withFormat = (plan: KernelPlan, compressed: string): KernelPlan => ({ ...plan, format: `${compressed} ${plan.format}` });

function readExactly(fd: number, length: number, position: number): Uint8Array {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) throw new KernelFormatError(`file shrank while being read (${got} of ${length} bytes)`);
    got += n;
  }
  return buf;
}
