// qcow2 images (QEMU's docs/interop/qcow2.txt; versions 2 and 3) for copy-on-write disks: an
// overlay whose unallocated clusters read from a backing image. Big-endian on disk. What is
// supported: 16-bit refcounts (qemu-img's default), any cluster size 512 B..2 MiB, zero clusters,
// compressed clusters (read; a write copies them out), a raw or qcow2 backing file. Refused at
// open with one line: encryption, internal snapshots, external data files, extended L2 entries,
// zstd compression, the dirty (lazy refcounts) and corrupt bits, other refcount widths.
//
// Crash safety without a journal: every allocation is written in the order "new cluster's
// content, then its refcount, then the table entry that points to it", each a completed pwrite
// before the next. A process killed between two of them leaves at most a cluster with a refcount
// that nothing references (qemu-img check: a leak, not an error), never a table entry pointing at
// a cluster without a refcount. Guest flushes (VIRTIO_BLK_T_FLUSH) fsync the file.
import fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { imageFormat, readAll, writeAll, type DiskImage } from './disk-image.ts';

const MAGIC = 0x514649fb; // "QFI\xfb"
const HEADER_V2_LENGTH = 72;
const HEADER_V3_MIN_LENGTH = 104;
const MIN_CLUSTER_BITS = 9;
const MAX_CLUSTER_BITS = 21;
/** QEMU's QCOW_MAX_L1_SIZE and QCOW_MAX_REFTABLE_SIZE (block/qcow2.h): bounds before allocating. */
const MAX_L1_BYTES = 32 * 1024 * 1024;
const MAX_REFTABLE_BYTES = 8 * 1024 * 1024;
const MAX_BACKING_NAME = 1023;
/** Only 16-bit refcounts (refcount_order 4) are written here. */
const REFCOUNT_ORDER = 4;
const REFCOUNT_BYTES = 2;
/** Largest guest size accepted: offsets stay exact in a double. */
const MAX_VIRTUAL_SIZE = 2 ** 52;

/** Incompatible feature bits (header byte 72). */
const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTL2 = 1n << 4n;

const EXT_END = 0;
const EXT_BACKING_FORMAT = 0xe2792aca;

/** L1/L2 entry bits 9-55: the host offset (cluster aligned; L2 entries of standard clusters). */
const OFFSET_HI_MASK = 0x00ffffff;
const OFFSET_LO_MASK = 0xfffffe00;
const COPIED_HI = 0x80000000;
const COMPRESSED_HI = 0x40000000;
const ZERO_LO = 1;

export class Qcow2Error extends Error {
  override name = 'Qcow2Error';
}

export interface Qcow2Header {
  version: number;
  clusterBits: number;
  size: number;
  l1Size: number;
  l1Offset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  /** Where autoclear_features is, to clear it when opened for writing (v3). */
  autoclear: bigint;
  headerLength: number;
  backingFile?: string;
  backingFormat?: string;
}

function u64(v: DataView, at: number, field: string, path: string): number {
  const x = v.getBigUint64(at, false);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new Qcow2Error(`${path}: qcow2 ${field} ${x} is out of range`);
  return Number(x);
}

/** Reads and checks the header and its extensions: one Qcow2Error line naming the field when
 *  something is wrong, before anything is allocated from the file's numbers. */
