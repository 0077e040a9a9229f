/** What the daemon sends for a kernel, whatever its file format (coLinux: LOAD_SECTION requests). */

/** One LOAD_SECTION request: `offset` from the kernel load address; no `data` = zero-fill. */
export interface LoadPiece {
  name: string;
  offset: number;
  size: number;
  data?: Uint8Array;
}
export interface KernelPlan {
  format: string;
  pieces: LoadPiece[];
  entryOffset: number;
  spanBytes: number;
}

/** A file that is not a kernel this machine loads, or a broken one; the message names the problem. */
export class KernelFormatError extends Error {}

export const ACCEPTED_FORMATS = 'accepted: ELF vmlinux, RISC-V Image, either compressed with gzip or zstd, EFI zboot vmlinuz';
