import { constants, createWriteStream, openSync, closeSync, statSync } from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import type { Readable, Writable } from 'node:stream';

/** The host end of a guest serial port: bytes in (to the guest) and bytes out (from the guest). */
export interface HostPort {
  kind: 'tty' | 'fifo' | 'socket' | 'file' | 'stdio';
  input?: Readable;
  output: Writable;
  isTerminal: boolean;
  close(): void;
}

/**
 * Opens `-f <device>`. coLinux opened a Windows COM port (docs/colinux.md#serial-helper); here the device is a
 * terminal or pty (/dev/pts/N), a FIFO, a Unix socket, or a plain file that receives the guest's
 * output. A tty and a FIFO are opened O_NONBLOCK so opening never waits for the other side, and
 * O_NOCTTY so a terminal never becomes this helper's controlling terminal.
 */
export async function openHostPort(path: string): Promise<HostPort> {
  const pair = fifoPair(path);
  if (pair) {
    const input = new net.Socket({ fd: openSync(pair.in, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    const output = new net.Socket({ fd: openSync(pair.out, constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: true });
    return {
      kind: 'fifo',
      input,
      output,
      isTerminal: false,
      close: () => {
        input.destroy();
        output.destroy();
      },
    };
  }
  const st = statSync(path);
  if (st.isSocket()) {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ path });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    return { kind: 'socket', input: socket, output: socket, isTerminal: false, close: () => socket.destroy() };
  }
  if (st.isFIFO()) {
    // One FIFO carries both directions, so the other side must not read back what it wrote; the
    // <path>.in/<path>.out pair above avoids that. O_RDWR keeps the FIFO open even while no writer is attached (Linux fifo(7)), so input EOF
    // does not end the helper when a writer goes away.
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
    const pipe = new net.Socket({ fd, readable: true, writable: true });
    return { kind: 'fifo', input: pipe, output: pipe, isTerminal: false, close: () => pipe.destroy() };
  }
  if (st.isCharacterDevice()) {
    const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    if (tty.isatty(fd)) {
      const input = new tty.ReadStream(fd);
      const outFd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY);
      const output = new tty.WriteStream(outFd);
      return {
        kind: 'tty',
        input,
        output,
        isTerminal: true,
        close: () => {
          input.destroy();
          output.destroy();
        },
      };
    }
    closeSync(fd);
    const output = createWriteStream(path, { flags: 'a' });
    return { kind: 'file', output, isTerminal: false, close: () => output.destroy() };
  }
  if (st.isFile()) {
    const output = createWriteStream(path, { flags: 'a' });
    return { kind: 'file', output, isTerminal: false, close: () => output.destroy() };
  }
  throw new Error('not a terminal, FIFO, socket or file');
}

/** The helper's own stdin/stdout, stdin in raw mode when it is a terminal (restored by close). */
export function stdioPort(): HostPort {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  return {
    kind: 'stdio',
    input: stdin,
    output: process.stdout,
    isTerminal: raw,
    close: () => {
      if (raw) stdin.setRawMode(false);
      stdin.pause();
    },
  };
}

/**
 * QEMU's `-chardev pipe` convention: when `<path>` itself does not exist but the FIFOs `<path>.in`
 * (host -> guest) and `<path>.out` (guest -> host) do, they are the two directions.
 */
export function fifoPair(path: string): { in: string; out: string } | undefined {
  const isFifo = (p: string) => {
    try {
      return statSync(p).isFIFO();
    } catch {
      return false;
    }
  };
  try {
    statSync(path);
    return undefined;
  } catch {
    return isFifo(`${path}.in`) && isFifo(`${path}.out`) ? { in: `${path}.in`, out: `${path}.out` } : undefined;
  }
}