export function readQcow2Header(fd: number, path: string): Qcow2Header {
  const fileSize = fs.fstatSync(fd).size;
  const head = new Uint8Array(HEADER_V3_MIN_LENGTH);
  readAll(fd, head, 0, head.length, 0);
  const v = new DataView(head.buffer);
  if (fileSize < HEADER_V2_LENGTH || v.getUint32(0, false) !== MAGIC) throw new Qcow2Error(`${path}: not a qcow2 image (no QFI\\xfb magic)`);
  const version = v.getUint32(4, false);
  if (version !== 2 && version !== 3) throw new Qcow2Error(`${path}: qcow2 version ${version} is not supported (2 or 3)`);
  const clusterBits = v.getUint32(20, false);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS)
    throw new Qcow2Error(`${path}: qcow2 cluster_bits ${clusterBits} outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`);
  const cluster = 2 ** clusterBits;
  if (v.getUint32(32, false) !== 0) throw new Qcow2Error(`${path}: encrypted qcow2 images are not supported`);
  const size = u64(v, 24, 'size', path);
  if (size > MAX_VIRTUAL_SIZE) throw new Qcow2Error(`${path}: qcow2 size ${size} is too large`);
  if (v.getUint32(60, false) !== 0) throw new Qcow2Error(`${path}: qcow2 internal snapshots are not supported (qemu-img snapshot -l ${path})`);
  const h: Qcow2Header = {
    version,
    clusterBits,
    size,
    l1Size: v.getUint32(36, false),
    l1Offset: u64(v, 40, 'l1_table_offset', path),
    refcountTableOffset: u64(v, 48, 'refcount_table_offset', path),
    refcountTableClusters: v.getUint32(56, false),
    autoclear: 0n,
    headerLength: HEADER_V2_LENGTH,
  };
  if (version === 3) {
    if (fileSize < HEADER_V3_MIN_LENGTH) throw new Qcow2Error(`${path}: truncated qcow2 v3 header (${fileSize} bytes)`);
    const incompat = v.getBigUint64(72, false);
    if (incompat & INCOMPAT_DIRTY) throw new Qcow2Error(`${path}: qcow2 dirty bit set (lazy refcounts after a crash): run qemu-img check -r all ${path}`);
    if (incompat & INCOMPAT_CORRUPT) throw new Qcow2Error(`${path}: qcow2 image is marked corrupt: run qemu-img check -r all ${path}`);
    if (incompat & INCOMPAT_DATA_FILE) throw new Qcow2Error(`${path}: qcow2 external data files are not supported`);
    if (incompat & INCOMPAT_COMPRESSION) throw new Qcow2Error(`${path}: qcow2 compression types other than zlib are not supported`);
    if (incompat & INCOMPAT_EXTL2) throw new Qcow2Error(`${path}: qcow2 extended L2 entries are not supported`);
    if (incompat !== 0n) throw new Qcow2Error(`${path}: unknown qcow2 incompatible features 0x${incompat.toString(16)}`);
    h.autoclear = v.getBigUint64(88, false);
    const order = v.getUint32(96, false);
    if (order !== REFCOUNT_ORDER) throw new Qcow2Error(`${path}: qcow2 refcount_order ${order} is not supported (only 16-bit refcounts, qemu-img's default)`);
    h.headerLength = v.getUint32(100, false);
    if (h.headerLength < HEADER_V3_MIN_LENGTH || h.headerLength > cluster || h.headerLength % 8 !== 0)
      throw new Qcow2Error(`${path}: qcow2 header_length ${h.headerLength} is invalid`);
  }
  const l2Entries = cluster / 8;
  const needL1 = Math.ceil(size / (cluster * l2Entries));
  if (h.l1Size < needL1) throw new Qcow2Error(`${path}: qcow2 l1_size ${h.l1Size} is too small for size ${size} (needs ${needL1})`);
  if (h.l1Size * 8 > MAX_L1_BYTES) throw new Qcow2Error(`${path}: qcow2 l1_size ${h.l1Size} exceeds ${MAX_L1_BYTES / 8}`);
  checkTable(path, 'L1 table', h.l1Offset, h.l1Size * 8, cluster, fileSize);
  if (h.refcountTableClusters === 0 || h.refcountTableClusters * cluster > MAX_REFTABLE_BYTES)
    throw new Qcow2Error(`${path}: qcow2 refcount_table_clusters ${h.refcountTableClusters} is invalid`);
  checkTable(path, 'refcount table', h.refcountTableOffset, h.refcountTableClusters * cluster, cluster, fileSize);
  readExtensions(fd, path, h, cluster, fileSize);
  const backingOffset = u64(v, 8, 'backing_file_offset', path);
  if (backingOffset !== 0) {
    const n = v.getUint32(16, false);
    if (n === 0 || n > MAX_BACKING_NAME) throw new Qcow2Error(`${path}: qcow2 backing_file_size ${n} outside 1..${MAX_BACKING_NAME}`);
    if (backingOffset + n > cluster || backingOffset + n > fileSize) throw new Qcow2Error(`${path}: qcow2 backing file name lies outside the header cluster`);
    const name = new Uint8Array(n);
    readAll(fd, name, 0, n, backingOffset);
    h.backingFile = new TextDecoder('utf-8', { fatal: false }).decode(name);
    if (h.backingFile.includes('\0')) throw new Qcow2Error(`${path}: qcow2 backing file name contains a NUL byte`);
  }
  return h;
}

