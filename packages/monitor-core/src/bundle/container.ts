// The suspend bundle's container (docs/suspend.md "File format"): a magic, a version and a list of
// tagged sections, every number little-endian, every section with its length, codec and CRC-32,
// so that a bundle written on one host reads on any other and a damaged one is refused with one
// line naming the file and the section. No section is trusted before its CRC and lengths check.
import fs from 'node:fs';
import zlib from 'node:zlib';

export const BUNDLE_MAGIC = 'COLXSUSP';
export const BUNDLE_VERSION = 1;
const HEADER_BYTES = 16;
const SECTION_HEADER_BYTES = 32;
/** More sections than this is not a bundle this code wrote. */
const MAX_SECTIONS = 64;
/** A compressed section (META, CPU, DEVS, SCRN) inflates to at most this; RAM is stored as is. */
export const MAX_INFLATED_SECTION = 64 * 1024 * 1024;

/** How a section's (or a RAM chunk's) bytes are stored. */
export const Codec = Object.freeze({ NONE: 0, DEFLATE: 1, ZSTD: 2 } as const);
const CODEC_NAMES = ['none', 'deflate', 'zstd'];

/** Every refusal of a bundle: one line, naming the file and what is wrong. */
export class BundleError extends Error {}

export interface Section {
  /** Four ASCII characters: META, CPU , DEVS, SCRN, ROM , RAM . */
  tag: string;
  codec: number;
  /** The stored bytes, in parts (the RAM section is many compressed chunks). */
  parts: Uint8Array[];
  rawLength: number;
}

/** zstd level 3 (zstd's default): on 98 MiB of a guest's RAM 6 % smaller than level 1 for 0.13 s
 *  more (0.49 s), where deflate level 1 took 2.2 s for a third more bytes (bench/RESULTS.md). */
const ZSTD_LEVEL = 3;
/** deflate level 1: level 6 took 2.4 times as long for 2 % less (bench/RESULTS.md). */
const DEFLATE_LEVEL = 1;
/** zstd when this Node has it (Node >= 23.8 / 22.15), else deflate: bench/suspend.ts measured both. */
export const PREFERRED_CODEC: number = typeof zlib.zstdCompressSync === 'function' ? Codec.ZSTD : Codec.DEFLATE;

