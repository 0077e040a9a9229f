// The host side of the 9P server: descriptor-relative Linux calls through koffi (Node's fs
// takes only path strings). Every name the guest sends is resolved by one of these relative to
// a descriptor the server holds, never by re-walking a path string:
//  - openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS opens one
//    name under a held directory and refuses any symlink on the way (a trailing symlink opened
//    with O_PATH | O_NOFOLLOW is held as the link itself, openat2(2) "RESOLVE_NO_SYMLINKS");
//  - the *at(2) calls (mkdirat, symlinkat, linkat, renameat, unlinkat, statx, readlinkat,
//    fchownat, utimensat) act on one name in a held directory and do not follow a trailing
//    symlink, or act on a held descriptor itself with AT_EMPTY_PATH;
//  - a held O_PATH descriptor is reopened for I/O through /proc/self/fd/N (proc(5)), which the
//    kernel resolves to that very file, as QEMU's 9p "local" backend and virtiofsd do.
// Failures throw NinepError with the host errno, which the guest gets in Rlerror.

import os from 'node:os';
import koffi from 'koffi';
import { NinepError } from './wire.ts';

const libc = koffi.load('libc.so.6');

// openat and fcntl are variadic in C; with only integer/pointer arguments the x86-64 and
// AArch64 Linux calling conventions pass them exactly like fixed arguments.
const cOpenat = libc.func('int openat(int dirfd, const char *path, int flags, uint32_t mode)');
const cSyscall4 = libc.func('long syscall(long nr, long a, const char *b, _Inout_ uint8_t *c, long d)');
const cFcntl = libc.func('int fcntl(int fd, int cmd, long arg)');
const cClose = libc.func('int close(int fd)');
const cStatx = libc.func('int statx(int dirfd, const char *path, int flags, uint32_t mask, _Inout_ uint8_t *buf)');
const cMkdirat = libc.func('int mkdirat(int dirfd, const char *path, uint32_t mode)');
const cSymlinkat = libc.func('int symlinkat(const char *target, int dirfd, const char *path)');
const cLinkat = libc.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)');
const cRenameat = libc.func('int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)');
const cUnlinkat = libc.func('int unlinkat(int dirfd, const char *path, int flags)');
const cReadlinkat = libc.func('long readlinkat(int dirfd, const char *path, _Inout_ uint8_t *buf, unsigned long size)');
const cFchmodat = libc.func('int fchmodat(int dirfd, const char *path, uint32_t mode, int flags)');
const cFchownat = libc.func('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)');
const cUtimensat = libc.func('int utimensat(int dirfd, const char *path, _Inout_ uint8_t *times, int flags)');
const cGetdents64 = libc.func('long getdents64(int fd, _Inout_ uint8_t *buf, unsigned long size)');

/** openat2 has no glibc wrapper; its number is the same on every architecture (Linux 5.6+). */
const SYS_openat2 = 437;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_FOLLOW = 0x400;
const AT_EMPTY_PATH = 0x1000;
const AT_FDCWD = -100;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const F_DUPFD_CLOEXEC = 1030;
const STATX_BASIC_STATS = 0x7ff;
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
const EINTR = 4;
const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));

function check<T extends number | bigint>(result: T, what: string): T {
  if (Number(result) < 0) {
    const errno = koffi.errno();
    throw new NinepError(errno, `${what}: ${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}`);
  }
  return result;
}

/** One name under a held directory: no '/', no symlink on the way, never above `dirfd`. */
export function openBeneath(dirfd: number, name: string, flags: number, mode = 0): number {
  const how = new Uint8Array(24); // struct open_how { u64 flags, mode, resolve }
  const v = new DataView(how.buffer);
  v.setBigUint64(0, BigInt(flags | O_CLOEXEC), true);
  v.setBigUint64(8, BigInt(mode), true);
  v.setBigUint64(16, BigInt(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), true);
  for (;;) {
    const fd = Number(cSyscall4(SYS_openat2, dirfd, name, how, how.length));
    if (fd >= 0) return fd;
    if (koffi.errno() !== EINTR) return check(fd, `openat2 ${name}`);
  }
}

/** The parent of a held directory (the caller keeps '..' from leaving the share root). */
export function openParent(dirfd: number): number {
  return check(cOpenat(dirfd, '..', O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0) as number, 'openat ..');
}

/** A host directory given by the user (the share root itself), held as O_PATH. */
export function openRoot(path: string): number {
  return check(cOpenat(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0) as number, `open ${path}`);
}

/** Reopens a held descriptor (O_PATH) for I/O: `proc` is /proc/self/fd held open. */
export function reopen(proc: number, fd: number, flags: number): number {
  return check(cOpenat(proc, String(fd), flags | O_CLOEXEC, 0) as number, 'reopen');
}

export function dup(fd: number): number {
  return check(cFcntl(fd, F_DUPFD_CLOEXEC, 0) as number, 'dup');
}

export function close(fd: number): void {
  cClose(fd);
}

export interface Stat {
  mode: number;
  uid: number;
  gid: number;
  nlink: bigint;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  ino: bigint;
  dev: bigint;
  atime: [bigint, number];
  mtime: [bigint, number];
  ctime: [bigint, number];
}

/** statx(2) of one name in a held directory (not following it), or of the held descriptor
 *  itself when `name` is ''. struct statx has one layout on every architecture. */