function checkTable(path: string, what: string, offset: number, bytes: number, cluster: number, fileSize: number): void {
  if (offset === 0 && bytes === 0) return;
  if (offset % cluster !== 0 || offset === 0)
    throw new Qcow2Error(`${path}: qcow2 ${what} offset ${offset} is not a non-zero multiple of the cluster size ${cluster}`);
  if (offset + bytes > fileSize) throw new Qcow2Error(`${path}: qcow2 ${what} (${bytes} bytes at ${offset}) lies past the end of the file (${fileSize} bytes)`);
}

/** Header extensions (type u32, length u32, data padded to 8) up to the end of the first cluster. */
function readExtensions(fd: number, path: string, h: Qcow2Header, cluster: number, fileSize: number): void {
  const end = Math.min(cluster, fileSize);
  let at = h.headerLength;
  const hdr = new Uint8Array(8);
  while (at + 8 <= end) {
    readAll(fd, hdr, 0, 8, at);
    const dv = new DataView(hdr.buffer);
    const type = dv.getUint32(0, false);
    const length = dv.getUint32(4, false);
    if (type === EXT_END) return;
    if (at + 8 + length > end) throw new Qcow2Error(`${path}: qcow2 header extension 0x${type.toString(16)} (${length} bytes) runs past the header cluster`);
    if (type === EXT_BACKING_FORMAT) {
      const name = new Uint8Array(length);
      readAll(fd, name, 0, length, at + 8);
      h.backingFormat = new TextDecoder().decode(name);
    }
    at += 8 + Math.ceil(length / 8) * 8;
  }
}

/**
 * A qcow2 image. `backing` is what unallocated clusters read (undefined: zeros); `writable`
 * false serves reads only.
 */
export class Qcow2Image implements DiskImage {
  readonly format = 'qcow2';
  readonly size: number;
  readonly header: Qcow2Header;
  private readonly fd: number;
  private readonly path: string;
  private readonly writable: boolean;
  private readonly backing: DiskImage | undefined;
  private readonly cluster: number;
  private readonly l2Bits: number;
  private readonly l1: Uint8Array;
  private readonly refTable: Uint8Array;
  private readonly refBlockEntries: number;
  /** L2 tables and refcount blocks by host offset: written through, so never dirty. */
  private readonly tables = new Map<number, Uint8Array>();
  /** Next host cluster to allocate: new clusters go at the end of the file. */
  private nextFree: number;

  constructor(fd: number, path: string, writable: boolean, backing: DiskImage | undefined) {
    this.fd = fd;
    this.path = path;
    this.writable = writable;
    this.backing = backing;
    const h = (this.header = readQcow2Header(fd, path));
    this.size = h.size;
    this.cluster = 2 ** h.clusterBits;
    this.l2Bits = h.clusterBits - 3;
    this.refBlockEntries = this.cluster / REFCOUNT_BYTES;
    this.l1 = new Uint8Array(h.l1Size * 8);
    readAll(fd, this.l1, 0, this.l1.length, h.l1Offset);
    this.refTable = new Uint8Array(h.refcountTableClusters * this.cluster);
    readAll(fd, this.refTable, 0, this.refTable.length, h.refcountTableOffset);
    this.nextFree = Math.ceil(fs.fstatSync(fd).size / this.cluster) * this.cluster;
    if (writable && h.version === 3 && h.autoclear !== 0n) {
      // Features we do not maintain (bitmaps, raw external data) must be marked stale (qcow2.txt
      // "autoclear_features").
      const zero = new Uint8Array(8);
      writeAll(fd, zero, 0, 8, 88);
    }
  }

