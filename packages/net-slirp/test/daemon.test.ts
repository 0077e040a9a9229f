// colinux-slirp-net-daemon as a process against a real manager: command-line errors, attach,
// redirections bound, takeover by a restarted copy (redirections come back), exit when the
// monitor closes.
import t from 'tap';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { ManagerClient } from '@colinux/client';
import { startManager, monitorConfig } from '@colinux/monitor-core/test/manager-fixtures';

const BIN = new URL('../bin/colinux-slirp-net-daemon.js', import.meta.url).pathname;

function run(args: string[], env: NodeJS.ProcessEnv): { p: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  return { p, stderr: () => err, exit };
}

async function until(fn: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

t.test('usage errors are one line and exit 2', async (t) => {
  const env = { ...process.env };
  for (const [args, text] of [
    [['-i', '5'], /device index not specified/],
    [['-u', '0'], /coLinux instance not specified/],
    [['-i', '5', '-u', '16'], /invalid index/],
    [['-i', '5', '-u', '0', '-r', 'tcp:22'], /Error in redirection 'tcp:22'/],
    [['-i', '5', '-u', '0', '-r', 'tcp:2222:22/xyz:1:2'], /Error in redirection 'xyz:1:2'/],
  ] as const) {
    const r = run([...args], env);
    t.equal(await r.exit, 2, `${args.join(' ')} exits 2`);
    t.match(r.stderr(), text);
    t.equal(r.stderr().trim().split('\n').length, 1, 'one line');
  }
});

t.test('attach, redirections, takeover with --force, exit on monitor close', async (t) => {
  const mgr = await startManager('net');
  t.teardown(() => mgr.stop());
  const owner = await ManagerClient.connect({ env: mgr.rt.env });
  const id = 70000 + (process.pid % 1000);
  await owner.create(id, monitorConfig({ netDevices: [{ unit: 0, mac: '02:00:00:00:00:01', type: 'slirp' }] }));
  const port = await freePort();
  const args = ['-i', String(id), '-u', '0', '-r', `tcp:${port}:22`];

  const first = run(args, mgr.rt.env);
  t.teardown(() => {
    first.p.kill('SIGKILL');
  });
  await until(() => first.stderr().includes('"running"'), 'first daemon running');
  t.ok(await connects(port), 'the redirected port listens');

  const again = run(args, mgr.rt.env);
  t.not(await again.exit, 0, 'a second daemon without --force is refused');

  const second = run([...args, '--force'], mgr.rt.env);
  t.teardown(() => {
    second.p.kill('SIGKILL');
  });
  t.equal(await first.exit, 0, 'the replaced daemon exits 0');
  t.match(first.stderr(), /taken over/);
  await until(() => second.stderr().includes('"running"'), 'second daemon running');
  t.match(second.stderr(), /"redirections":1/, 'its redirection came back');
  t.ok(await connects(port), 'the redirected port listens again');

  second.p.kill('SIGUSR1');
  await until(() => second.stderr().includes('"msg":"state"'), 'state dump');
  t.match(second.stderr(), /"stats":\{"framesIn":\d+.*"tcp":\[.*"msg":"state"/, 'SIGUSR1 logs the counters and connection table');

  await owner.closeMonitor();
  t.equal(await second.exit, 0, 'the daemon exits 0 when the monitor closes');
  await owner.close();
});

t.test('a redirected port in use is one error line; the daemon still runs', async (t) => {
  const mgr = await startManager('net');
  t.teardown(() => mgr.stop());
  const owner = await ManagerClient.connect({ env: mgr.rt.env });
  const id = 71000 + (process.pid % 1000);
  await owner.create(id, monitorConfig({ netDevices: [{ unit: 2, mac: '02:00:00:00:00:03', type: 'slirp' }] }));
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => busy.close());
  const busyPort = (busy.address() as net.AddressInfo).port;
  const freeP = await freePort();
  const d = run(['-i', String(id), '-u', '2', '-r', `tcp:${busyPort}:22/tcp:${freeP}:80`], mgr.rt.env);
  t.teardown(() => {
    d.p.kill('SIGKILL');
  });
  await until(() => d.stderr().includes('"running"'), 'daemon running');
  const lines = d
    .stderr()
    .split('\n')
    .filter((l) => l.includes('failed'));
  t.equal(lines.length, 1, 'one line for the port in use');
  t.match(lines[0], new RegExp(`slirp redir tcp:127\\.0\\.0\\.1:${busyPort}:22 failed: .*EADDRINUSE`));
  t.match(d.stderr(), /"redirections":1/, 'the other redirection is bound');
  t.ok(await connects(freeP), 'and listens');
  await owner.closeMonitor();
  t.equal(await d.exit, 0);
  await owner.close();
});
