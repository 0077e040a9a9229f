// A 9P2000.L file server over one host directory (the `cofsN=` share), enough for the Linux
// v9fs client (fs/9p, net/9p/client.c): attach, walk, getattr/setattr, lopen/lcreate, read,
// write, readdir, mkdir, symlink, link, renameat, unlinkat, readlink, statfs, fsync, locks.
// Confinement (docs/ninep.md): every fid holds a descriptor of its file (O_PATH), never a path
// string, so renames in the guest or on the host cannot make it point elsewhere; every name the
// guest sends is one component resolved under a held directory with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS) or an *at() call that does not follow it (host-fs.ts); '..' stops at the
// share root. The client resolves symlinks itself (Treadlink); the server never follows one.

import fs from 'node:fs';
import { Reader, Writer, NinepError, type Qid, EBADF, EINVAL, EIO, EMFILE, ENOTDIR, ENODATA, ENXIO, EOPNOTSUPP, EPERM, EROFS, ELOOP } from './wire.ts';
import * as host from './host-fs.ts';
import type { Plain } from '../../mmio-device.ts';

const MAX_MSIZE = 512 * 1024;
/** Fids one guest may hold (each holds a host descriptor): bounds what a guest can take from the
 *  host process's descriptor table. The Linux client holds about one per cached dentry. */
const MAX_FIDS = 8192;
const QID_DIR = 0x80;
const QID_SYMLINK = 0x02;
const GETATTR_BASIC = 0x7ffn;
/** Tsetattr valid bits (include/net/9p/9p.h P9_ATTR_*). */
const ATTR_MODE = 0x1;
const ATTR_UID = 0x2;
const ATTR_GID = 0x4;
const ATTR_SIZE = 0x8;
const ATTR_ATIME = 0x10;
const ATTR_MTIME = 0x20;
const ATTR_ATIME_SET = 0x80;
const ATTR_MTIME_SET = 0x100;
/** The Linux open flags a guest may pass through. */
const OPEN_FLAGS = host.O_ACCMODE | host.O_TRUNC | host.O_APPEND | host.O_CREAT | host.O_EXCL;
/** How a suspended fid's file is opened again: as the guest opened it, without creating or truncating. */
const REOPEN_FLAGS = OPEN_FLAGS & ~(host.O_CREAT | host.O_EXCL | host.O_TRUNC);
/** /proc/self/fd/N names the file a descriptor holds (proc(5)); " (deleted)" once it is unlinked. */
const PROC_FD = '/proc/self/fd';
/** d_type values (dirent.h DT_*). */
const DT_UNKNOWN = 0;
const DT_DIR = 4;
const DT_LNK = 10;

interface Fid {
  /** The file itself: O_PATH (a symlink is held as the link, O_NOFOLLOW). */
  fd: number;
  /** Open for reading/writing after Tlopen/Tlcreate of a regular file. */
  io: number | null;
  /** The flags `io` was opened with, as a reopen takes them (suspend: saveFids). */
  ioFlags: number;
  entries: Array<{ name: string; qid: Qid; type: number }> | null;
}

export class NinepServer {
  readonly readOnly: boolean;
  private readonly rootFd: number;
  private readonly rootId: string;
  /** /proc/self/fd, for reopening held O_PATH descriptors (host-fs.ts reopen). */
  private readonly procFd: number;
  private msize = 8192;
  private fids = new Map<number, Fid>();

  constructor(root: string, readOnly: boolean) {
    this.rootFd = host.openRoot(root);
    try {
      this.rootId = identity(host.statAt(this.rootFd));
      this.procFd = host.openRoot('/proc/self/fd');
    } catch (err) {
      host.close(this.rootFd);
      throw err;
    }
    this.readOnly = readOnly;
  }

  reset(): void {
    for (const f of this.fids.values()) release(f);
    this.fids.clear();
  }

  /** Suspend (docs/suspend.md "Shares"): the negotiated msize and each fid as its path under the
   *  share (the kernel's name of the held descriptor) and how it was open. A fid whose file is gone
   *  (unlinked) or outside the share (moved out on the host) is left out: the guest gets EBADF. */
  saveFids(): Plain {
    const root = fs.readlinkSync(`${PROC_FD}/${this.rootFd}`);
    const fids: Plain[] = [];
    for (const [id, f] of this.fids) {
      let where: string;
      try {
        where = fs.readlinkSync(`${PROC_FD}/${f.fd}`);
      } catch {
        continue;
      }
      const under = where === root ? '' : where.startsWith(`${root}/`) ? where.slice(root.length + 1) : undefined;
      if (under === undefined || where.endsWith(' (deleted)')) continue;
      fids.push({ id, path: under === '' ? [] : under.split('/'), io: f.io === null ? null : f.ioFlags });
    }
    return { msize: this.msize, fids };
  }

