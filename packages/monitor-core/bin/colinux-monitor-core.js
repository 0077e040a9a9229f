#!/usr/bin/env node
import { mkdirSync, statSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { requireModernNode } from '@colinux/protocol/node-guard';
requireModernNode('colinux-monitor-core');

// The manager runs for as long as its monitors do. Loading its TypeScript through Node's type
// stripper keeps the transformer (a wasm module, ~30 MB with its heap) resident for the process's
// life; starting from Node's compile cache never loads it. The cache must be private to this user
// (it holds code this process will run): ~/.cache/colinux (or the runtime dir when a test sets
// COLINUX_RUNTIME_DIR), created 0700 and refused if someone else owns it or can write it. The
// machine workers inherit NODE_COMPILE_CACHE and share it (src/manager/compile-cache.ts).
function privateCompileCache() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (process.env.NODE_COMPILE_CACHE) return process.env.NODE_COMPILE_CACHE;
  const base = process.env.COLINUX_RUNTIME_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'colinux');
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

const cache = privateCompileCache();
if (cache) {
  process.env.NODE_COMPILE_CACHE = cache;
  enableCompileCache(cache);
}
await import('../src/main.ts');
