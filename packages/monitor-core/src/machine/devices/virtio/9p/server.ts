// A 9P2000.L file server over one host directory (the `cofsN=` share), enough for the Linux
// v9fs client (fs/9p, net/9p/client.c): attach, walk, getattr/setattr, lopen/lcreate, read,
// write, readdir, mkdir, symlink, link, rename(at), unlinkat, readlink, statfs, fsync, locks.
// Confinement: names never contain '/', '..' stops at the share root, walks only descend
// through real directories (the client resolves symlinks itself via readlink), and the last
// component is never followed (lstat, O_NOFOLLOW, lutimes, lchown).

import fs from 'node:fs';
import path from 'node:path';
import {
  Reader, Writer, NinepError, type Qid,
  EBADF, EINVAL, EIO, ENODATA, ENOTDIR, EOPNOTSUPP, EPERM, EROFS,
} from './wire.ts';

const MAX_MSIZE = 512 * 1024;
const QID_DIR = 0x80;
const QID_SYMLINK = 0x02;
const GETATTR_BASIC = 0x7ffn;
const AT_REMOVEDIR = 0x200;
const O_ACCMODE = 3;
const C = fs.constants;
/** The Linux open flags a guest may pass through; O_NOFOLLOW is always added. */
const OPEN_FLAGS = O_ACCMODE | C.O_TRUNC | C.O_APPEND | C.O_CREAT | C.O_EXCL;

interface Fid {
  path: string;
  fd: number | null;
  entries: Array<{ name: string; qid: Qid; type: number }> | null;
}

export class NinepServer {
  readonly root: string;
  readonly readOnly: boolean;
  private msize = 8192;
  private fids = new Map<number, Fid>();

  constructor(root: string, readOnly: boolean) {
    this.root = fs.realpathSync(root);
    if (!fs.statSync(this.root).isDirectory()) throw new Error(`${root} is not a directory`);
    this.readOnly = readOnly;
  }

  reset(): void {
    for (const f of this.fids.values()) if (f.fd !== null) fs.closeSync(f.fd);
    this.fids.clear();
  }

  /** Serve one T-message; the reply is at most `room` bytes (the guest's buffer). */
  handle(request: Uint8Array, room: number): Uint8Array {
    const r = new Reader(request);
    r.u32();
    const type = r.u8();
    const tag = r.u16();
    const w = new Writer();
    w.u32(0).u8(type + 1).u16(tag);
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

  private writable(): void {
    if (this.readOnly) throw new NinepError(EROFS);
  }

  private child(dir: Fid, name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) throw new NinepError(EINVAL, `bad name "${name}"`);
    return path.join(dir.path, name);
  }

  private qid(p: string): Qid {
    const st = fs.lstatSync(p, { bigint: true });
    return qidOf(st);
  }

