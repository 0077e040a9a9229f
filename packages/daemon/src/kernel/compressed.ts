/**
 * Compressed kernels as distributions ship them (`vmlinuz`): a whole file compressed with gzip
 * (RFC 1952) or zstd (RFC 8878), or an EFI "zboot" image (Linux drivers/firmware/efi/libstub/
 * zboot-header.S: a PE file starting "MZ", "zimg" at offset 4, the payload's offset and size as
 * u32 at 8 and 12, the compression's name as a NUL-terminated string at 24).
 */
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { KernelFormatError } from './plan.ts';

export type Compression = 'gzip' | 'zstd';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const ZBOOT_HEADER_SIZE = 64;

const startsWith = (b: Uint8Array, magic: number[], at = 0) => b.length >= at + magic.length && magic.every((m, i) => b[at + i] === m);

export function compressionOf(head: Uint8Array): Compression | undefined {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return undefined;
}

export function isZboot(head: Uint8Array): boolean {
  return startsWith(head, [0x4d, 0x5a]) && startsWith(head, [0x7a, 0x69, 0x6d, 0x67], 4); // "MZ", "zimg"
}

/** The compressed payload of an EFI zboot image and its compression; anything else is an error. */
export function zbootPayload(file: Uint8Array): { compression: Compression; data: Uint8Array } {
  if (file.length < ZBOOT_HEADER_SIZE) throw new KernelFormatError(`EFI zboot header cut short (${file.length} bytes)`);
  const view = new DataView(file.buffer, file.byteOffset, ZBOOT_HEADER_SIZE);
  const offset = view.getUint32(8, true);
  const size = view.getUint32(12, true);
  const nameEnd = file.subarray(24, 56).indexOf(0);
  const name = Buffer.from(file.subarray(24, 24 + (nameEnd < 0 ? 32 : nameEnd))).toString('latin1');
  if (name !== 'gzip' && name !== 'zstd')
    throw new KernelFormatError(`EFI zboot image compressed with '${name.replace(/[^\x20-\x7e]/g, '?')}' (accepted: gzip, zstd)`);
  if (offset + size > file.length || size === 0) throw new KernelFormatError(`EFI zboot payload ${offset}+${size} lies outside the ${file.length}-byte file`);
  return { compression: name, data: file.subarray(offset, offset + size) };
}

/** Decompresses at most `maxBytes`; more is a TooLarge error, corrupt data a format error. */
export function decompress(data: Uint8Array, compression: Compression, maxBytes: number): Uint8Array {
  try {
    const opts = { maxOutputLength: Math.max(1, maxBytes) };
    return compression === 'gzip' ? gunzipSync(data, opts) : zstdDecompressSync(data, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressedTooLarge(maxBytes);
    throw new KernelFormatError(`corrupt ${compression} data (${(err as Error).message})`);
  }
}

export class DecompressedTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`decompresses to more than ${limit} bytes`);
    this.limit = limit;
  }
}
