// Guest RAM in a bundle (docs/suspend.md "RAM"): sparse — pages of zeros are not stored — and
// compressed in chunks of at most CHUNK_PAGES consecutive non-zero pages, so that a reader
// checks the whole chunk table against the RAM size before it inflates anything, and each chunk
// inflates straight into its place.
import { BundleError, decompress, compress } from './container.ts';

export const PAGE_BYTES = 4096;
/** 1 MiB of RAM per compressed chunk: large enough for the codec, small enough to stream. */
const CHUNK_PAGES = 256;
const HEADER_BYTES = 24;
const ENTRY_BYTES = 16;
const ZERO_PAGE = Buffer.alloc(PAGE_BYTES);

export interface RamImage {
  /** The RAM section's bytes, in parts: header, chunk table, compressed chunks. */
  parts: Uint8Array[];
  /** Non-zero pages stored. */
  pages: number;
}

function isZero(ram: Buffer, page: number): boolean {
  return ram.compare(ZERO_PAGE, 0, PAGE_BYTES, page * PAGE_BYTES, (page + 1) * PAGE_BYTES) === 0;
}

export function encodeRam(bytes: Uint8Array, codec: number): RamImage {
  const ram = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pageCount = Math.floor(ram.length / PAGE_BYTES);
  const entries: Array<{ first: number; count: number; data: Uint8Array }> = [];
  let stored = 0;
  for (let page = 0; page < pageCount;) {
    if (isZero(ram, page)) {
      page++;
      continue;
    }
    const first = page;
    while (page < pageCount && page - first < CHUNK_PAGES && !isZero(ram, page)) page++;
    const data = compress(codec, ram.subarray(first * PAGE_BYTES, page * PAGE_BYTES));
    // NONE would alias guest RAM, which keeps changing: copy it out.
    entries.push({ first, count: page - first, data: data.buffer === ram.buffer ? data.slice() : data });
    stored += page - first;
  }
  const header = new DataView(new ArrayBuffer(HEADER_BYTES + entries.length * ENTRY_BYTES));
  header.setBigUint64(0, BigInt(ram.length), true);
  header.setUint32(8, PAGE_BYTES, true);
  header.setUint32(12, codec, true);
  header.setUint32(16, entries.length, true);
  entries.forEach((e, i) => {
    const at = HEADER_BYTES + i * ENTRY_BYTES;
    header.setUint32(at, e.first, true);
    header.setUint32(at + 4, e.count, true);
    header.setUint32(at + 8, e.data.length, true);
  });
  return { parts: [new Uint8Array(header.buffer), ...entries.map((e) => e.data)], pages: stored };
}

/** Zeroes the pages first..end-1 that are not zero already: new RAM is all zero, and writing
 *  zeros would make every page of it resident (reading an untouched page does not). */
function zeroPages(ram: Uint8Array, first: number, end: number): void {
  const buf = Buffer.from(ram.buffer, ram.byteOffset, ram.byteLength);
  for (let page = first; page < end; page++) if (!isZero(buf, page)) buf.fill(0, page * PAGE_BYTES, (page + 1) * PAGE_BYTES);
}

/** Fills `ram` from a RAM section (pages it does not hold become zero); throws a BundleError
 *  naming what is wrong. */
export function decodeRam(section: Uint8Array, ram: Uint8Array, name: string): void {
  const fail = (what: string): never => {
    throw new BundleError(`${name}: RAM: ${what}`);
  };
  if (section.length < HEADER_BYTES) fail('truncated header');
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  const size = view.getBigUint64(0, true);
  if (size !== BigInt(ram.length)) fail(`${size} bytes of RAM saved, this machine has ${ram.length} (mem= differs)`);
  if (view.getUint32(8, true) !== PAGE_BYTES) fail(`page size ${view.getUint32(8, true)}, expected ${PAGE_BYTES}`);
  const codec = view.getUint32(12, true);
  const count = view.getUint32(16, true);
  const pageCount = ram.length / PAGE_BYTES;
  if (count > pageCount || HEADER_BYTES + count * ENTRY_BYTES > section.length) fail(`chunk table of ${count} entries does not fit`);
  let at = HEADER_BYTES + count * ENTRY_BYTES;
  let lastEnd = 0;
  const chunks: Array<{ first: number; pages: number; data: Uint8Array }> = [];
  for (let i = 0; i < count; i++) {
    const e = HEADER_BYTES + i * ENTRY_BYTES;
    const first = view.getUint32(e, true);
    const pages = view.getUint32(e + 4, true);
    const length = view.getUint32(e + 8, true);
    if (pages === 0 || pages > CHUNK_PAGES || first < lastEnd || first + pages > pageCount)
      fail(`chunk ${i}: pages ${first}+${pages} are out of order or outside RAM`);
    if (at + length > section.length) fail(`chunk ${i}: ${length} bytes, ${section.length - at} left`);
    chunks.push({ first, pages, data: section.subarray(at, at + length) });
    at += length;
    lastEnd = first + pages;
  }
  if (at !== section.length) fail(`${section.length - at} bytes after the last chunk`);
  let end = 0;
  for (const [i, c] of chunks.entries()) {
    zeroPages(ram, end, c.first);
    ram.set(decompress(codec, c.data, c.pages * PAGE_BYTES, `${name}: RAM chunk ${i}`), c.first * PAGE_BYTES);
    end = c.first + c.pages;
  }
  zeroPages(ram, end, pageCount);
}