export function statAt(dirfd: number, name = ''): Stat {
  const b = new Uint8Array(256);
  const flags = AT_SYMLINK_NOFOLLOW | (name === '' ? AT_EMPTY_PATH : 0);
  check(cStatx(dirfd, name, flags, STATX_BASIC_STATS, b) as number, `statx ${name}`);
  const v = new DataView(b.buffer);
  const time = (o: number): [bigint, number] => [v.getBigInt64(o, true), v.getUint32(o + 8, true)];
  const dev = (o: number) => makedev(v.getUint32(o, true), v.getUint32(o + 4, true));
  return {
    blksize: BigInt(v.getUint32(4, true)),
    nlink: BigInt(v.getUint32(16, true)),
    uid: v.getUint32(20, true),
    gid: v.getUint32(24, true),
    mode: v.getUint16(28, true),
    ino: v.getBigUint64(32, true),
    size: v.getBigUint64(40, true),
    blocks: v.getBigUint64(48, true),
    atime: time(64),
    ctime: time(96),
    mtime: time(112),
    rdev: dev(128),
    dev: dev(136),
  };
}

/** The Linux dev_t encoding (include/linux/kdev_t.h new_encode_dev, as glibc's makedev). */
function makedev(major: number, minor: number): bigint {
  const M = BigInt(major);
  const m = BigInt(minor);
  return ((M & 0xfffff000n) << 32n) | ((M & 0xfffn) << 8n) | ((m & 0xffffff00n) << 12n) | (m & 0xffn);
}

export function mkdirAt(dirfd: number, name: string, mode: number): void {
  check(cMkdirat(dirfd, name, mode) as number, `mkdirat ${name}`);
}

export function symlinkAt(target: string, dirfd: number, name: string): void {
  check(cSymlinkat(target, dirfd, name) as number, `symlinkat ${name}`);
}

/** A new name in a held directory for the file a held descriptor refers to. A symlink needs
 *  AT_EMPTY_PATH (CAP_DAC_READ_SEARCH); anything else goes through its /proc/self/fd link,
 *  which AT_SYMLINK_FOLLOW resolves to the file itself (linkat(2)). */
export function linkAt(proc: number, fd: number, isSymlink: boolean, dirfd: number, name: string): void {
  const r = isSymlink ? cLinkat(fd, '', dirfd, name, AT_EMPTY_PATH) : cLinkat(proc, String(fd), dirfd, name, AT_SYMLINK_FOLLOW);
  check(r as number, `linkat ${name}`);
}

export function renameAt(olddirfd: number, oldname: string, newdirfd: number, newname: string): void {
  check(cRenameat(olddirfd, oldname, newdirfd, newname) as number, `renameat ${oldname}`);
}

export function unlinkAt(dirfd: number, name: string, flags: number): void {
  check(cUnlinkat(dirfd, name, flags) as number, `unlinkat ${name}`);
}

/** The target of a symlink held as O_PATH | O_NOFOLLOW. */
export function readlink(fd: number): string {
  const buf = new Uint8Array(4096);
  const n = Number(check(cReadlinkat(fd, '', buf, buf.length) as number, 'readlinkat'));
  return new TextDecoder().decode(buf.subarray(0, n));
}

/** chmod of a held descriptor that is not a symlink (its /proc/self/fd link is followed to the
 *  file itself). */
export function chmod(proc: number, fd: number, mode: number): void {
  check(cFchmodat(proc, String(fd), mode, 0) as number, 'fchmodat');
}

/** chown of a held descriptor itself (a symlink is not followed); -1 keeps an id. */
export function chown(fd: number, uid: number, gid: number): void {
  check(cFchownat(fd, '', uid >>> 0, gid >>> 0, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) as number, 'fchownat');
}

/** Sets atime and mtime of a held descriptor itself: [seconds, nanoseconds or UTIME_NOW /
 *  UTIME_OMIT]. */
export function utimes(fd: number, atime: [bigint, number], mtime: [bigint, number]): void {
  const b = new Uint8Array(32); // struct timespec[2] { i64 tv_sec; long tv_nsec }
  const v = new DataView(b.buffer);
  v.setBigInt64(0, atime[0], true);
  v.setBigInt64(8, BigInt(atime[1]), true);
  v.setBigInt64(16, mtime[0], true);
  v.setBigInt64(24, BigInt(mtime[1]), true);
  check(cUtimensat(fd, '', b, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) as number, 'utimensat');
}

export interface Dirent {
  name: string;
  ino: bigint;
  type: number;
}

/** Every entry of an open directory (getdents64(2); struct linux_dirent64 is the same on every
 *  architecture: u64 ino, s64 off, u16 reclen, u8 type, name). */
export function readDirectory(fd: number): Dirent[] {
  const out: Dirent[] = [];
  const buf = new Uint8Array(32768);
  const v = new DataView(buf.buffer);
  const text = new TextDecoder();
  for (;;) {
    const n = Number(check(cGetdents64(fd, buf, buf.length) as number, 'getdents64'));
    if (n === 0) return out;
    for (let p = 0; p < n;) {
      const reclen = v.getUint16(p + 16, true);
      const nameEnd = buf.indexOf(0, p + 19);
      out.push({ ino: v.getBigUint64(p, true), type: buf[p + 18]!, name: text.decode(buf.subarray(p + 19, nameEnd)) });
      p += reclen;
    }
  }
}
