// virtio-blk (virtio 1.2 §5.2) on a host disk image (disk-image.ts: raw, or a qcow2 overlay on a
// read-only backing file, qcow2.ts), with synchronous fs calls (the worker has nothing else to do
// while the guest waits). Data moves between the image and guest RAM in place. The serial id
// (VIRTIO_BLK_T_GET_ID) is `cobd<index>` so the guest's init can map the coLinux device names.

import fs from 'node:fs';
import path from 'node:path';
import { RawImage, imageFormat, type DiskImage, type ImageFormat } from './disk-image.ts';
import { Qcow2Error, Qcow2Image, readQcow2Header } from './qcow2.ts';
import type { Chain } from './virtqueue.ts';
import { readChain, writeChain } from './virtqueue.ts';
import { VIRTIO_ID_BLOCK, type Plain, type VirtioContext, type VirtioDevice } from './virtio-device.ts';
import { lockImage } from './image-lock.ts';

const F_SEG_MAX = 1 << 2;
const F_RO = 1 << 5;
const F_BLK_SIZE = 1 << 6;
const F_FLUSH = 1 << 9;
const T_IN = 0;
const T_OUT = 1;
const T_FLUSH = 4;
const T_GET_ID = 8;
const S_OK = 0;
const S_IOERR = 1;
const S_UNSUPP = 2;
const SECTOR = 512;
const SEG_MAX = 126;
const ID_BYTES = 20;

export interface BlockImage {
  index: number;
  path: string;
  readOnly: boolean;
  /** An image the manager already opened and locked (manager/disk-images.ts); it stays the
   *  manager's to close, after this worker has exited. Absent: the device opens `path` itself. */
  fd?: number;
  /** A qcow2 image's backing file, opened read-only and locked with it (openImageChain). */
  backing?: BackingFile;
}

/** A backing file in a chain: always read-only; `format` from the overlay's header. */
export interface BackingFile {
  path: string;
  fd: number;
  format: ImageFormat;
  backing?: BackingFile;
}

/** Backing files below one overlay, at most (QEMU has no limit; a loop must end somewhere). */
const MAX_CHAIN = 16;

/** The image is locked by another VM (ours or QEMU): image-lock.ts. */
export class ImageInUseError extends Error {
  override name = 'ImageInUseError';
  readonly index: number;
  readonly path: string;
  readonly fd: number;
  constructor(image: BlockImage, fd: number) {
    super(`cobd${image.index}: image ${image.path} is in use by another VM`);
    this.index = image.index;
    this.path = image.path;
    this.fd = fd;
  }
}

/**
 * Opens and locks an image: read-write unless asked for read-only or the file is not writable
 * (then read-only, as coLinux did). Throws one clear line (unit and path) when it is missing or
 * unreadable, and ImageInUseError (with the descriptor still open, for the caller to find the
 * holder and then close it) when another VM holds it in a conflicting way.
 */
export function openImage(image: BlockImage): { fd: number; readOnly: boolean } {
  let readOnly = image.readOnly;
  let fd: number;
  try {
    fd = fs.openSync(image.path, readOnly ? 'r' : 'r+');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!readOnly && (code === 'EACCES' || code === 'EROFS' || code === 'EPERM')) {
      fd = openOrThrow(image);
      readOnly = true;
    } else {
      throw new Error(`cobd${image.index}: cannot open image ${image.path}: ${code ?? String(err)}`);
    }
  }
  let locked: boolean;
  try {
    locked = lockImage(fd, readOnly);
  } catch (err) {
    fs.closeSync(fd);
    throw new Error(`cobd${image.index}: ${image.path}: ${(err as Error).message}`);
  }
  if (!locked) throw new ImageInUseError(image, fd);
  return { fd, readOnly };
}

/**
 * openImage, and for a qcow2 image its backing chain too: each backing file opened read-only and
 * locked shared (another VM may read it, none may write it while we use it). Returns every
 * descriptor opened, for the caller to close; throws one line naming the unit and file.
 */
