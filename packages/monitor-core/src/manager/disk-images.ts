// The disk images of one monitor, opened and locked by the manager (the process that owns the
// VM) before its machine worker starts, and closed only after that worker has exited: a worker
// shares the process's descriptor table, so a descriptor closed while it may still write could
// be reused by another file. The locks (machine/devices/virtio/image-lock.ts) are released with
// the descriptors: monitor closed (power off, daemon gone or killed, manager stopping), or the
// manager process ending in any way. RESET (reboot) keeps them: the VM still owns its disks.
import fs from 'node:fs';
import path from 'node:path';
import { ImageInUseError, openImage, openImageChain, type BlockImage } from '../machine/devices/virtio/block.ts';
import { imageFormat } from '../machine/devices/virtio/disk-image.ts';
import { createQcow2Overlay, readQcow2Header } from '../machine/devices/virtio/qcow2.ts';

interface Holder {
  monitor: number;
  readOnly: boolean;
}
type MonitorImage = BlockImage & { aliases: string[] };

/** Images open in this process, by device and inode: which monitors hold each, for the refusal. */
const holders = new Map<string, Holder[]>();

function fileKey(st: fs.Stats): string {
  return `${st.dev}:${st.ino}`;
}

/** Who else has the file open, from /proc: "monitor N (read-write)" for another monitor's process
 *  (docs/manager.md "Monitor processes"), else "pid N (comm)" (a QEMU, say). */
function otherProcessesWith(st: fs.Stats): string[] {
  const found: string[] = [];
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    const hit = fds.find((fd) => {
      try {
        const s = fs.statSync(`/proc/${pid}/fd/${fd}`);
        return s.dev === st.dev && s.ino === st.ino;
      } catch {
        return false;
      }
    });
    if (hit !== undefined) found.push(holderName(pid, hit));
  }
  return found;
}

/** A monitor process's id from its command line (`colinux-monitor-core … --monitor <id>`). */
const MONITOR_ARGS = /colinux-monitor-core(?:\.js)?\0--monitor\0(\d+)\0/;

