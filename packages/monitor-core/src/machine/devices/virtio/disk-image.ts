// What virtio-blk reads and writes through (block.ts): a raw image file, or a qcow2 overlay on a
// read-only backing image (qcow2.ts). All calls are synchronous, as the device's are.
import fs from 'node:fs';

export type ImageFormat = 'raw' | 'qcow2';

export interface DiskImage {
  readonly format: ImageFormat;
  /** Guest-visible size in bytes. */
  readonly size: number;
  /** Fills into[off, off+n) with the guest bytes at `pos`. */
  read(into: Uint8Array, off: number, n: number, pos: number): void;
  /** Stores from[off, off+n) at guest byte `pos`. */
  write(from: Uint8Array, off: number, n: number, pos: number): void;
  /** Makes every completed write durable (VIRTIO_BLK_T_FLUSH). */
  flush(): void;
}

/**
 * The format of an image: qcow2 when its name ends in `.qcow2`, raw otherwise. Never guessed from
 * the content: a guest can write a qcow2 header into a raw disk, and an image probed as qcow2
 * would then read any host file the guest named as its backing file (QEMU's format-probing
 * warning, docs/system/qemu-block-drivers.rst "raw").
 */
export function imageFormat(path: string): ImageFormat {
  return path.endsWith('.qcow2') ? 'qcow2' : 'raw';
}

/** A raw image: guest byte N is file byte N. */
export class RawImage implements DiskImage {
  readonly format = 'raw';
  readonly size: number;
  private readonly fd: number;
  private readonly writable: boolean;

  constructor(fd: number, writable: boolean) {
    this.fd = fd;
    this.writable = writable;
    this.size = fs.fstatSync(fd).size;
  }

  read(into: Uint8Array, off: number, n: number, pos: number): void {
    readAll(this.fd, into, off, n, pos);
  }

  write(from: Uint8Array, off: number, n: number, pos: number): void {
    writeAll(this.fd, from, off, n, pos);
  }

  flush(): void {
    if (this.writable) fs.fsyncSync(this.fd);
  }
}

/** pread until `n` bytes; past the end of the file (one that shrank under us, or a backing file
 *  shorter than its overlay), zeros. */
export function readAll(fd: number, into: Uint8Array, off: number, n: number, pos: number): void {
  let done = 0;
  while (done < n) {
    const got = fs.readSync(fd, into, off + done, n - done, pos + done);
    if (got === 0) {
      into.fill(0, off + done, off + n);
      return;
    }
    done += got;
  }
}

/** pwrite until `n` bytes: a write that fills the host disk can be short, and the next call
 *  then reports why (ENOSPC), which fails the request. */
export function writeAll(fd: number, from: Uint8Array, off: number, n: number, pos: number): void {
  let done = 0;
  while (done < n) done += fs.writeSync(fd, from, off + done, n - done, pos + done);
}