  read(into: Uint8Array, off: number, n: number, pos: number): void {
    this.check(pos, n);
    while (n > 0) {
      const inCluster = pos % this.cluster;
      const len = Math.min(n, this.cluster - inCluster);
      this.readInCluster(into, off, len, pos);
      off += len;
      pos += len;
      n -= len;
    }
  }

  write(from: Uint8Array, off: number, n: number, pos: number): void {
    if (!this.writable) throw new Qcow2Error(`${this.path}: image is read-only`);
    this.check(pos, n);
    while (n > 0) {
      const inCluster = pos % this.cluster;
      const len = Math.min(n, this.cluster - inCluster);
      this.writeInCluster(from, off, len, pos);
      off += len;
      pos += len;
      n -= len;
    }
  }

  flush(): void {
    if (this.writable) fs.fsyncSync(this.fd);
  }

  private check(pos: number, n: number): void {
    if (pos < 0 || n < 0 || pos + n > this.size) throw new Qcow2Error(`${this.path}: access at ${pos} (+${n}) outside the image size ${this.size}`);
  }

  // ---- lookup ---------------------------------------------------------------------------------
  private l1Entry(index: number): { hi: number; lo: number } {
    const v = new DataView(this.l1.buffer, index * 8, 8);
    return { hi: v.getUint32(0, false), lo: v.getUint32(4, false) };
  }

  private hostOffset(hi: number, lo: number, what: string): number {
    const offset = (hi & OFFSET_HI_MASK) * 2 ** 32 + (lo & OFFSET_LO_MASK);
    if (offset % this.cluster !== 0) throw new Qcow2Error(`${this.path}: ${what} points to unaligned offset ${offset}`);
    return offset;
  }

  /** The host cluster of a standard L2 entry (0: none); one past the end of the image is
   *  corruption (qcow2.txt: offsets must point into the file), never followed. */
  private dataCluster(hi: number, lo: number, gc: number): number {
    const host = this.hostOffset(hi, lo, `L2 entry of guest cluster ${gc}`);
    if (host + this.cluster > this.nextFree) throw new Qcow2Error(`${this.path}: L2 entry of guest cluster ${gc} points past the end of the image (${host})`);
    return host;
  }

  /** The L2 table of guest cluster `gc`, or undefined when its L1 entry is empty. */
  private l2Table(gc: number): { table: Uint8Array; offset: number; l1Index: number } | undefined {
    const l1Index = Math.floor(gc / 2 ** this.l2Bits);
    const e = this.l1Entry(l1Index);
    const offset = this.hostOffset(e.hi, e.lo, `L1 entry ${l1Index}`);
    if (offset === 0) return undefined;
    return { table: this.table(offset, `L2 table of L1 entry ${l1Index}`), offset, l1Index };
  }

  private table(offset: number, what: string): Uint8Array {
    let t = this.tables.get(offset);
    if (t) return t;
    if (offset + this.cluster > fs.fstatSync(this.fd).size) throw new Qcow2Error(`${this.path}: ${what} at ${offset} lies past the end of the file`);
    t = new Uint8Array(this.cluster);
    readAll(this.fd, t, 0, this.cluster, offset);
    this.tables.set(offset, t);
    return t;
  }

  private readInCluster(into: Uint8Array, off: number, len: number, pos: number): void {
    const gc = Math.floor(pos / this.cluster);
    const l2 = this.l2Table(gc);
    if (!l2) return this.readBelow(into, off, len, pos);
    const i = gc % 2 ** this.l2Bits;
    const v = new DataView(l2.table.buffer, i * 8, 8);
    const hi = v.getUint32(0, false);
    const lo = v.getUint32(4, false);
    if (hi & COMPRESSED_HI) {
      const data = this.decompress(hi, lo, gc);
      into.set(data.subarray(pos % this.cluster, (pos % this.cluster) + len), off);
      return;
    }
    if (this.header.version === 3 && lo & ZERO_LO) {
      into.fill(0, off, off + len);
      return;
    }
    const host = this.dataCluster(hi, lo, gc);
    if (host === 0) return this.readBelow(into, off, len, pos);
    readAll(this.fd, into, off, len, host + (pos % this.cluster));
  }