  /** Takes over saveFids() (of a share of another process, maybe another host): each path is
   *  walked one component at a time beneath the share root (openat2 RESOLVE_BENEATH, no
   *  symlinks), as Twalk does; a fid that cannot be reopened is left out. Returns how many. */
  restoreFids(state: Plain): number {
    this.reset();
    const s = state as { msize?: unknown; fids?: unknown };
    if (typeof s?.msize === 'number') this.msize = Math.max(4096, Math.min(s.msize, MAX_MSIZE));
    let lost = 0;
    for (const saved of Array.isArray(s?.fids) ? s.fids.slice(0, MAX_FIDS) : []) {
      const { id, path, io } = saved as { id: unknown; path: unknown; io: unknown };
      if (typeof id !== 'number' || !Array.isArray(path) || path.length > 4096) {
        lost++;
        continue;
      }
      let cur = host.dup(this.rootFd);
      try {
        for (const name of path) {
          const next = host.openBeneath(cur, checkName(String(name)), host.O_PATH | host.O_NOFOLLOW);
          host.close(cur);
          cur = next;
        }
        const flags = typeof io === 'number' ? io & REOPEN_FLAGS : null;
        if (flags !== null && this.readOnly && (flags & host.O_ACCMODE) !== host.O_RDONLY) throw new NinepError(EROFS);
        const ioFd = flags === null ? null : host.reopen(this.procFd, cur, flags);
        this.fids.set(id >>> 0, { fd: cur, io: ioFd, ioFlags: flags ?? 0, entries: null });
      } catch {
        host.close(cur);
        lost++;
      }
    }
    return lost;
  }

  /** Releases every host descriptor (the machine's worker shares the manager's descriptor
   *  table, so they would outlive the VM). The server is unusable afterwards. */
  close(): void {
    this.reset();
    host.close(this.rootFd);
    host.close(this.procFd);
  }

  /** Serve one T-message; the reply is at most `room` bytes (the guest's buffer). */
  handle(request: Uint8Array, room: number): Uint8Array {
    const r = new Reader(request);
    r.u32();
    const type = r.u8();
    const tag = r.u16();
    const w = new Writer();
    w.u32(0)
      .u8(type + 1)
      .u16(tag);
    try {
      this.dispatch(type, r, w, Math.min(room, this.msize));
    } catch (err) {
      const errno = err instanceof NinepError ? err.errno : hostErrno(err);
      w.length = 0;
      w.u32(0).u8(7).u16(tag).u32(errno); // Rlerror
    }
    const out = w.bytes();
    new DataView(out.buffer, out.byteOffset).setUint32(0, out.length, true);
    return out;
  }

  private fid(r: Reader): Fid {
    const id = r.u32();
    const f = this.fids.get(id);
    if (!f) throw new NinepError(EBADF, `unknown fid ${id}`);
    return f;
  }

  /** Installs a new fid (replacing and releasing whatever had that number). */
  private setFid(id: number, fd: number): void {
    const old = this.fids.get(id);
    if (!old && this.fids.size >= MAX_FIDS) {
      host.close(fd);
      throw new NinepError(EMFILE, 'too many fids');
    }
    if (old) release(old);
    this.fids.set(id, { fd, io: null, ioFlags: 0, entries: null });
  }

  private writable(): void {
    if (this.readOnly) throw new NinepError(EROFS);
  }

  private isRoot(fd: number): boolean {
    return identity(host.statAt(fd)) === this.rootId;
  }

