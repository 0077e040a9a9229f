// The memory measures of docs/manager.md "Memory": machine workers start from a compile cache the
// manager prepared in its runtime dir, and worker.ts is inert outside a worker thread.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { machineWorkerEnv } from '../src/manager/compile-cache.ts';
import { startManager } from './manager-fixtures.ts';

const WORKER = new URL('../src/machine/worker.ts', import.meta.url);

t.test('the worker environment names a cache in the runtime dir unless the user chose one', async (t) => {
  const env = machineWorkerEnv('/run/user/1000/colinux', { PATH: '/bin' });
  t.equal(env.NODE_COMPILE_CACHE, path.join('/run/user/1000/colinux', 'compile-cache'));
  t.equal(env.PATH, '/bin');
  t.equal(machineWorkerEnv('/rt', { NODE_COMPILE_CACHE: '/mine' }).NODE_COMPILE_CACHE, '/mine');
  t.equal(machineWorkerEnv('/rt', { NODE_DISABLE_COMPILE_CACHE: '1' }).NODE_COMPILE_CACHE, undefined);
});

t.test('worker.ts loaded outside a worker thread does nothing', async (t) => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(WORKER.href)});`], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0);
  t.equal(r.stdout, '');
  t.equal(r.stderr, '');
});

t.test('a starting manager fills the machine compile cache before it serves', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const cache = path.join(m.rt.dir, 'compile-cache');
  const versions = fs.readdirSync(cache);
  t.equal(versions.length, 1, 'one cache for this Node version');
  // worker.ts, machine.ts, the devices, virtio, SBI, DTB, and pino: dozens of modules.
  const entries = fs.readdirSync(path.join(cache, versions[0]!));
  t.ok(entries.length >= 30, `${entries.length} cached modules`);
  t.equal((fs.statSync(m.rt.dir).mode & 0o077), 0, 'the cache sits in a private dir');
});
