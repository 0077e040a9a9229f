// Start-up shared by every program's bin/*.js. Plain JavaScript on purpose: it runs before any
// TypeScript is loaded.
//  1. A Node older than 24 gets one clear line (node-guard.js), not a syntax error.
//  2. Node's module compile cache is switched on, private to this user: Node strips the types of
//     each .ts module with a wasm transformer (~0.2 s to load, ~30 MB that stay resident) and then
//     compiles it; from the cache a program loads neither the transformer nor the sources' text.
//     The directory is ~/.cache/colinux/compile-cache ($XDG_CACHE_HOME honoured; NODE_COMPILE_CACHE
//     wins when set), created 0700 and refused if another user owns it or can write it. Child
//     processes (helpers, machine workers) inherit it through NODE_COMPILE_CACHE. It never lives
//     in the runtime dir: Node flushes the cache when a process exits, which would re-create a
//     runtime dir removed just before (tests remove theirs as soon as the manager is asked to
//     stop). Node's cache is safe to share between concurrent processes (its default is one
//     shared directory under the OS temp dir).
//  3. `--version` prints the package and protocol versions without loading the program.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import * as nodeModule from 'node:module'; // enableCompileCache: Node 22+, called after the guard
import { homedir } from 'node:os';
import { join } from 'node:path';
import { requireModernNode } from './node-guard.js';

/** The private compile cache dir (see 2. above), or undefined when there is none to use. Also
 *  used by the benchmarks, so that what they start finds the cache the programs fill. */
export function privateCompileCache() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (process.env.NODE_COMPILE_CACHE) return process.env.NODE_COMPILE_CACHE;
  const base = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'colinux');
  const dir = join(base, 'compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = statSync(dir);
    if (st.uid !== process.getuid() || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

/**
 * Runs the program whose bin file is `binUrl` (its package.json is one directory up) and whose
 * code starts at `main` (relative to the bin file).
 */
export async function startProgram(name, binUrl, main) {
  requireModernNode(name);
  const cache = privateCompileCache();
  if (cache) {
    process.env.NODE_COMPILE_CACHE = cache;
    nodeModule.enableCompileCache(cache);
  }
  if (process.argv.slice(2).includes('--version')) {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', binUrl), 'utf8'));
    const { PROTOCOL_VERSION } = await import('@colinux/protocol');
    process.stdout.write(`${name} ${version} (colinux-ts, manager protocol ${PROTOCOL_VERSION})\n`);
    return;
  }
  await import(new URL(main, binUrl).href);
}
