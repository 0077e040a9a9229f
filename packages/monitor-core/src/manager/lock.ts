// Two managers never serve one endpoint: a lock file holding the serving pid (created with O_EXCL)
// plus a connect probe of the socket. A lock whose pid is gone, or a socket nobody answers on, is
// stale and replaced, the fix for coLinux users' "driver already loaded" after a crash.
import fs from 'node:fs';
import net from 'node:net';
import type pino from 'pino';
import { endpointPath, lockPath, monitorEndpointPath } from '@colinux/client';

export interface EndpointLock {
  socketPath: string;
  release(): void;
}

export class EndpointBusyError extends Error {
  override name = 'EndpointBusyError';
  pid: number;
  constructor(socketPath: string, pid: number) {
    super(`a manager (pid ${pid || 'unknown'}) already serves ${socketPath}`);
    this.pid = pid;
  }
}

/** True when something accepts connections on the socket. */
export function probeSocket(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path: socketPath });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true); // a listener that is too busy to accept is still a listener
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockPid(file: string): number {
  try {
    return Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10) || 0;
  } catch {
    return 0;
  }
}

function tryCreateLock(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    fs.writeSync(fd, `${process.pid}\n`);
    fs.closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export async function acquireEndpoint(env: NodeJS.ProcessEnv, log: pino.Logger): Promise<EndpointLock> {
  const socketPath = endpointPath(env);
  const file = lockPath(env);
  for (let attempt = 0; ; attempt++) {
    if (tryCreateLock(file)) break;
    const holder = readLockPid(file);
    if (holder === process.pid) break;
    if (pidAlive(holder)) {
      // A live holder that answers is a running manager; one that does not may still be starting.
      if (await probeSocket(socketPath)) throw new EndpointBusyError(socketPath, holder);
      if (attempt < 50) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      throw new Error(`manager pid ${holder} holds ${file} but does not answer on ${socketPath}; stop it or remove the lock file`);
    }
    log.warn({ lock: file, pid: holder }, 'removing stale lock of a manager that is gone');
    try {
      fs.unlinkSync(file);
    } catch {
      // another starter removed it first; the O_EXCL create decides
    }
    if (attempt > 50) throw new Error(`cannot take the manager lock ${file}`);
  }
  const release = (): void => {
    try {
      fs.unlinkSync(socketPath);
    } catch {
      // already gone
    }
    if (readLockPid(file) === process.pid) fs.rmSync(file, { force: true });
  };
  if (fs.existsSync(socketPath)) {
    if (await probeSocket(socketPath)) {
      if (readLockPid(file) === process.pid) fs.rmSync(file, { force: true });
      throw new EndpointBusyError(socketPath, 0);
    }
    const st = fs.lstatSync(socketPath);
    if (!st.isSocket()) {
      if (readLockPid(file) === process.pid) fs.rmSync(file, { force: true });
      throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
    }
    log.warn({ endpoint: socketPath }, 'replacing stale socket nobody answers on');
    fs.unlinkSync(socketPath);
  }
  return { socketPath, release };
}

/** A monitor process's endpoint, `monitor-<id>.sock` (docs/protocol.md#endpoint): no lock file,
 *  the socket decides. One that answers belongs to a live process of that monitor (refused); one
 *  nobody answers on was left by a process that died, and is replaced. */
export async function acquireMonitorEndpoint(env: NodeJS.ProcessEnv, id: number, log: pino.Logger): Promise<EndpointLock> {
  const socketPath = monitorEndpointPath(env, id);
  if (fs.existsSync(socketPath)) {
    if (await probeSocket(socketPath)) throw new EndpointBusyError(socketPath, 0);
    if (!fs.lstatSync(socketPath).isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
    log.warn({ endpoint: socketPath }, 'replacing stale socket nobody answers on');
    fs.rmSync(socketPath, { force: true });
  }
  return {
    socketPath,
    release: () => fs.rmSync(socketPath, { force: true }),
  };
}