  /** An unallocated range: the backing image's bytes, zeros past its end or without one. */
  private readBelow(into: Uint8Array, off: number, len: number, pos: number): void {
    const b = this.backing;
    const have = b ? Math.max(0, Math.min(len, b.size - pos)) : 0;
    if (have > 0) b!.read(into, off, have, pos);
    into.fill(0, off + have, off + len);
  }

  /** Compressed cluster descriptor (qcow2.txt "Compressed Clusters Descriptor"): x = 62 -
   *  (cluster_bits - 8) bits of host offset, then the count of additional 512-byte sectors. */
  private compressedRange(hi: number, lo: number): { offset: number; bytes: number } {
    const d = ((BigInt(hi) << 32n) | BigInt(lo)) & ((1n << 62n) - 1n);
    const x = BigInt(62 - (this.header.clusterBits - 8));
    const offset = Number(d & ((1n << x) - 1n));
    const sectors = Number(d >> x) + 1;
    return { offset, bytes: sectors * 512 - (offset % 512) };
  }

  private decompress(hi: number, lo: number, gc: number): Uint8Array {
    const { offset, bytes } = this.compressedRange(hi, lo);
    if (offset >= this.nextFree) throw new Qcow2Error(`${this.path}: compressed guest cluster ${gc} points past the end of the image (${offset})`);
    const raw = new Uint8Array(bytes);
    readAll(this.fd, raw, 0, bytes, offset);
    let out: Buffer;
    try {
      out = inflateRawSync(raw, { finishFlush: 2 /* Z_SYNC_FLUSH: the sectors may hold trailing bytes */, maxOutputLength: this.cluster });
    } catch (err) {
      throw new Qcow2Error(`${this.path}: compressed guest cluster ${gc} does not inflate: ${(err as Error).message}`);
    }
    const data = new Uint8Array(this.cluster);
    data.set(out.subarray(0, this.cluster));
    return data;
  }

  // ---- allocation -----------------------------------------------------------------------------
  private writeInCluster(from: Uint8Array, off: number, len: number, pos: number): void {
    const gc = Math.floor(pos / this.cluster);
    const inCluster = pos % this.cluster;
    const l2 = this.l2Table(gc) ?? this.newL2Table(gc);
    const i = gc % 2 ** this.l2Bits;
    const entryAt = l2.offset + i * 8;
    const v = new DataView(l2.table.buffer, i * 8, 8);
    const hi = v.getUint32(0, false);
    const lo = v.getUint32(4, false);
    const compressed = (hi & COMPRESSED_HI) !== 0;
    const zero = !compressed && this.header.version === 3 && (lo & ZERO_LO) !== 0;
    const host = compressed ? 0 : this.dataCluster(hi, lo, gc);
    if (host !== 0 && !zero && (hi & COPIED_HI || this.refcount(host) === 1)) {
      // Ours alone: in place. (COPIED is set on every cluster we allocate; a refcount of 1 without
      // it is a cluster another tool left unflagged.)
      writeAll(this.fd, from, off, len, host + inCluster);
      return;
    }
    // Copy on write: the whole cluster as it reads now, with the new bytes, to a fresh cluster.
    const data = new Uint8Array(this.cluster);
    if (len < this.cluster) this.readInCluster(data, 0, this.cluster, gc * this.cluster);
    data.set(from.subarray(off, off + len), inCluster);
    const fresh = this.allocate();
    writeAll(this.fd, data, 0, this.cluster, fresh);
    this.setRefcount(fresh, 1);
    this.setEntry(l2.table, i * 8, entryAt, fresh);
    // What the entry pointed to before loses a reference (a shared or compressed cluster; a zero
    // cluster's preallocated one).
    if (compressed) {
      const { offset, bytes } = this.compressedRange(hi, lo);
      for (let c = offset - (offset % this.cluster); c < offset + bytes; c += this.cluster) this.release(c);
    } else if (host !== 0) this.release(host);
  }

