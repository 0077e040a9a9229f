// A Linux TAP interface (Documentation/networking/tuntap.rst): open /dev/net/tun, TUNSETIFF with
// IFF_TAP|IFF_NO_PI so every read/write is exactly one Ethernet frame. libuv cannot poll a
// character device, so frames are read by a worker thread that blocks in poll(2) and batches
// every frame already queued into one buffer of [u32 big-endian length][frame] records (the
// QEMU stream framing, QEMU net/stream.c).
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as libc from './libc.ts';

const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFNAMSIZ = 16;

export interface TapDeviceOptions {
  /** Write frame batches straight to this fd from the worker (e.g. 1 for stdout) instead of
   *  posting them to this thread. */
  sinkFd?: number;
}

export class TapDevice {
  readonly name: string;
  readonly fd: number;
  private worker: Worker | undefined;
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;
  droppedWrites = 0;

  private constructor(name: string, fd: number) {
    this.name = name;
    this.fd = fd;
  }

  static open(name: string): TapDevice {
    const bytes = Buffer.from(name, 'utf8');
    if (bytes.length === 0 || bytes.length >= IFNAMSIZ) {
      throw new Error(`TAP interface name '${name}' must be 1-${IFNAMSIZ - 1} bytes`);
    }
    const fd = libc.open('/dev/net/tun', libc.O_RDWR | libc.O_CLOEXEC);
    const ifr = new Uint8Array(40); // struct ifreq: ifr_name[16] then ifr_flags (short)
    ifr.set(bytes, 0);
    new DataView(ifr.buffer).setUint16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
    if (libc.ioctl(fd, TUNSETIFF, ifr) < 0) {
      const why = libc.lastError();
      libc.close(fd);
      throw new Error(`TUNSETIFF for TAP interface '${name}' failed: ${why}`);
    }
    const end = ifr.indexOf(0);
    const actual = Buffer.from(ifr.subarray(0, end < 0 ? IFNAMSIZ : end)).toString('utf8');
    libc.setNonBlocking(fd);
    return new TapDevice(actual, fd);
  }

  /** Starts the reader. onBatch gets [u32 BE length][frame]... records (not with sinkFd). */
  startReading(onBatch: (batch: Uint8Array) => void, opts: TapDeviceOptions = {}): void {
    if (this.worker) throw new Error(`TAP ${this.name} is already being read`);
    this.worker = new Worker(new URL('./tap-reader.ts', import.meta.url), {
      workerData: { fd: this.fd, stop: this.stop, sinkFd: opts.sinkFd ?? -1 },
    });
    this.worker.on('message', (m: Uint8Array) => onBatch(m));
    this.worker.on('error', (e) => {
      throw e;
    });
    this.worker.unref();
  }

  /** Writes one frame; the kernel takes it synchronously (tun_get_user), so the buffer is free
   *  again on return. */
  write(frame: Uint8Array): void {
    try {
      fs.writeSync(this.fd, frame);
    } catch {
      this.droppedWrites++;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.stop, 0, 1);
    if (this.worker) await this.worker.terminate();
    libc.close(this.fd);
  }
}

/** Splits [u32 BE length][frame] records; returns the bytes consumed (a partial tail is left). */
export function forEachFrame(buf: Uint8Array, fn: (frame: Uint8Array) => void): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (buf.length - off >= 4) {
    const len = view.getUint32(off);
    if (buf.length - off - 4 < len) break;
    fn(buf.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return off;
}
