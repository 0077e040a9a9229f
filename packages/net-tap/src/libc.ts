// The few libc calls Node does not expose: opening a TUN/TAP device (linux/if_tun.h) and
// waiting on a descriptor libuv cannot poll (a character device is a "file" to libuv).
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

// open, ioctl and fcntl are variadic in C; with only integer/pointer arguments the x86-64 and
// AArch64 Linux calling conventions pass them exactly like fixed arguments.
const cOpen = libc.func('int open(const char *path, int flags)');
const cIoctl = libc.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)');
const cFcntl = libc.func('int fcntl(int fd, int cmd, long arg)');
const cPoll = libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');
const cClose = libc.func('int close(int fd)');
const cStrerror = libc.func('const char *strerror(int errnum)');

export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
const F_GETFL = 3;
const F_SETFL = 4;
const POLLIN = 1;
const POLLOUT = 4;

export function lastError(): string {
  const errno = koffi.errno();
  return `${String(cStrerror(errno))} (errno ${errno})`;
}

export function open(path: string, flags: number): number {
  const fd = cOpen(path, flags) as number;
  if (fd < 0) throw new Error(`cannot open ${path}: ${lastError()}`);
  return fd;
}

export function ioctl(fd: number, request: number, arg: Uint8Array): number {
  return cIoctl(fd, request, arg) as number;
}

export function setNonBlocking(fd: number): void {
  const flags = cFcntl(fd, F_GETFL, 0) as number;
  if (flags < 0 || (cFcntl(fd, F_SETFL, flags | O_NONBLOCK) as number) < 0) {
    throw new Error(`fcntl(O_NONBLOCK) on fd ${fd}: ${lastError()}`);
  }
}

const pollfd = new Uint8Array(8);
const pollView = new DataView(pollfd.buffer);

/** Blocks the calling thread until fd is readable or timeoutMs passes; true when readable. */
export function waitReadable(fd: number, timeoutMs: number): boolean {
  return waitFd(fd, POLLIN, timeoutMs);
}

/** Blocks the calling thread until fd is writable or timeoutMs passes. */
export function waitWritable(fd: number, timeoutMs: number): boolean {
  return waitFd(fd, POLLOUT, timeoutMs);
}

function waitFd(fd: number, events: number, timeoutMs: number): boolean {
  pollView.setInt32(0, fd, true);
  pollView.setInt16(4, events, true);
  pollView.setInt16(6, 0, true);
  const n = cPoll(pollfd, 1, timeoutMs) as number;
  return n > 0;
}

export function close(fd: number): void {
  cClose(fd);
}