  private dispatch(type: number, r: Reader, w: Writer, room: number): void {
    switch (type) {
      case 100: {
        // Tversion
        const msize = r.u32();
        const version = r.str();
        this.reset();
        this.msize = Math.max(4096, Math.min(msize, MAX_MSIZE));
        w.u32(this.msize).str(version.startsWith('9P2000.L') ? '9P2000.L' : 'unknown');
        return;
      }
      case 104: {
        // Tattach
        const id = r.u32();
        this.setFid(id, host.dup(this.rootFd));
        w.qid(qidOf(host.statAt(this.rootFd)));
        return;
      }
      case 110:
        return this.walk(r, w);
      case 24: {
        // Tgetattr
        const st = host.statAt(this.fid(r).fd);
        const time = (t: [bigint, number]) => w.u64(t[0]).u64(t[1]);
        w.u64(GETATTR_BASIC).qid(qidOf(st)).u32(st.mode).u32(st.uid).u32(st.gid).u64(st.nlink).u64(st.rdev).u64(st.size).u64(st.blksize).u64(st.blocks);
        time(st.atime);
        time(st.mtime);
        time(st.ctime);
        w.u64(0).u64(0).u64(0).u64(0);
        return;
      }
      case 26:
        return this.setattr(r);
      case 12: {
        // Tlopen
        const f = this.fid(r);
        const flags = r.u32();
        if ((flags & host.O_ACCMODE) !== host.O_RDONLY || flags & (host.O_TRUNC | host.O_APPEND)) this.writable();
        const st = host.statAt(f.fd);
        closeIo(f);
        if (kind(st) === host.S_IFREG) {
          f.io = host.reopen(this.procFd, f.fd, flags & OPEN_FLAGS & ~(host.O_CREAT | host.O_EXCL));
          f.ioFlags = flags & REOPEN_FLAGS;
        } else if (kind(st) === host.S_IFLNK) throw new NinepError(ELOOP);
        // Only regular files and directories: opening a FIFO or device would block or reach
        // a host device.
        else if (kind(st) !== host.S_IFDIR) throw new NinepError(ENXIO);
        w.qid(qidOf(st)).u32(0);
        return;
      }
      case 14: {
        // Tlcreate: the fid becomes the new file, open
        this.writable();
        const f = this.fid(r);
        const name = checkName(r.str());
        const flags = r.u32();
        const mode = r.u32();
        r.u32();
        // O_NONBLOCK: an existing FIFO of that name must not block the machine.
        const io = host.openBeneath(f.fd, name, (flags & OPEN_FLAGS) | host.O_CREAT | host.O_NOFOLLOW | host.O_NONBLOCK, mode & 0o7777);
        let fd: number;
        try {
          const st = host.statAt(io);
          if (kind(st) !== host.S_IFREG) throw new NinepError(ENXIO);
          fd = host.dup(io);
          w.qid(qidOf(st)).u32(0);
        } catch (err) {
          host.close(io);
          throw err;
        }
        release(f);
        Object.assign(f, { fd, io, ioFlags: flags & REOPEN_FLAGS, entries: null });
        return;
      }
      case 116: {
        // Tread
        const f = this.fid(r);
        const offset = r.u64();
        const count = Math.min(r.u32(), room - 11);
        if (f.io === null) throw new NinepError(EBADF);
        const buf = new Uint8Array(Math.max(0, count));
        const n = fs.readSync(f.io, buf, 0, buf.length, Number(offset));
        w.u32(n).data(buf.subarray(0, n));
        return;
      }
      case 118: {
        // Twrite
        this.writable();
        const f = this.fid(r);
        const offset = r.u64();
        const data = r.data(r.u32());
        if (f.io === null) throw new NinepError(EBADF);
        w.u32(fs.writeSync(f.io, data, 0, data.length, Number(offset)));
        return;
      }
      case 40:
        return this.readdir(r, w, room);
      case 72: {
        // Tmkdir
        this.writable();
        const dir = this.fid(r).fd;
        const name = checkName(r.str());
        host.mkdirAt(dir, name, r.u32() & 0o7777);
        w.qid(qidOf(host.statAt(dir, name)));
        return;
      }
      case 16: {
        // Tsymlink: the target is stored as text and never followed here
        this.writable();
        const dir = this.fid(r).fd;
        const name = checkName(r.str());
        host.symlinkAt(r.str(), dir, name);
        w.qid(qidOf(host.statAt(dir, name)));
        return;
      }
      case 70: {
        // Tlink
        this.writable();
        const dir = this.fid(r).fd;
        const target = this.fid(r).fd;
        const name = checkName(r.str());
        const st = host.statAt(target);
        if (kind(st) === host.S_IFDIR) throw new NinepError(EPERM);
        host.linkAt(this.procFd, target, kind(st) === host.S_IFLNK, dir, name);
        return;
      }
      case 74: {
        // Trenameat
        this.writable();
        const from = this.fid(r).fd;
        const oldName = checkName(r.str());
        const to = this.fid(r).fd;
        host.renameAt(from, oldName, to, checkName(r.str()));
        return;
      }
      case 76: {
        // Tunlinkat
        this.writable();
        const dir = this.fid(r).fd;
        const name = checkName(r.str());
        host.unlinkAt(dir, name, r.u32() & host.AT_REMOVEDIR);
        return;
      }
      // Trename and Tremove name a file by its fid alone, which would need the path it was
      // reached by; the Linux client uses Trenameat/Tunlinkat and falls back to these only on
      // EOPNOTSUPP (fs/9p/vfs_inode.c v9fs_vfs_rename, v9fs_remove).
      case 20:
        throw new NinepError(EOPNOTSUPP); // Trename
      case 122: {
        // Tremove: the fid is clunked whatever happens (remove(5))
        this.clunk(r.u32());
        throw new NinepError(EOPNOTSUPP);
      }
      case 22:
        w.str(host.readlink(this.fid(r).fd));
        return; // Treadlink
      case 8: {
        // Tstatfs
        this.fid(r);
        const s = fs.statfsSync(`/proc/self/fd/${this.rootFd}`, { bigint: true });
        w.u32(Number(s.type & 0xffffffffn))
          .u32(Number(s.bsize))
          .u64(s.blocks)
          .u64(s.bfree)
          .u64(s.bavail)
          .u64(s.files)
          .u64(s.ffree)
          .u64(0)
          .u32(255);
        return;
      }
      case 50: {
        // Tfsync
        const f = this.fid(r);
        if (f.io !== null && !this.readOnly) fs.fsyncSync(f.io);
        return;
      }
      case 52:
        this.fid(r);
        w.u8(0);
        return; // Tlock: advisory locks always granted (one client)
      case 54: {
        // Tgetlock: nothing else holds a lock
        this.fid(r);
        r.u8();
        const start = r.u64();
        const length = r.u64();
        const proc = r.u32();
        w.u8(2).u64(start).u64(length).u32(proc).str(r.str());
        return;
      }
      case 30:
        throw new NinepError(ENODATA); // Txattrwalk: no extended attributes
      case 32:
        throw new NinepError(EOPNOTSUPP); // Txattrcreate
      case 18:
        throw new NinepError(EPERM); // Tmknod: no device nodes on a host share
      case 102:
        throw new NinepError(EOPNOTSUPP); // Tauth: no authentication
      case 108:
        return; // Tflush: requests complete synchronously, nothing to cancel
      case 120:
        this.clunk(r.u32());
        return; // Tclunk
      default:
        throw new NinepError(EOPNOTSUPP, `9P message type ${type}`);
    }
  }

