// A manager that starts while monitor processes run (its predecessor died): it finds them by their
// endpoints in the runtime dir, also one still waiting for its owner's CREATE, and removes the
// endpoint of one that is gone. Real processes, sockets and the machine worker.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ManagerClient, monitorEndpointPath } from '@colinux/client';
import { Module } from '@colinux/protocol';
import { ManagerServer } from '../src/index.ts';
import { monitorConfig, tempRuntime } from './manager-fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/colinux-monitor-core.js', import.meta.url));

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('a new manager finds a monitor process waiting for its CREATE, and lists it once created', async (t) => {
  const rt = tempRuntime();
  // As the previous manager would have: the monitor's process, in a session of its own.
  const monitor = spawn(process.execPath, [BIN, '--monitor', '9101'], { env: { ...rt.env, COLINUX_LOG_LEVEL: 'warn' }, stdio: 'ignore', detached: true });
  const exited = new Promise((r) => monitor.once('exit', r));
  const endpoint = monitorEndpointPath(rt.env, 9101);
  await until('the monitor endpoint', async () => (fs.existsSync(endpoint) ? true : undefined));
  t.equal(fs.statSync(endpoint).mode & 0o777, 0o600, "the monitor endpoint is the owner's only");

  // The endpoint of a monitor process that died: a socket file nobody answers on.
  const stale = monitorEndpointPath(rt.env, 9102);
  const dead = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((r) => dead.stdout!.once('data', r));
  dead.kill('SIGKILL');
  await new Promise((r) => dead.once('exit', r));
  t.ok(fs.existsSync(stale), 'a killed listener leaves its socket file');

  const m = await ManagerServer.start({ env: rt.env, logToStderr: false });
  t.teardown(async () => {
    await m.close();
    await exited;
    rt.remove();
  });
  const c = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => c.close());
  t.same(await c.list(), [], 'not listed before its owner created it');
  t.notOk(fs.existsSync(stale), "the dead monitor's endpoint was removed");

  const owner = await ManagerClient.connect({ env: rt.env, endpoint });
  t.teardown(() => owner.close());
  await owner.create(9101, monitorConfig());
  const listed = await until('the monitor in the list', async () => {
    const l = await c.list();
    return l.length ? l : undefined;
  });
  t.same(
    listed.map((x) => [x.id, x.memoryMiB]),
    [[9101, 16]],
    'listed once created',
  );
  const helper = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => helper.close());
  await helper.attach(9101, [Module.CONSOLE]);
  t.pass('a helper attaches through the new manager');
});
