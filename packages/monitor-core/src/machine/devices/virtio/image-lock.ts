// Disk image locks in QEMU's scheme (QEMU block/file-posix.c, "raw_apply_lock_bytes" and
// "raw_check_lock_bytes"), so two of our VMs refuse each other and a QEMU using the same image
// refuses us and we it. Every lock is a shared open-file-description lock (fcntl F_OFD_SETLK,
// fcntl(2)) on one byte: byte 100+p says "I use permission p", byte 200+p "I do not let others
// use p". A conflict is a lock someone else holds on a byte that contradicts ours, found with
// F_OFD_GETLK. OFD locks belong to the open file description: two opens in one process (two
// monitors of one manager) conflict, and closing the descriptor (or the process ending, however
// it ends) releases them.
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

interface Libc {
  koffi: typeof Koffi;
  fcntl: (fd: number, cmd: number, lock: Uint8Array) => number;
  strerror: (errno: number) => string;
}
let libc: Libc | undefined;

/** Loaded on first use: a machine worker given descriptors by the manager never needs it. */
function loadLibc(): Libc {
  if (libc) return libc;
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const lib = koffi.load('libc.so.6');
  // fcntl is variadic in C; with integer and pointer arguments the x86-64 and AArch64 Linux
  // calling conventions pass them exactly like fixed arguments.
  libc = {
    koffi,
    fcntl: lib.func('int fcntl(int fd, int cmd, _Inout_ uint8_t *lock)') as Libc['fcntl'],
    strerror: lib.func('const char *strerror(int errnum)') as Libc['strerror'],
  };
  return libc;
}

const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
const SEEK_SET = 0;
/** struct flock on 64-bit Linux: l_type, l_whence (short), l_start, l_len (off_t), l_pid (int). */
const FLOCK_SIZE = 32;

const PERM_BASE = 100;
const SHARED_BASE = 200;
/** QEMU's permission bits (include/block/block-common.h, BLK_PERM_*) used here. */
const PERM_CONSISTENT_READ = 0;
const PERM_WRITE = 1;

/** What a guest disk uses, and what it refuses to share: QEMU's virtio-blk without share-rw
 *  shares neither way the right to write, read-only or not (`readonly=on` locks byte 201 too). */
function permissions(readOnly: boolean): { used: number[]; unshared: number[] } {
  return { used: readOnly ? [PERM_CONSISTENT_READ] : [PERM_CONSISTENT_READ, PERM_WRITE], unshared: [PERM_WRITE] };
}

function flock(type: number, byte: number): Uint8Array {
  const b = new Uint8Array(FLOCK_SIZE);
  const v = new DataView(b.buffer);
  v.setInt16(0, type, true);
  v.setInt16(2, SEEK_SET, true);
  v.setBigInt64(8, BigInt(byte), true);
  v.setBigInt64(16, 1n, true);
  return b;
}

function fcntlOrThrow(fd: number, cmd: number, lock: Uint8Array): void {
  const c = loadLibc();
  if (c.fcntl(fd, cmd, lock) === 0) return;
  const errno = c.koffi.errno();
  throw new Error(`cannot lock the image: ${c.strerror(errno)} (errno ${errno})`);
}

/** Whether another open file description holds a lock on `byte`. */
function heldByOthers(fd: number, byte: number): boolean {
  const probe = flock(F_WRLCK, byte);
  fcntlOrThrow(fd, F_OFD_GETLK, probe);
  return new DataView(probe.buffer).getInt16(0, true) !== F_UNLCK;
}

/**
 * Takes the locks for a disk opened on `fd` (shared use for read-only, sole writer for
 * read-write) and returns true, or returns false when another holder's locks contradict them;
 * the caller then closes `fd`, which drops what was taken. Locks first, checks after, as QEMU
 * does, so two racing openers cannot both pass.
 */
export function lockImage(fd: number, readOnly: boolean): boolean {
  const { used, unshared } = permissions(readOnly);
  for (const p of used) fcntlOrThrow(fd, F_OFD_SETLK, flock(F_RDLCK, PERM_BASE + p));
  for (const p of unshared) fcntlOrThrow(fd, F_OFD_SETLK, flock(F_RDLCK, SHARED_BASE + p));
  return !used.some((p) => heldByOthers(fd, SHARED_BASE + p)) && !unshared.some((p) => heldByOthers(fd, PERM_BASE + p));
}