  private clunk(id: number): void {
    const f = this.fids.get(id);
    if (!f) throw new NinepError(EBADF);
    release(f);
    this.fids.delete(id);
  }

  /** Twalk: each element is one step from a held directory descriptor to the next. */
  private walk(r: Reader, w: Writer): void {
    const f = this.fid(r);
    const newId = r.u32();
    const n = r.u16();
    if (n > 16) throw new NinepError(EINVAL); // MAXWELEM (9P2000 walk(5))
    const qids: Qid[] = [];
    let cur = host.dup(f.fd);
    try {
      for (let i = 0; i < n; i++) {
        const name = r.str();
        let next: number;
        try {
          next = this.step(cur, name);
        } catch (err) {
          if (i === 0) throw err;
          break;
        }
        host.close(cur);
        cur = next;
        qids.push(qidOf(host.statAt(cur)));
      }
    } catch (err) {
      host.close(cur);
      throw err;
    }
    // The new fid exists only if every element was walked (walk(5)).
    if (qids.length === n) this.setFid(newId, cur);
    else host.close(cur);
    w.u16(qids.length);
    for (const q of qids) w.qid(q);
  }

  /** One walk element from the directory `dir` (a new descriptor; `dir` stays open). */
  private step(dir: number, name: string): number {
    if (name === '.') return host.dup(dir);
    if (kind(host.statAt(dir)) !== host.S_IFDIR) throw new NinepError(ENOTDIR);
    if (name === '..') return this.isRoot(dir) ? host.dup(dir) : host.openParent(dir);
    return host.openBeneath(dir, checkName(name), host.O_PATH | host.O_NOFOLLOW);
  }

