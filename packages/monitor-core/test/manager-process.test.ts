// The manager as a real process: side by side in separate runtime dirs, never two on one
// endpoint, stale sockets and locks replaced, and the driver switches.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ManagerClient, lockPath, waitForManager } from '@colinux/client';
import { installDriver, removeDriver, statusDriver } from '../src/index.ts';
import { monitorConfig, tempRuntime, type TempRuntime } from './manager-fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/colinux-monitor-core.js', import.meta.url));

function serve(rt: TempRuntime): ChildProcess {
  return spawn(process.execPath, [BIN, '--serve'], { env: { ...rt.env, COLINUX_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

/** SIGTERM and wait for the exit: a manager still exiting would write into a removed runtime dir. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}

async function waitForPidExit(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (fs.existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function stopByLock(rt: TempRuntime): number {
  const pid = Number.parseInt(fs.existsSync(lockPath(rt.env)) ? fs.readFileSync(lockPath(rt.env), 'utf8') : '', 10);
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  return pid;
}

t.test('two managers serve side by side; a third on a served endpoint refuses', async (t) => {
  const a = tempRuntime();
  const b = tempRuntime();
  const ma = serve(a);
  const mb = serve(b);
  t.teardown(async () => {
    await Promise.all([stopChild(ma), stopChild(mb)]);
    a.remove();
    b.remove();
  });
  t.ok(await waitForManager(a.env, 15000), 'manager A answers');
  t.ok(await waitForManager(b.env, 15000), 'manager B answers');
  const ca = await ManagerClient.connect({ env: a.env });
  const cb = await ManagerClient.connect({ env: b.env });
  t.equal((await ca.status()).pid, ma.pid);
  t.equal((await cb.status()).pid, mb.pid);
  await ca.create(111, monitorConfig());
  t.equal((await cb.list()).length, 0, 'monitors are per manager');
  await ca.close();
  await cb.close();

  const third = serve(a);
  const r = await exited(third);
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`a manager \\(pid ${ma.pid}\\) already serves`));
});

t.test('a killed manager leaves a stale socket and lock that the next one replaces', async (t) => {
  const rt = tempRuntime();
  let second: ChildProcess | undefined;
  t.teardown(async () => {
    if (second) await stopChild(second);
    rt.remove();
  });
  const first = serve(rt);
  t.ok(await waitForManager(rt.env, 15000));
  const gone = exited(first);
  first.kill('SIGKILL');
  await gone;
  t.ok(fs.existsSync(path.join(rt.dir, 'manager.sock')), 'the socket file is left behind');
  t.equal(fs.readFileSync(lockPath(rt.env), 'utf8').trim(), String(first.pid), 'so is the lock');

  second = serve(rt);
  t.ok(await waitForManager(rt.env, 15000), 'the next manager serves');
  const c = await ManagerClient.connect({ env: rt.env });
  t.equal((await c.status()).pid, second.pid);
  await c.close();
  t.equal(fs.readFileSync(lockPath(rt.env), 'utf8').trim(), String(second.pid));
});

t.test('--install-driver, --status-driver, --remove-driver', async (t) => {
  const rt = tempRuntime();
  // The lock goes before the manager's process has ended (it still writes its compile cache and
  // logs on the way out), so wait for the process itself before removing the runtime dir.
  let managerPid = 0;
  t.teardown(async () => {
    const pid = stopByLock(rt);
    if (pid > 0) await waitForPidExit(pid);
    if (managerPid > 0) await waitForPidExit(managerPid);
    rt.remove();
  });
  t.match(await statusDriver(rt.env), /driver not installed/);
  t.equal(await installDriver(rt.env), 'daemon: driver installed');
  t.equal(await installDriver(rt.env), 'driver already installed');
  const status = await statusDriver(rt.env);
  managerPid = Number(/manager pid: (\d+)/.exec(status)?.[1] ?? 0);
  t.ok(managerPid > 0, 'status names the manager pid');
  t.match(status, /current state: 4 \(fully initialized\)/);
  t.match(status, /current number of monitors: 0/);

  const owner = await ManagerClient.connect({ env: rt.env });
  await owner.create(222, monitorConfig());
  t.match(await statusDriver(rt.env), /monitor 222: INITIALIZED, mem=16/);
  await t.rejects(removeDriver(rt.env), /monitors are running, cannot remove driver/);
  await owner.close();
  for (let i = 0; i < 100 && (await ownerGone(rt)) === false; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(await removeDriver(rt.env), 'daemon: driver removed');
  t.match(await statusDriver(rt.env), /driver not installed/);
  t.notOk(fs.existsSync(lockPath(rt.env)), 'the lock is released');
});

async function ownerGone(rt: TempRuntime): Promise<boolean> {
  const c = await ManagerClient.connect({ env: rt.env });
  try {
    return (await c.list()).length === 0;
  } finally {
    await c.close();
  }
}

t.test('the bin answers --status-driver when no manager runs', async (t) => {
  const rt = tempRuntime();
  t.teardown(() => rt.remove());
  const child = spawn(process.execPath, [BIN, '--status-driver'], { env: rt.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const r = await exited(child);
  t.equal(r.code, 0);
  t.equal(out, 'checking if the driver is installed\ndriver not installed\n');
});

t.test('the runtime dir removed under a running manager: it stops when idle, makes its endpoint again for running monitors', async (t) => {
  const idle = tempRuntime();
  const m1 = serve(idle);
  const m1Exit = exited(m1);
  t.teardown(async () => {
    await stopChild(m1);
    idle.remove();
  });
  t.ok(await waitForManager(idle.env, 15000), 'manager answers');
  idle.remove();
  const { code } = await m1Exit;
  t.equal(code, 0, 'with no monitor it stops cleanly once its endpoint is gone');

  const busy = tempRuntime();
  const m2 = serve(busy);
  t.teardown(async () => {
    await stopChild(m2);
    busy.remove();
  });
  t.ok(await waitForManager(busy.env, 15000));
  const owner = await ManagerClient.connect({ env: busy.env });
  t.teardown(() => owner.close());
  await owner.create(333, monitorConfig());
  busy.remove();
  t.ok(await waitForManager(busy.env, 15000), 'a new client reaches the manager again');
  t.equal(fs.statSync(busy.dir).mode & 0o777, 0o700, 'the runtime dir is made again 0700');
  const other = await ManagerClient.connect({ env: busy.env });
  t.same(
    (await other.list()).map((m) => m.id),
    [333],
    'the same manager, with its monitor',
  );
  await other.close();
  t.same(
    (await owner.list()).map((m) => m.id),
    [333],
    "the owner's connection survived",
  );
  t.equal(Number(fs.readFileSync(lockPath(busy.env), 'utf8').trim()), m2.pid, 'the lock names this manager again');
  await owner.closeMonitor();
});
