// Shared setup for the daemon's and the serial helper's process tests: a private runtime dir (so
// suites run in parallel), the real bins spawned on this Node, and a /proc scan that finds every
// process started under that runtime dir (they all inherit COLINUX_RUNTIME_DIR), so a test can
// prove that nothing was left running.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MonitorInfo } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';

export const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const FIXTURES = join(REPO, 'packages/daemon/test/fixtures');
export const DAEMON_BIN = join(REPO, 'packages/daemon/bin/colinux-daemon.js');
export const SERIAL_BIN = join(REPO, 'packages/serial/bin/colinux-serial-daemon.js');

export interface Sandbox {
  dir: string;
  runtimeDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'colinux-daemon-test-'));
  const runtimeDir = join(dir, 'run');
  const env = { ...process.env, COLINUX_RUNTIME_DIR: runtimeDir, COLINUX_LOG_LEVEL: process.env.COLINUX_LOG_LEVEL ?? 'info' };
  return {
    dir,
    runtimeDir,
    env,
    async cleanup() {
      await stopManager(env);
      for (const pid of processesUnder(runtimeDir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Pids of live processes whose environment has COLINUX_RUNTIME_DIR=<dir> (this process excluded). */
export function processesUnder(runtimeDir: string): number[] {
  const needle = `COLINUX_RUNTIME_DIR=${runtimeDir}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie has exited; its parent just has not reaped it yet
      if (`${environ}\0`.includes(needle)) pids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export async function monitorsOf(env: NodeJS.ProcessEnv): Promise<MonitorInfo[] | undefined> {
  let c: ManagerClient;
  try {
    c = await ManagerClient.connect({ env, timeoutMs: 2000 });
  } catch {
    return undefined;
  }
  try {
    return await c.list();
  } finally {
    await c.close();
  }
}

export async function stopManager(env: NodeJS.ProcessEnv): Promise<void> {
  let c: ManagerClient;
  try {
    c = await ManagerClient.connect({ env, timeoutMs: 2000 });
  } catch {
    return;
  }
  try {
    for (const m of await c.list()) {
      try {
        process.kill(m.id, 'SIGKILL');
      } catch {
        // owner already gone
      }
    }
    await until(async () => ((await c.list()).length === 0 ? true : undefined), 10_000).catch(() => undefined);
    await c.shutdownManager().catch(() => undefined);
  } finally {
    await c.close();
  }
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the output once `pattern` appears on stdout or stderr (generous default: the machine shares 2 cores with everything else). */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function start(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd = REPO): Running {
  const child = spawn(process.execPath, [bin, ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 180_000) {
      const test = () => (typeof pattern === 'string' ? (out + err).includes(pattern) : pattern.test(out + err));
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          if (!test()) return;
          cleanup();
          resolvePromise(out + err);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${String(pattern)}; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onExit = () => {
          if (test()) return check();
          cleanup();
          reject(new Error(`process exited before ${String(pattern)}; stdout:\n${out}\nstderr:\n${err}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('close', onExit);
        };
        waiters.add(check);
        child.on('close', onExit);
        check();
      });
    },
  };
}

/** Runs a bin to completion. */
export async function runToEnd(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd = REPO) {
  const r = start(bin, args, env, cwd);
  const { code, signal } = await r.exited;
  return { code, signal, stdout: r.stdout(), stderr: r.stderr() };
}

/** Polls `fn` until it returns a value other than undefined. */
export async function until<T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The bundled kernel and initramfs as `colinux-daemon` arguments (64 MiB). */
export const BUNDLED_GUEST = [`kernel=${join(REPO, 'guest/images/vmlinux')}`, `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`, 'mem=64'];

/**
 * A shell on the guest's ttyS0 through the serial helper (`ttys0=<path>`): `ready()` waits for the
 * shell to answer, `sh(cmd)` resolves with what the command printed and throws when it exits
 * non-zero. `keepLast` bounds the kept output (a flooding guest); `sh` needs it unbounded.
 * `context` adds to a timeout's message (e.g. the daemon's output).
 */
export function serialShell(path: string, t: { teardown(fn: () => void): void }, opts: { keepLast?: number; context?: () => string } = {}) {
  let text = '';
  let seq = 0;
  const connected = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => {
      s.on('data', (b) => {
        text += b.toString('latin1');
        if (opts.keepLast !== undefined) text = text.slice(-opts.keepLast);
      });
      resolve(s);
    });
    server.listen(path);
    t.teardown(() => server.close());
  });
  return {
    connected,
    output: () => text,
    async write(line: string): Promise<void> {
      (await connected).write(line);
    },
    /** Resolves once the shell on ttyS0 answers (the guest has booted). */
    async ready(timeoutMs = 240_000): Promise<net.Socket> {
      const socket = await connected;
      await until(
        () => {
          socket.write('echo up-$((6*7))\n');
          return text.includes('up-42') ? true : undefined;
        },
        timeoutMs,
        2000,
      );
      return socket;
    },
    async sh(cmd: string, timeoutMs = 120_000): Promise<string> {
      const socket = await connected;
      const n = ++seq;
      // The echoed command line shows $((n*1)), only the shell's output shows the number.
      const marker = `<<${n}:`;
      const from = text.length;
      socket.write(`${cmd}; echo "<<$((${n}*1)):$?>>"\n`);
      await until(() => (text.indexOf(marker, from) >= 0 && text.indexOf('>>', text.indexOf(marker, from)) >= 0 ? true : undefined), timeoutMs, 200).catch(
        () => {
          throw new Error(`no answer to '${cmd}'; serial:\n${text.slice(-2000)}${opts.context ? `\n${opts.context()}` : ''}`);
        },
      );
      const at = text.indexOf(marker, from);
      const status = Number(text.slice(at + marker.length, text.indexOf('>>', at)));
      const body = text.slice(from, at);
      if (status !== 0) throw new Error(`guest command '${cmd}' failed (${status}): ${body}`);
      return body;
    },
  };
}