  private newL2Table(gc: number): { table: Uint8Array; offset: number; l1Index: number } {
    const l1Index = Math.floor(gc / 2 ** this.l2Bits);
    const table = new Uint8Array(this.cluster);
    const offset = this.allocate();
    writeAll(this.fd, table, 0, this.cluster, offset);
    this.setRefcount(offset, 1);
    this.tables.set(offset, table);
    this.setEntry(this.l1, l1Index * 8, this.header.l1Offset + l1Index * 8, offset);
    return { table, offset, l1Index };
  }

  /** Points an L1 or L2 entry at `host` with COPIED set (refcount exactly 1), in the file first. */
  private setEntry(table: Uint8Array, at: number, fileOffset: number, host: number): void {
    const e = new Uint8Array(8);
    const v = new DataView(e.buffer);
    v.setUint32(0, (COPIED_HI | Math.floor(host / 2 ** 32)) >>> 0, false);
    v.setUint32(4, host % 2 ** 32, false);
    writeAll(this.fd, e, 0, 8, fileOffset);
    table.set(e, at);
  }

  private allocate(): number {
    const at = this.nextFree;
    this.nextFree += this.cluster;
    return at;
  }

  private refcount(host: number): number {
    const c = host / this.cluster;
    const blockIndex = Math.floor(c / this.refBlockEntries);
    const block = this.refBlockAt(blockIndex);
    if (block === undefined) return 0;
    return new DataView(this.table(block, `refcount block ${blockIndex}`).buffer).getUint16((c % this.refBlockEntries) * REFCOUNT_BYTES, false);
  }

  private refBlockAt(blockIndex: number): number | undefined {
    if ((blockIndex + 1) * 8 > this.refTable.length) return undefined;
    const v = new DataView(this.refTable.buffer, blockIndex * 8, 8);
    const offset = v.getUint32(0, false) * 2 ** 32 + v.getUint32(4, false);
    if (offset === 0) return undefined;
    if (offset % this.cluster !== 0) throw new Qcow2Error(`${this.path}: refcount table entry ${blockIndex} points to unaligned offset ${offset}`);
    return offset;
  }

  private release(host: number): void {
    const n = this.refcount(host);
    if (n > 0) this.setRefcount(host, n - 1);
  }

  private setRefcount(host: number, value: number): void {
    const c = host / this.cluster;
    const blockIndex = Math.floor(c / this.refBlockEntries);
    let block = this.refBlockAt(blockIndex);
    if (block === undefined) block = this.newRefcountBlock(blockIndex);
    const t = this.table(block, `refcount block ${blockIndex}`);
    const at = (c % this.refBlockEntries) * REFCOUNT_BYTES;
    const e = new Uint8Array(REFCOUNT_BYTES);
    new DataView(e.buffer).setUint16(0, value, false);
    writeAll(this.fd, e, 0, REFCOUNT_BYTES, block + at);
    t.set(e, at);
  }

  /** A refcount block for clusters [blockIndex * entries, …): placed at the end of the file and
   *  counting itself when it lies in its own range, else counted by the block that covers it. */
  private newRefcountBlock(blockIndex: number): number {
    if ((blockIndex + 1) * 8 > this.refTable.length) throw new Qcow2Error(`${this.path}: the refcount table is full (growing it is not supported)`);
    const offset = this.allocate();
    const block = new Uint8Array(this.cluster);
    const own = offset / this.cluster;
    const selfCounted = Math.floor(own / this.refBlockEntries) === blockIndex;
    if (selfCounted) new DataView(block.buffer).setUint16((own % this.refBlockEntries) * REFCOUNT_BYTES, 1, false);
    writeAll(this.fd, block, 0, this.cluster, offset);
    if (!selfCounted) this.setRefcount(offset, 1);
    this.tables.set(offset, block);
    const e = new Uint8Array(8);
    const v = new DataView(e.buffer);
    v.setUint32(0, Math.floor(offset / 2 ** 32), false);
    v.setUint32(4, offset % 2 ** 32, false);
    writeAll(this.fd, e, 0, 8, this.header.refcountTableOffset + blockIndex * 8);
    this.refTable.set(e, blockIndex * 8);
    return offset;
  }
}

