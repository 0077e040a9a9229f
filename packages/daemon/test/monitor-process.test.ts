// One process per monitor (docs/manager.md "Monitor processes"), with two bundled Linux guests
// booted by two colinux-daemons: kill -9 of the manager leaves both guests running, their serial
// shells, consoles and slirp networking working, and a new `colinux-daemon --status-driver`
// (which starts the next manager) lists both; kill -9 of one monitor's process ends only that
// guest, its daemon says why in one line and exits 255, the other guest is untouched.
import t from 'tap';

type Test = Pick<typeof t, 'teardown' | 'match' | 'pass'>;
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ManagerClient } from '@colinux/client';
import { Module } from '@colinux/protocol';
import { BUNDLED_GUEST, DAEMON_BIN, commandOf, processesUnder, runToEnd, sandbox, serialShell, start, until, type Running, type Sandbox } from './helpers.ts';

const isManager = (pid: number) => commandOf(pid).includes('colinux-monitor-core.js --serve');
const monitorProcessOf = (box: Sandbox, id: number) =>
  processesUnder(box.runtimeDir).find((p) => commandOf(p).includes(`colinux-monitor-core.js --monitor ${id} `));

/** A host web server the guests reach through slirp at 10.0.2.2 (the host's loopback). */
async function hostServer(t: Test): Promise<number> {
  const server = http.createServer((_req, res) => res.end('from-the-host\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  return (server.address() as AddressInfo).port;
}

interface Guest {
  daemon: Running;
  shell: ReturnType<typeof serialShell>;
}

function bootGuest(t: Test, box: Sandbox, name: string): Guest {
  const socket = join(box.dir, `${name}.ttyS0`);
  const shell = serialShell(socket, t);
  const daemon = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '120', ...BUNDLED_GUEST, `ttys0=${socket}`, 'eth0=slirp'], box.env);
  t.teardown(() => daemon.child.kill('SIGKILL'));
  return { daemon, shell };
}

/** The guest's shell, network (wget from the host through slirp) and console (hvc0, attached now
 *  through whatever manager serves) all answer. */
async function works(t: Test, box: Sandbox, g: Guest, port: number, what: string): Promise<void> {
  t.match(await g.shell.sh('echo shell-$((6*7))'), /shell-42/, `${what}: the serial shell answers`);
  t.match(await g.shell.sh(`wget -q -O - http://10.0.2.2:${port}/`), /from-the-host/, `${what}: the network reaches the host`);
  const c = await ManagerClient.connect({ env: box.env });
  try {
    await c.attach(g.daemon.child.pid!, [Module.CONSOLE]);
    let out = '';
    c.on('message', (m: { data: Uint8Array }) => (out += Buffer.from(m.data).toString('latin1')));
    await until(
      () => {
        c.send(Module.CONSOLE, Buffer.from('echo console-$((6*7))\n'));
        return out.includes('console-42') ? true : undefined;
      },
      60_000,
      1000,
    );
    t.pass(`${what}: the console answers`);
  } finally {
    await c.close();
  }
}

t.test('kill -9 of the manager: both guests keep running and a new manager lists them; kill -9 of one monitor ends only that guest', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const port = await hostServer(t);
  const a = bootGuest(t, box, 'a');
  const b = bootGuest(t, box, 'b');
  await Promise.all([a.shell.ready(), b.shell.ready()]);
  // udhcpc configures eth0 in the background: wait until both guests have a route.
  for (const g of [a, b]) await until(async () => ((await g.shell.sh('ip route')).includes('default') ? true : undefined), 60_000, 1000);
  const ids = [a, b].map((g) => g.daemon.child.pid!);
  const monitors = ids.map((id) => monitorProcessOf(box, id));
  t.ok(
    monitors.every((p) => p !== undefined),
    'each guest runs in a monitor process of its own',
  );

  const manager = processesUnder(box.runtimeDir).find(isManager);
  process.kill(manager!, 'SIGKILL');
  await until(() => (processesUnder(box.runtimeDir).some(isManager) ? undefined : true));
  t.pass('the manager is gone');

  const status = await runToEnd(DAEMON_BIN, ['--status-driver'], box.env);
  t.equal(status.code, 0, status.stderr);
  ids.forEach((id, i) =>
    t.match(
      status.stdout,
      new RegExp(`^monitor ${id}: RUNNING, mem=64, created \\S+, process ${monitors[i]}: \\d+\\.\\d MiB resident, \\d+\\.\\d s CPU$`, 'm'),
      `--status-driver lists monitor ${id} with its process`,
    ),
  );
  t.match(status.stdout, /current number of monitors: 2/);
  const newManager = processesUnder(box.runtimeDir).find(isManager);
  t.ok(newManager !== undefined && newManager !== manager, 'a new manager serves');
  await works(t, box, a, port, 'guest a after the manager died');
  await works(t, box, b, port, 'guest b after the manager died');
  t.same(
    [a, b].map((g) => g.daemon.child.exitCode),
    [null, null],
    'both daemons still run',
  );

  process.kill(monitors[0]!, 'SIGKILL');
  const { code } = await a.daemon.exited;
  t.equal(code, 255, "the daemon of the killed monitor exits with coLinux's error status");
  const lines = a.daemon
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('colinux: lost the monitor'));
  // This manager did not start it, so it cannot wait for it: the signal is known while the
  // process is a zombie (supervision.test.ts checks the line of a manager's own child).
  t.equal(lines.length, 1, 'one line');
  t.match(
    lines[0],
    new RegExp(`^colinux: lost the monitor: monitor ${ids[0]} ended: its process \\(pid ${monitors[0]}\\) (was killed by SIGKILL|ended)$`),
    `with the reason: ${lines[0]}`,
  );
  await works(t, box, b, port, "guest b after guest a's monitor was killed");
  const list = await runToEnd(DAEMON_BIN, ['--status-driver'], box.env);
  t.match(list.stdout, /current number of monitors: 1/);

  b.daemon.child.kill('SIGTERM');
  const end = await b.daemon.exited;
  t.equal(end.code, 0);
  t.match(b.daemon.stdout(), /colinux: powered off, exiting\.\n$/, 'the other guest shut down gracefully at the end');
});