  private setattr(r: Reader): void {
    const f = this.fid(r);
    const valid = r.u32();
    const mode = r.u32();
    const uid = r.u32();
    const gid = r.u32();
    const size = r.u64();
    const atime: [bigint, number] = [r.u64(), Number(r.u64() % 1_000_000_000n)];
    const mtime: [bigint, number] = [r.u64(), Number(r.u64() % 1_000_000_000n)];
    if (valid) this.writable();
    const type = kind(host.statAt(f.fd));
    if (valid & ATTR_MODE && type !== host.S_IFLNK) host.chmod(this.procFd, f.fd, mode & 0o7777);
    if (valid & (ATTR_UID | ATTR_GID)) host.chown(f.fd, valid & ATTR_UID ? uid : -1, valid & ATTR_GID ? gid : -1);
    if (valid & ATTR_SIZE) {
      if (type !== host.S_IFREG) throw new NinepError(EINVAL);
      const io = host.reopen(this.procFd, f.fd, host.O_WRONLY);
      try {
        fs.ftruncateSync(io, Number(size));
      } finally {
        host.close(io);
      }
    }
    if (valid & (ATTR_ATIME | ATTR_MTIME)) {
      const time = (set: number, given: number, t: [bigint, number]): [bigint, number] =>
        !(valid & set) ? [0n, host.UTIME_OMIT] : valid & given ? t : [0n, host.UTIME_NOW];
      host.utimes(f.fd, time(ATTR_ATIME, ATTR_ATIME_SET, atime), time(ATTR_MTIME, ATTR_MTIME_SET, mtime));
    }
  }

  private readdir(r: Reader, w: Writer, room: number): void {
    const f = this.fid(r);
    const offset = Number(r.u64());
    const count = Math.min(r.u32(), room - 11);
    if (f.entries === null || offset === 0) {
      const dir = host.reopen(this.procFd, f.fd, host.O_RDONLY | host.O_DIRECTORY);
      let list: host.Dirent[];
      try {
        list = host.readDirectory(dir);
      } finally {
        host.close(dir);
      }
      f.entries = [];
      // '..' of the share root is the root itself, as for Twalk: the parent stays unseen.
      const rootIno = this.isRoot(f.fd) ? host.statAt(f.fd).ino : null;
      for (const e of list) {
        if (e.name === '..' && rootIno !== null) e.ino = rootIno;
        let type = e.type;
        if (type === DT_UNKNOWN) {
          try {
            type = direntType(host.statAt(f.fd, e.name).mode);
          } catch {
            continue;
          } // vanished between getdents and statx
        }
        f.entries.push({ name: e.name, type, qid: { type: type === DT_DIR ? QID_DIR : type === DT_LNK ? QID_SYMLINK : 0, version: 0, path: e.ino } });
      }
    }
    const body = new Writer();
    for (let i = offset; i < f.entries.length; i++) {
      const e = f.entries[i]!;
      const len = 13 + 8 + 1 + 2 + new TextEncoder().encode(e.name).length;
      if (body.length + len > count) break;
      body
        .qid(e.qid)
        .u64(i + 1)
        .u8(e.type)
        .str(e.name);
    }
    w.u32(body.length).data(body.bytes());
  }
}

/** A name in a directory: one component, not '.' or '..' (operations that take a name). */
function checkName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new NinepError(EINVAL, `bad name "${name}"`);
  return name;
}

function closeIo(f: Fid): void {
  if (f.io !== null) host.close(f.io);
  f.io = null;
  f.entries = null;
}

function release(f: Fid): void {
  closeIo(f);
  host.close(f.fd);
}

function kind(st: host.Stat): number {
  return st.mode & host.S_IFMT;
}

function identity(st: host.Stat): string {
  return `${st.dev}:${st.ino}`;
}

function qidOf(st: host.Stat): Qid {
  const type = kind(st) === host.S_IFDIR ? QID_DIR : kind(st) === host.S_IFLNK ? QID_SYMLINK : 0;
  return { type, version: Number((st.mtime[0] * 1_000_000_000n + BigInt(st.mtime[1])) & 0xffffffffn), path: st.ino };
}

/** d_type of a file mode (the S_IF* type bits shifted down, as dirent.h IFTODT). */
function direntType(mode: number): number {
  return (mode & host.S_IFMT) >> 12;
}

function hostErrno(err: unknown): number {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number') return Math.abs(e.errno);
  return err instanceof RangeError ? EINVAL : EIO;
}