  private dispatch(type: number, r: Reader, w: Writer, room: number): void {
    switch (type) {
      case 100: { // Tversion
        const msize = r.u32();
        const version = r.str();
        this.reset();
        this.msize = Math.max(4096, Math.min(msize, MAX_MSIZE));
        w.u32(this.msize).str(version.startsWith('9P2000.L') ? '9P2000.L' : 'unknown');
        return;
      }
      case 104: { // Tattach
        const id = r.u32();
        this.fids.set(id, { path: this.root, fd: null, entries: null });
        w.qid(this.qid(this.root));
        return;
      }
      case 110: return this.walk(r, w);
      case 24: { // Tgetattr
        const f = this.fid(r);
        const st = fs.lstatSync(f.path, { bigint: true });
        w.u64(GETATTR_BASIC).qid(qidOf(st)).u32(Number(st.mode)).u32(Number(st.uid)).u32(Number(st.gid))
          .u64(st.nlink).u64(st.rdev).u64(st.size).u64(st.blksize).u64(st.blocks)
          .u64(st.atimeNs / 1_000_000_000n).u64(st.atimeNs % 1_000_000_000n)
          .u64(st.mtimeNs / 1_000_000_000n).u64(st.mtimeNs % 1_000_000_000n)
          .u64(st.ctimeNs / 1_000_000_000n).u64(st.ctimeNs % 1_000_000_000n)
          .u64(0).u64(0).u64(0).u64(0);
        return;
      }
      case 26: return this.setattr(r);
      case 12: { // Tlopen
        const f = this.fid(r);
        const flags = r.u32();
        if ((flags & O_ACCMODE) !== C.O_RDONLY || flags & (C.O_TRUNC | C.O_APPEND)) this.writable();
        const st = fs.lstatSync(f.path);
        if (!st.isDirectory()) {
          if (f.fd !== null) fs.closeSync(f.fd);
          f.fd = fs.openSync(f.path, (flags & OPEN_FLAGS & ~(C.O_CREAT | C.O_EXCL)) | C.O_NOFOLLOW);
        }
        f.entries = null;
        w.qid(this.qid(f.path)).u32(0);
        return;
      }
      case 14: { // Tlcreate
        this.writable();
        const f = this.fid(r);
        const p = this.child(f, r.str());
        const flags = r.u32();
        const mode = r.u32();
        r.u32();
        const fd = fs.openSync(p, (flags & OPEN_FLAGS) | C.O_CREAT | C.O_NOFOLLOW, mode & 0o7777);
        if (f.fd !== null) fs.closeSync(f.fd);
        Object.assign(f, { path: p, fd, entries: null });
        w.qid(this.qid(p)).u32(0);
        return;
      }
      case 116: { // Tread
        const f = this.fid(r);
        const offset = r.u64();
        const count = Math.min(r.u32(), room - 11);
        if (f.fd === null) throw new NinepError(EBADF);
        const buf = new Uint8Array(Math.max(0, count));
        const n = fs.readSync(f.fd, buf, 0, buf.length, Number(offset));
        w.u32(n).data(buf.subarray(0, n));
        return;
      }
      case 118: { // Twrite
        this.writable();
        const f = this.fid(r);
        const offset = r.u64();
        const data = r.data(r.u32());
        if (f.fd === null) throw new NinepError(EBADF);
        w.u32(fs.writeSync(f.fd, data, 0, data.length, Number(offset)));
        return;
      }
      case 40: return this.readdir(r, w, room);
      case 72: { // Tmkdir
        this.writable();
        const dir = this.fid(r);
        const p = this.child(dir, r.str());
        const mode = r.u32();
        fs.mkdirSync(p, mode & 0o7777);
        w.qid(this.qid(p));
        return;
      }
      case 16: { // Tsymlink
        this.writable();
        const dir = this.fid(r);
        const p = this.child(dir, r.str());
        fs.symlinkSync(r.str(), p);
        w.qid(this.qid(p));
        return;
      }
      case 70: { // Tlink
        this.writable();
        const dir = this.fid(r);
        const target = this.fid(r);
        fs.linkSync(target.path, this.child(dir, r.str()));
        return;
      }
      case 20: { // Trename
        this.writable();
        const f = this.fid(r);
        const dir = this.fid(r);
        const to = this.child(dir, r.str());
        if (f.path === this.root) throw new NinepError(EPERM);
        fs.renameSync(f.path, to);
        f.path = to;
        return;
      }
      case 74: { // Trenameat
        this.writable();
        const from = this.child(this.fid(r), r.str());
        const to = this.child(this.fid(r), r.str());
        fs.renameSync(from, to);
        return;
      }
      case 76: { // Tunlinkat
        this.writable();
        const p = this.child(this.fid(r), r.str());
        if (r.u32() & AT_REMOVEDIR) fs.rmdirSync(p);
        else fs.unlinkSync(p);
        return;
      }
      case 122: { // Tremove: remove the file, then clunk the fid whatever happened
        const id = r.u32();
        const f = this.fids.get(id);
        if (!f) throw new NinepError(EBADF);
        this.clunk(id);
        this.writable();
        if (f.path === this.root) throw new NinepError(EPERM);
        if (fs.lstatSync(f.path).isDirectory()) fs.rmdirSync(f.path);
        else fs.unlinkSync(f.path);
        return;
      }
      case 22: w.str(fs.readlinkSync(this.fid(r).path)); return; // Treadlink
      case 8: { // Tstatfs
        this.fid(r);
        const s = fs.statfsSync(this.root, { bigint: true });
        w.u32(Number(s.type & 0xffffffffn)).u32(Number(s.bsize)).u64(s.blocks).u64(s.bfree).u64(s.bavail)
          .u64(s.files).u64(s.ffree).u64(0).u32(255);
        return;
      }
      case 50: { // Tfsync
        const f = this.fid(r);
        if (f.fd !== null && !this.readOnly) fs.fsyncSync(f.fd);
        return;
      }
      case 52: this.fid(r); w.u8(0); return; // Tlock: advisory locks always granted (one client)
      case 54: { // Tgetlock: nothing else holds a lock
        this.fid(r);
        r.u8();
        const start = r.u64();
        const length = r.u64();
        const proc = r.u32();
        w.u8(2).u64(start).u64(length).u32(proc).str(r.str());
        return;
      }
      case 30: throw new NinepError(ENODATA); // Txattrwalk: no extended attributes
      case 32: throw new NinepError(EOPNOTSUPP); // Txattrcreate
      case 18: throw new NinepError(EPERM); // Tmknod: no device nodes on a host share
      case 102: throw new NinepError(EOPNOTSUPP); // Tauth: no authentication
      case 108: return; // Tflush: requests complete synchronously, nothing to cancel
      case 120: this.clunk(r.u32()); return; // Tclunk
      default: throw new NinepError(EOPNOTSUPP, `9P message type ${type}`);
    }
  }