export function compress(codec: number, data: Uint8Array): Uint8Array {
  switch (codec) {
    case Codec.NONE:
      return data;
    case Codec.DEFLATE:
      return zlib.deflateRawSync(data, { level: DEFLATE_LEVEL });
    case Codec.ZSTD:
      return zlib.zstdCompressSync(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
  }
  throw new Error(`unknown codec ${codec}`);
}

/** Inflates exactly `rawLength` bytes or throws (what: where, for the error line). */
export function decompress(codec: number, stored: Uint8Array, rawLength: number, what: string): Uint8Array {
  let out: Uint8Array;
  try {
    switch (codec) {
      case Codec.NONE:
        out = stored;
        break;
      case Codec.DEFLATE:
        out = zlib.inflateRawSync(stored, { maxOutputLength: Math.max(1, rawLength) });
        break;
      case Codec.ZSTD:
        if (typeof zlib.zstdDecompressSync !== 'function')
          throw new BundleError(`${what} is zstd-compressed and this Node ${process.version} has no zstd (Node 23.8 or later has)`);
        out = zlib.zstdDecompressSync(stored, { maxOutputLength: Math.max(1, rawLength) });
        break;
      default:
        throw new BundleError(`${what}: unknown codec ${codec}`);
    }
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError(`${what}: cannot decompress (${CODEC_NAMES[codec]}): ${(err as Error).message}`);
  }
  if (out.length !== rawLength) throw new BundleError(`${what}: decompresses to ${out.length} bytes, the header says ${rawLength}`);
  return out;
}

export function section(tag: string, codec: number, data: Uint8Array): Section {
  return { tag, codec, parts: [compress(codec, data)], rawLength: data.length };
}

/** The file's bytes, in parts (written with one writev; nothing is concatenated). */
export function encodeContainer(sections: readonly Section[]): Uint8Array[] {
  const header = new DataView(new ArrayBuffer(HEADER_BYTES));
  new Uint8Array(header.buffer).set(Buffer.from(BUNDLE_MAGIC, 'latin1'));
  header.setUint32(8, BUNDLE_VERSION, true);
  header.setUint32(12, sections.length, true);
  const out: Uint8Array[] = [new Uint8Array(header.buffer)];
  for (const s of sections) {
    if (!/^[ -~]{4}$/.test(s.tag)) throw new Error(`section tag '${s.tag}' is not four ASCII characters`);
    const stored = s.parts.reduce((n, p) => n + p.length, 0);
    let crc = 0;
    for (const p of s.parts) crc = zlib.crc32(p, crc);
    const h = new DataView(new ArrayBuffer(SECTION_HEADER_BYTES));
    new Uint8Array(h.buffer).set(Buffer.from(s.tag, 'latin1'));
    h.setUint32(4, s.codec, true);
    h.setBigUint64(8, BigInt(s.rawLength), true);
    h.setBigUint64(16, BigInt(stored), true);
    h.setUint32(24, crc, true);
    out.push(new Uint8Array(h.buffer), ...s.parts);
  }
  return out;
}

/** Stored sections by tag, each checked (lengths within the file, CRC), not yet decompressed. */
export interface StoredSection {
  tag: string;
  codec: number;
  rawLength: number;
  stored: Uint8Array;
}

export function decodeContainer(file: Uint8Array, name: string): Map<string, StoredSection> {
  const fail = (what: string): never => {
    throw new BundleError(`${name}: ${what}`);
  };
  if (file.length < HEADER_BYTES) fail(`not a suspend bundle (${file.length} bytes, shorter than its header)`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (Buffer.from(file.subarray(0, 8)).toString('latin1') !== BUNDLE_MAGIC) fail(`not a suspend bundle (no ${BUNDLE_MAGIC} magic)`);
  const version = view.getUint32(8, true);
  if (version !== BUNDLE_VERSION) fail(`bundle format version ${version}, this program reads version ${BUNDLE_VERSION}`);
  const count = view.getUint32(12, true);
  if (count > MAX_SECTIONS) fail(`${count} sections (at most ${MAX_SECTIONS})`);
  const sections = new Map<string, StoredSection>();
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + SECTION_HEADER_BYTES > file.length) fail(`truncated: section ${i + 1} of ${count} is missing (file ends at byte ${file.length})`);
    const tag = Buffer.from(file.subarray(at, at + 4)).toString('latin1');
    if (!/^[ -~]{4}$/.test(tag)) fail(`section ${i + 1} at byte ${at}: tag is not ASCII (damaged file)`);
    const codec = view.getUint32(at + 4, true);
    const rawLength = view.getBigUint64(at + 8, true);
    const storedLength = view.getBigUint64(at + 16, true);
    const crc = view.getUint32(at + 24, true);
    at += SECTION_HEADER_BYTES;
    if (codec >= CODEC_NAMES.length) fail(`section '${tag}': unknown codec ${codec}`);
    if (storedLength > BigInt(file.length - at)) fail(`truncated: section '${tag}' needs ${storedLength} bytes, ${file.length - at} are left`);
    const limit = codec === Codec.NONE ? storedLength : BigInt(MAX_INFLATED_SECTION);
    if (rawLength > limit) fail(`section '${tag}': length ${rawLength} is out of bounds (at most ${limit})`);
    const stored = file.subarray(at, at + Number(storedLength));
    at += stored.length;
    if (zlib.crc32(stored) !== crc) fail(`section '${tag}' is damaged (CRC-32 mismatch)`);
    if (sections.has(tag)) fail(`section '${tag}' appears twice`);
    sections.set(tag, { tag, codec, rawLength: Number(rawLength), stored });
  }
  if (at !== file.length) fail(`${file.length - at} bytes after the last section (damaged or not a bundle)`);
  return sections;
}

/** The container's header and first section only, read from `fd` (a file of `size` bytes) and
 *  checked as decodeContainer checks them: what a reader needing only the first section takes
 *  (colinux-daemon reads META without the megabytes of RAM behind it). */
export function readFirstSection(fd: number, size: number, name: string): Map<string, StoredSection> {
  const head = new Uint8Array(Math.min(size, HEADER_BYTES + SECTION_HEADER_BYTES));
  fs.readSync(fd, head, 0, head.length, 0);
  if (head.length < HEADER_BYTES + SECTION_HEADER_BYTES) return decodeContainer(head, name);
  const view = new DataView(head.buffer);
  const stored = view.getBigUint64(HEADER_BYTES + 16, true);
  if (view.getUint32(12, true) === 0 || stored > BigInt(size - head.length)) return decodeContainer(head, name);
  const first = new Uint8Array(head.length + Number(stored));
  first.set(head);
  fs.readSync(fd, first, head.length, Number(stored), head.length);
  new DataView(first.buffer).setUint32(12, 1, true); // this copy holds one section
  return decodeContainer(first, name);
}

/** The inflated bytes of a required section. */
export function sectionBytes(sections: Map<string, StoredSection>, tag: string, name: string): Uint8Array {
  const s = sections.get(tag);
  if (!s) throw new BundleError(`${name}: section '${tag}' is missing`);
  return decompress(s.codec, s.stored, s.rawLength, `${name}: section '${tag}'`);
}