function holderName(pid: string, fd: string): string {
  const read = (file: string): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/${file}`, 'latin1');
    } catch {
      return ''; // it just ended
    }
  };
  const monitor = MONITOR_ARGS.exec(read('cmdline'))?.[1];
  if (monitor) {
    // proc(5) fdinfo "flags:" is octal; the access mode is its low two bits (O_RDONLY 0, O_RDWR 2).
    const flags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(read(`fdinfo/${fd}`))?.[1] ?? '0', 8);
    return `monitor ${monitor} (${(flags & 3) === 0 ? 'read-only' : 'read-write'})`;
  }
  const comm = read('comm').trim();
  return comm ? `pid ${pid} (${comm})` : `pid ${pid}`;
}

function refusal(err: ImageInUseError): string {
  const st = fs.fstatSync(err.fd);
  const mine = holders.get(fileKey(st))?.[0];
  const head = `cobd${err.index}: image ${err.path} is in use`;
  if (mine) return `${head} by monitor ${mine.monitor} (${mine.readOnly ? 'read-only' : 'read-write'}); two VMs must not share a writable disk`;
  const others = otherProcessesWith(st);
  return `${head} by ${others.length ? others.join(', ') : 'another process'}; two VMs must not share a writable disk`;
}

export class DiskImages {
  /** The block devices as the machine worker gets them: with the descriptor and effective mode. */
  readonly devices: MonitorImage[];
  private readonly monitor: number;
  private readonly keys: string[];
  /** Backing files of qcow2 overlays (read-only, shared locks): closed with the images. */
  private readonly backingFds: number[] = [];
  private closed = false;

  private constructor(monitor: number) {
    this.monitor = monitor;
    this.devices = [];
    this.keys = [];
  }

  /** Opens and locks every image of `monitor`, or none: throws one line naming the image and
   *  its holder when one is taken. */
  static open(monitor: number, images: readonly MonitorImage[]): DiskImages {
    const opened = new DiskImages(monitor);
    try {
      for (const image of images) {
        let r;
        try {
          r = openImageChain(image);
        } catch (err) {
          if (!(err instanceof ImageInUseError)) throw err;
          const line = refusal(err);
          fs.closeSync(err.fd);
          throw new Error(line);
        }
        const key = fileKey(fs.fstatSync(r.fd));
        opened.devices.push(r.backing ? { ...image, fd: r.fd, readOnly: r.readOnly, backing: r.backing } : { ...image, fd: r.fd, readOnly: r.readOnly });
        opened.backingFds.push(...r.fds.slice(1));
        opened.keys.push(key);
        holders.set(key, [...(holders.get(key) ?? []), { monitor, readOnly: r.readOnly }]);
      }
    } catch (err) {
      opened.close();
      throw err;
    }
    return opened;
  }

  /** `disk snapshot`, first half: a new empty qcow2 overlay on cobd<unit>'s image so far, at
   *  `file` (default: beside it, named after it and the time), opened and locked read-write.
   *  Throws one line; then nothing was made. */
  prepareSnapshot(unit: number, file: string | undefined): { fd: number; path: string } {
    const d = this.devices.find((x) => x.index === unit);
    if (!d || d.fd === undefined) throw new Error(`monitor ${this.monitor} has no cobd${unit}`);
    if (d.readOnly) throw new Error(`cobd${unit} (${d.path}) is read-only`);
    const format = imageFormat(d.path);
    const size = format === 'qcow2' ? readQcow2Header(d.fd, d.path).size : fs.fstatSync(d.fd).size;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const target = path.resolve(file ?? path.join(path.dirname(d.path), `${path.basename(d.path).replace(/\.qcow2$/, '')}.snap-${stamp}.qcow2`));
    if (imageFormat(target) !== 'qcow2') throw new Error(`${target}: a snapshot overlay's name must end in .qcow2`);
    // The backing name as QEMU would store it: relative when beside the overlay.
    const backing = path.dirname(target) === path.dirname(d.path) ? path.basename(d.path) : d.path;
    try {
      createQcow2Overlay(target, size, backing, format);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(code ? `cannot create ${target}: ${code}` : (err as Error).message);
    }
    try {
      return { fd: openImage({ index: unit, path: target, readOnly: false }).fd, path: target };
    } catch (err) {
      if (err instanceof ImageInUseError) fs.closeSync(err.fd);
      fs.rmSync(target, { force: true });
      throw err;
    }
  }

  /** Second half, once the worker writes into the overlay: the old image becomes its backing. */
  commitSnapshot(unit: number, fd: number, file: string): void {
    if (this.closed) {
      fs.closeSync(fd); // the monitor closed meanwhile: its worker is gone
      return;
    }
    const i = this.devices.findIndex((x) => x.index === unit);
    const d = this.devices[i]!;
    this.backingFds.push(d.fd!);
    this.devices[i] = {
      ...d,
      path: file,
      fd,
      readOnly: false,
      backing: d.backing
        ? { path: d.path, fd: d.fd!, format: imageFormat(d.path), backing: d.backing }
        : { path: d.path, fd: d.fd!, format: imageFormat(d.path) },
    };
    const key = fileKey(fs.fstatSync(fd));
    this.keys.push(key);
    holders.set(key, [...(holders.get(key) ?? []), { monitor: this.monitor, readOnly: false }]);
  }

  /** The worker refused: the overlay goes away again. */
  abortSnapshot(fd: number, file: string): void {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }

  /** Closes the descriptors, releasing the locks; only once no worker may still use them. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const key of this.keys) {
      const left = (holders.get(key) ?? []).filter((h) => h.monitor !== this.monitor);
      if (left.length) holders.set(key, left);
      else holders.delete(key);
    }
    for (const d of this.devices) if (d.fd !== undefined) fs.closeSync(d.fd);
    for (const fd of this.backingFds.splice(0)) fs.closeSync(fd);
  }
}