  private clunk(id: number): void {
    const f = this.fids.get(id);
    if (!f) throw new NinepError(EBADF);
    if (f.fd !== null) fs.closeSync(f.fd);
    this.fids.delete(id);
  }

  private walk(r: Reader, w: Writer): void {
    const f = this.fid(r);
    const newId = r.u32();
    const n = r.u16();
    if (n > 16) throw new NinepError(EINVAL); // MAXWELEM (9P2000 walk(5))
    const qids: Qid[] = [];
    let p = f.path;
    for (let i = 0; i < n; i++) {
      const name = r.str();
      let next: string;
      if (name === '..') next = p === this.root ? p : path.dirname(p);
      else if (name === '.') next = p;
      else {
        if (!fs.lstatSync(p).isDirectory()) { if (i === 0) throw new NinepError(ENOTDIR); break; }
        if (name === '' || name.includes('/') || name.includes('\0')) throw new NinepError(EINVAL);
        next = path.join(p, name);
      }
      let q: Qid;
      try {
        q = this.qid(next);
      } catch (err) {
        if (i === 0) throw err;
        break;
      }
      qids.push(q);
      p = next;
    }
    // The new fid exists only if every element was walked (walk(5)).
    if (qids.length === n) {
      const old = this.fids.get(newId);
      if (old && old !== f && old.fd !== null) fs.closeSync(old.fd);
      this.fids.set(newId, { path: p, fd: null, entries: null });
    }
    w.u16(qids.length);
    for (const q of qids) w.qid(q);
  }

  private setattr(r: Reader): void {
    const f = this.fid(r);
    const valid = r.u32();
    const mode = r.u32();
    const uid = r.u32();
    const gid = r.u32();
    const size = r.u64();
    const atime = [r.u64(), r.u64()] as const;
    const mtime = [r.u64(), r.u64()] as const;
    if (valid) this.writable();
    const st = fs.lstatSync(f.path);
    if (valid & 1 && !st.isSymbolicLink()) fs.chmodSync(f.path, mode & 0o7777);
    if (valid & 6) fs.lchownSync(f.path, valid & 2 ? uid : -1, valid & 4 ? gid : -1);
    if (valid & 8) {
      if (!st.isFile()) throw new NinepError(EINVAL);
      fs.truncateSync(f.path, Number(size));
    }
    if (valid & 0x30) {
      const now = Date.now() / 1000;
      const secs = (set: boolean, t: readonly [bigint, bigint], old: number) =>
        set ? Number(t[0]) + Number(t[1]) / 1e9 : old;
      const a = valid & 0x10 ? secs((valid & 0x80) !== 0, atime, now) : st.atimeMs / 1000;
      const m = valid & 0x20 ? secs((valid & 0x100) !== 0, mtime, now) : st.mtimeMs / 1000;
      fs.lutimesSync(f.path, a, m);
    }
  }

  private readdir(r: Reader, w: Writer, room: number): void {
    const f = this.fid(r);
    const offset = Number(r.u64());
    const count = Math.min(r.u32(), room - 11);
    if (f.entries === null || offset === 0) {
      const list = [{ name: '.', p: f.path }, { name: '..', p: f.path === this.root ? f.path : path.dirname(f.path) }];
      for (const name of fs.readdirSync(f.path)) list.push({ name, p: path.join(f.path, name) });
      f.entries = [];
      for (const e of list) {
        try {
          const st = fs.lstatSync(e.p, { bigint: true });
          f.entries.push({ name: e.name, qid: qidOf(st), type: direntType(st) });
        } catch { /* vanished between readdir and lstat */ }
      }
    }
    const body = new Writer();
    for (let i = offset; i < f.entries.length; i++) {
      const e = f.entries[i]!;
      const len = 13 + 8 + 1 + 2 + new TextEncoder().encode(e.name).length;
      if (body.length + len > count) break;
      body.qid(e.qid).u64(i + 1).u8(e.type).str(e.name);
    }
    w.u32(body.length).data(body.bytes());
  }
}

function qidOf(st: fs.BigIntStats): Qid {
  const type = st.isDirectory() ? QID_DIR : st.isSymbolicLink() ? QID_SYMLINK : 0;
  return { type, version: Number(st.mtimeNs & 0xffffffffn), path: st.ino };
}

function direntType(st: fs.BigIntStats): number {
  if (st.isDirectory()) return 4;
  if (st.isFile()) return 8;
  if (st.isSymbolicLink()) return 10;
  if (st.isCharacterDevice()) return 2;
  if (st.isBlockDevice()) return 6;
  if (st.isFIFO()) return 1;
  if (st.isSocket()) return 12;
  return 0;
}

function hostErrno(err: unknown): number {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number') return Math.abs(e.errno);
  return err instanceof RangeError ? EINVAL : EIO;
}

