// The memory measures of docs/manager.md "Memory": the manager program and its machine workers
// start from a private compile cache it prepared, and worker.ts is inert outside a worker thread.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ManagerClient } from '@colinux/client';
import { startManager, tempRuntime } from './manager-fixtures.ts';

const WORKER = new URL('../src/machine/worker.ts', import.meta.url);
const BIN = new URL('../bin/colinux-monitor-core.js', import.meta.url).pathname;

t.test('worker.ts loaded outside a worker thread does nothing', async (t) => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(WORKER.href)});`], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0);
  t.equal(r.stdout, '');
  t.equal(r.stderr, '');
});

t.test('the manager program fills a private compile cache before it serves', async (t) => {
  // The real bin, as colinux-daemon starts it, with an empty cache home of its own (in the runtime
  // dir, removed only after the manager has exited); the machine workers inherit NODE_COMPILE_CACHE.
  const rt = tempRuntime();
  t.teardown(() => rt.remove());
  const manager = spawn(process.execPath, [BIN, '--serve'], { env: ownCacheHome(rt), stdio: 'ignore' });
  const exited = new Promise((resolve) => manager.once('exit', resolve));
  t.teardown(async () => {
    manager.kill('SIGTERM');
    await exited;
  });
  const client = await connectWhenReady(rt.env);
  await client.close();
  const cache = path.join(rt.dir, 'cache', 'colinux', 'compile-cache');
  const versions = fs
    .readdirSync(cache, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  t.equal(versions.length, 1, 'one cache for this Node version');
  t.ok(fs.existsSync(path.join(cache, 'colinux-machine-prepared.json')), 'what it was prepared from is noted, so the next start skips it');
  // worker.ts, machine.ts, the devices, virtio, SBI, DTB: dozens of modules.
  const entries = fs.readdirSync(path.join(cache, versions[0]!));
  t.ok(entries.length >= 30, `${entries.length} cached modules`);
  t.equal(fs.statSync(cache).mode & 0o077, 0, 'the cache dir is private');
});

t.test('a manager started again on the same sources skips the preparation; changed sources redo it', async (t) => {
  const rt = tempRuntime();
  t.teardown(() => rt.remove());
  const env = { ...ownCacheHome(rt), COLINUX_LOG_LEVEL: 'debug' };
  const prepared = path.join(rt.dir, 'cache', 'colinux', 'compile-cache', 'colinux-machine-prepared.json');
  /** Starts the real bin until it serves, stops it, and tells whether it prepared the cache. */
  const serveOnce = async (): Promise<boolean> => {
    let log = '';
    const manager = spawn(process.execPath, [BIN, '--serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    manager.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    manager.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    const exited = new Promise((resolve) => manager.once('exit', resolve));
    const client = await connectWhenReady(rt.env);
    await client.close();
    manager.kill('SIGTERM');
    await exited;
    return log.includes('machine compile cache prepared');
  };
  t.ok(await serveOnce(), 'first start: prepared');
  t.notOk(await serveOnce(), 'second start: skipped');
  fs.writeFileSync(prepared, '["made from other sources"]');
  t.ok(await serveOnce(), 'after a change: prepared again');
});

t.test('a manager running inside another program gives its workers no cache', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  t.notOk(fs.existsSync(path.join(m.rt.dir, 'compile-cache')));
});

/** The runtime's environment with `$XDG_CACHE_HOME` inside the runtime dir, so that the program
 *  picks (and creates) its default cache dir there. */
function ownCacheHome(rt: { dir: string; env: NodeJS.ProcessEnv }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...rt.env, XDG_CACHE_HOME: path.join(rt.dir, 'cache') };
  delete env.NODE_COMPILE_CACHE;
  return env;
}

async function connectWhenReady(env: NodeJS.ProcessEnv): Promise<ManagerClient> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await ManagerClient.connect({ env });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
