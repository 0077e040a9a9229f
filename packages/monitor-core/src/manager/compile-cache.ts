// Node strips the types of every .ts module it loads with its TypeScript transformer, a wasm
// module of several MB that stays loaded, with its heap and compiled code, in each thread that
// used it: about 12 MB per machine worker, for the life of the guest (and allocator garbage from
// compiling it). Node's compile cache keeps stripped and compiled modules on disk; a thread whose
// modules are all in it never loads the transformer. bin/colinux-monitor-core.js picks the
// cache dir (private to this user: mode 0700, owner checked) and the workers inherit it.
import { spawn } from 'node:child_process';
import type pino from 'pino';

const WORKER_URL = new URL('../machine/worker.ts', import.meta.url);
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
  if (!env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return Promise.resolve();
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(WORKER_URL.href)});`], { env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), PREPARE_TIMEOUT_MS);
    const done = (outcome: string): void => {
      clearTimeout(timer);
      log.debug({ ms: Math.round(performance.now() - started), outcome }, 'machine compile cache prepared');
      resolve();
    };
    child.once('error', (err) => done(err.message));
    child.once('exit', (code, signal) => done(signal ?? `exit ${code}`));
  });
}