export function openImageChain(image: BlockImage): { fd: number; readOnly: boolean; backing?: BackingFile; fds: number[] } {
  const top = openImage(image);
  const fds = [top.fd];
  try {
    let below: BackingFile | undefined;
    let link: { backing?: BackingFile } | undefined;
    let file = image.path;
    let format = imageFormat(image.path);
    let fd = top.fd;
    for (let depth = 0; format === 'qcow2'; depth++) {
      const header = qcow2Header(image.index, fd, file);
      if (header.backingFile === undefined) break;
      if (depth >= MAX_CHAIN) throw new Error(`cobd${image.index}: ${image.path}: more than ${MAX_CHAIN} backing files`);
      const next = path.resolve(path.dirname(file), header.backingFile);
      const nextFormat = header.backingFormat ?? imageFormat(next);
      if (nextFormat !== 'raw' && nextFormat !== 'qcow2')
        throw new Error(`cobd${image.index}: ${file}: backing file ${next} has format '${nextFormat}' (raw or qcow2 only)`);
      let opened;
      try {
        fs.accessSync(next, fs.constants.R_OK);
      } catch (err) {
        throw new Error(`cobd${image.index}: ${file}: cannot open its backing file ${next}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      try {
        opened = openImage({ index: image.index, path: next, readOnly: true });
      } catch (err) {
        if (err instanceof ImageInUseError) fds.push(err.fd);
        throw err;
      }
      fds.push(opened.fd);
      const b: BackingFile = { path: next, fd: opened.fd, format: nextFormat };
      if (link) link.backing = b;
      else below = b;
      link = b;
      file = next;
      format = nextFormat;
      fd = opened.fd;
    }
    return below ? { fd: top.fd, readOnly: top.readOnly, backing: below, fds } : { fd: top.fd, readOnly: top.readOnly, fds };
  } catch (err) {
    // The caller names an ImageInUseError's holder through its descriptor: keep that one open.
    for (const fd of fds) if (!(err instanceof ImageInUseError && err.fd === fd)) fs.closeSync(fd);
    throw err;
  }
}

function qcow2Header(index: number, fd: number, file: string) {
  try {
    return readQcow2Header(fd, file);
  } catch (err) {
    throw err instanceof Qcow2Error ? new Error(`cobd${index}: ${err.message}`) : err;
  }
}

/** The DiskImage over an opened chain. */
export function diskImage(fd: number, file: string, format: ImageFormat, writable: boolean, backing: BackingFile | undefined): DiskImage {
  if (format === 'raw') return new RawImage(fd, writable);
  return new Qcow2Image(fd, file, writable, backing && diskImage(backing.fd, backing.path, backing.format, false, backing.backing));
}

export class VirtioBlock implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly name: string;
  readonly queueSizes = [128];
  readonly features: number;
  readonly config = new Uint8Array(24);
  readonly readOnly: boolean;
  image: DiskImage;
  /** Descriptors close() closes: those of an image chain this device opened itself. */
  private readonly ownFds: number[];
  private readonly sectors: number;
  private readonly serial: Uint8Array;
  private context!: VirtioContext;
  /** The host error last logged; cleared by the next request that succeeds. */
  private hostError: string | undefined;

  constructor(image: BlockImage) {
    this.name = `blk${image.index}`;
    let fd: number;
    let backing = image.backing;
    if (image.fd !== undefined) {
      fd = image.fd;
      this.readOnly = image.readOnly;
      this.ownFds = [];
    } else {
      let opened;
      try {
        opened = openImageChain(image);
      } catch (err) {
        if (err instanceof ImageInUseError) fs.closeSync(err.fd);
        throw err;
      }
      fd = opened.fd;
      backing = opened.backing;
      this.readOnly = opened.readOnly;
      this.ownFds = opened.fds;
    }
    try {
      this.image = diskImage(fd, image.path, imageFormat(image.path), !this.readOnly, backing);
    } catch (err) {
      this.close();
      throw err instanceof Qcow2Error ? new Error(`cobd${image.index}: ${err.message}`) : err;
    }
    this.sectors = Math.floor(this.image.size / SECTOR);
    this.features = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (this.readOnly ? F_RO : 0);
    const v = new DataView(this.config.buffer);
    v.setUint32(0, this.sectors % 0x1_0000_0000, true);
    v.setUint32(4, Math.floor(this.sectors / 0x1_0000_0000), true);
    v.setUint32(12, SEG_MAX, true);
    v.setUint32(20, SECTOR, true);
    this.serial = new TextEncoder().encode(`cobd${image.index}`);
  }

  activate(context: VirtioContext): void {
    this.context = context;
  }

  reset(): void {}

  /** Nothing beyond the transport's state: requests complete before the next guest instruction,
   *  and the data is the image's (the one whose path the restored device opens). */
  save(): Plain {
    return {};
  }

  restore(): void {}

  close(): void {
    for (const fd of this.ownFds.splice(0)) fs.closeSync(fd);
  }

  /** `disk snapshot` (qcow2.md): from now on the guest writes into the new, empty qcow2 overlay
   *  `fd` (opened and locked by the manager), whose backing file is the image so far. Called
   *  between requests (the worker runs one thing at a time), after a flush of the old image. */
  pushOverlay(fd: number, file: string): void {
    if (this.readOnly) throw new Error(`cobd${this.name.slice(3)} is read-only`);
    const top = new Qcow2Image(fd, file, true, this.image);
    if (top.size !== this.image.size) throw new Error(`${file}: size ${top.size} differs from the disk's ${this.image.size}`);
    this.image.flush();
    this.image = top;
  }

  /** Serve one request (§5.2.6); returns the bytes written into the chain. */
  serve(_queue: number, chain: Chain): number {
    const ram = this.context.ram;
    const last = chain.writable[chain.writable.length - 1];
    // Without a header and a status byte there is nowhere to report anything: complete it empty.
    if (chain.readableLength < 16 || !last || last.len < 1) return 0;
    const header = new DataView(readChain(ram, chain, 16).buffer);
    const type = header.getUint32(0, true);
    const sector = header.getUint32(8, true) + header.getUint32(12, true) * 0x1_0000_0000;
    const statusOff = last.off + last.len - 1;
    const dataIn = chain.writableLength - 1;
    let status = S_OK;
    let written = 0;
    try {
      switch (type) {
        case T_IN:
          if (dataIn % SECTOR || !this.inRange(sector, dataIn)) {
            status = S_IOERR;
            break;
          }
          written = this.transfer(chain, sector, 'in');
          break;
        case T_OUT: {
          const dataOut = chain.readableLength - 16;
          if (this.readOnly || dataOut % SECTOR || !this.inRange(sector, dataOut)) {
            status = S_IOERR;
            break;
          }
          this.transfer(chain, sector, 'out');
          break;
        }
        case T_FLUSH:
          this.image.flush();
          break;
        case T_GET_ID: {
          const id = new Uint8Array(ID_BYTES);
          id.set(this.serial);
          written = writeChain(ram, chain, id.subarray(0, Math.min(ID_BYTES, dataIn)));
          break;
        }
        default:
          status = S_UNSUPP;
      }
    } catch (err) {
      // A host error (ENOSPC on a full disk, EIO) fails this request only: the guest sees an I/O
      // error (§5.2.6, VIRTIO_BLK_S_IOERR) and the device keeps serving, so the next request
      // succeeds once the host has room again (QEMU's werror=report). Logged once per error
      // until a request succeeds, as a guest may retry thousands of times.
      const message = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      if (message !== this.hostError) this.context.log(`${this.name}: host I/O error at sector ${sector}: ${message}; request failed with IOERR`);
      this.hostError = message;
      ram.bytes[statusOff] = S_IOERR;
      return 1;
    }
    if (status === S_OK) this.hostError = undefined;
    ram.bytes[statusOff] = status;
    return written + 1;
  }

  private inRange(sector: number, bytes: number): boolean {
    return sector + bytes / SECTOR <= this.sectors;
  }

  /** Move data between the file and the chain's data segments, in place. */
  private transfer(chain: Chain, sector: number, dir: 'in' | 'out'): number {
    const bytes = this.context.ram.bytes;
    let pos = sector * SECTOR;
    let moved = 0;
    if (dir === 'in') {
      let remaining = chain.writableLength - 1;
      for (const s of chain.writable) {
        const n = Math.min(s.len, remaining);
        if (n > 0) this.image.read(bytes, s.off, n, pos);
        pos += n;
        moved += n;
        remaining -= n;
      }
    } else {
      let skip = 16;
      for (const s of chain.readable) {
        const from = Math.min(skip, s.len);
        skip -= from;
        const n = s.len - from;
        if (n > 0) this.image.write(bytes, s.off + from, n, pos);
        pos += n;
        moved += n;
      }
    }
    return moved;
  }
}

function openOrThrow(image: BlockImage): number {
  try {
    return fs.openSync(image.path, 'r');
  } catch (err) {
    throw new Error(`cobd${image.index}: cannot open image ${image.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
