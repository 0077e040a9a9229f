// Node strips the types of every .ts module it loads with its TypeScript transformer, a wasm
// module of several MB that stays loaded, with its heap and compiled code, in each thread that
// used it: about 12 MB per machine worker, for the life of the guest (and allocator garbage from
// compiling it). Node's compile cache keeps stripped and compiled modules on disk; a thread whose
// modules are all in it never loads the transformer. bin/colinux-monitor-core.js picks the
// cache dir (private to this user: mode 0700, owner checked) and the workers inherit it.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pino from 'pino';

/** The machine worker of a monitor process (docs/manager.md "Monitor processes"). Its main
 *  thread's modules are not prepared here (that made a cold start under load miss the daemon's
 *  15 s wait): the first monitor process writes them to the cache once it serves (main.ts). */
const MONITOR_URLS = [new URL('../machine/worker.ts', import.meta.url)];
/** Their sources: this package's, the protocol's and the client's (found as Node resolves the
 *  imports), and node_modules. */
const SOURCES = [
  new URL('..', import.meta.url),
  new URL('.', import.meta.resolve('@colinux/protocol')),
  new URL('.', import.meta.resolve('@colinux/client')),
].map((u) => u.pathname);
const MODULES_STAMP = new URL('../../../../node_modules/.modules.yaml', import.meta.url).pathname;
/** Written into the cache dir after a preparation: what it was made from. */
const PREPARED = 'colinux-machine-prepared.json';
/** A cold cache takes about a second to fill; past this the first worker simply fills it. */
const PREPARE_TIMEOUT_MS = 10_000;

/** Loads the worker's modules once in a short-lived process (worker.ts does nothing outside a
 *  worker thread), so that even the first monitor's worker starts from the cache and the
 *  manager never holds the transformer's memory for it. Never fails: on any problem the first
 *  worker fills the cache itself. */
export function prepareMachineCache(log: pino.Logger): Promise<void> {
  // Workers inherit this process's environment, so they use the cache only when
  // bin/colinux-monitor-core.js chose one (NODE_COMPILE_CACHE). A manager running inside another
  // program (the tests) has none: Node flushes a worker's cache when the whole process exits,
  // which would write into runtime dirs already removed.
  const env = process.env;
  const cacheDir = env.NODE_COMPILE_CACHE;
  if (!cacheDir || env.NODE_DISABLE_COMPILE_CACHE) return Promise.resolve();
  // Every start after the first finds the cache filled from the same sources: the preparation (a
  // Node process, 0.1-0.2 s before the manager listens) is then skipped.
  const made = fingerprint();
  if (readPrepared(cacheDir) === made) return Promise.resolve();
  return new Promise((resolve) => {
    const started = performance.now();
    const imports = MONITOR_URLS.map((u) => `await import(${JSON.stringify(u.href)});`).join(' ');
    const child = spawn(process.execPath, ['--input-type=module', '-e', imports], { env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), PREPARE_TIMEOUT_MS);
    const done = (outcome: string): void => {
      clearTimeout(timer);
      if (outcome === 'exit 0') writePrepared(cacheDir, made);
      log.debug({ ms: Math.round(performance.now() - started), outcome }, 'machine compile cache prepared');
      resolve();
    };
    child.once('error', (err) => done(err.message));
    child.once('exit', (code, signal) => done(signal ?? `exit ${code}`));
  });
}

/** Node's version and the newest modification time among the worker's possible sources. */
function fingerprint(): string {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  let modules = 0;
  try {
    modules = statSync(MODULES_STAMP).mtimeMs;
  } catch {
    // not installed by pnpm: sources only
  }
  return JSON.stringify([process.version, modules, ...SOURCES.map(newest)]);
}

function readPrepared(cacheDir: string): string | undefined {
  try {
    return readFileSync(join(cacheDir, PREPARED), 'utf8');
  } catch {
    return undefined;
  }
}

function writePrepared(cacheDir: string, made: string): void {
  try {
    writeFileSync(join(cacheDir, PREPARED), made, { mode: 0o600 });
  } catch {
    // the next start prepares again
  }
}