/** Cluster size of the overlays we create (qemu-img's default). */
const NEW_CLUSTER_BITS = 16;
const HEADER_V3_LENGTH = 112;

/**
 * Writes a new, empty qcow2 v3 overlay of `size` bytes on `backing` (stored as given: QEMU and we
 * resolve a relative name against the overlay's directory) at `file`, refusing an existing file.
 * Layout: header cluster (header, backing-format extension, backing name), refcount table,
 * one refcount block, L1 table; those clusters have refcount 1.
 */
export function createQcow2Overlay(file: string, size: number, backing: string, backingFormat: string): void {
  const image = emptyOverlay(file, size, backing, backingFormat);
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    writeAll(fd, image, 0, image.length, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `disk reset` of a powered-off VM: the overlay open (and locked) at `fd` becomes empty again,
 * keeping its size and backing file: everything written since it was made is discarded. Returns
 * the backing file's name as stored. Refuses an image without a backing file.
 */
export function resetQcow2Overlay(fd: number, file: string): string {
  const h = readQcow2Header(fd, file);
  if (h.backingFile === undefined) throw new Qcow2Error(`${file}: no backing file, so nothing to reset to`);
  const image = emptyOverlay(file, h.size, h.backingFile, h.backingFormat ?? imageFormat(h.backingFile));
  fs.ftruncateSync(fd, 0);
  writeAll(fd, image, 0, image.length, 0);
  fs.fsyncSync(fd);
  return h.backingFile;
}

/** The clusters of an empty overlay (layout: createQcow2Overlay). */
function emptyOverlay(file: string, size: number, backing: string, backingFormat: string): Uint8Array {
  const cluster = 2 ** NEW_CLUSTER_BITS;
  const l2Entries = cluster / 8;
  const l1Size = Math.max(1, Math.ceil(size / (cluster * l2Entries)));
  const l1Clusters = Math.ceil((l1Size * 8) / cluster);
  const refTableAt = cluster;
  const refBlockAt = 2 * cluster;
  const l1At = 3 * cluster;
  const clusters = 3 + l1Clusters;
  if (clusters > cluster / REFCOUNT_BYTES) throw new Qcow2Error(`${file}: size ${size} is too large for a new overlay`);
  const name = new TextEncoder().encode(backing);
  const format = new TextEncoder().encode(backingFormat);
  const formatExtAt = HEADER_V3_LENGTH;
  const endExtAt = formatExtAt + 8 + Math.ceil(format.length / 8) * 8;
  const nameAt = endExtAt + 8;
  if (name.length === 0 || name.length > MAX_BACKING_NAME || nameAt + name.length > cluster)
    throw new Qcow2Error(`${file}: backing file name of ${name.length} bytes (1..${MAX_BACKING_NAME})`);
  const image = new Uint8Array(clusters * cluster);
  const v = new DataView(image.buffer);
  v.setUint32(0, MAGIC, false);
  v.setUint32(4, 3, false);
  v.setBigUint64(8, BigInt(nameAt), false);
  v.setUint32(16, name.length, false);
  v.setUint32(20, NEW_CLUSTER_BITS, false);
  v.setBigUint64(24, BigInt(size), false);
  v.setUint32(36, l1Size, false);
  v.setBigUint64(40, BigInt(l1At), false);
  v.setBigUint64(48, BigInt(refTableAt), false);
  v.setUint32(56, 1, false);
  v.setUint32(96, REFCOUNT_ORDER, false);
  v.setUint32(100, HEADER_V3_LENGTH, false);
  v.setUint32(formatExtAt, EXT_BACKING_FORMAT, false);
  v.setUint32(formatExtAt + 4, format.length, false);
  image.set(format, formatExtAt + 8);
  // (an all-zero 8-byte extension header at endExtAt ends the list)
  image.set(name, nameAt);
  v.setBigUint64(refTableAt, BigInt(refBlockAt), false);
  for (let c = 0; c < clusters; c++) v.setUint16(refBlockAt + c * REFCOUNT_BYTES, 1, false);
  return image;
}
