// colinux-net-daemon in a network namespace against a real manager: it creates the TAP
// interface with the coLinux default name, attaches CONET0+unit, and exits 0 (removing the
// interface) when the monitor closes.
import t from 'tap';
import { spawn, execFileSync } from 'node:child_process';
import { ManagerClient } from '@colinux/client';
import { startManager, monitorConfig } from '@colinux/monitor-core/test/manager-fixtures';
import { requireTool } from '../../../test/tools.ts';

requireTool('ip');

const BIN = new URL('../bin/colinux-net-daemon.js', import.meta.url).pathname;

t.test('usage errors are one line and exit 2', async (t) => {
  for (const [args, text] of [
    [['-u', '0'], /coLinux instance not specified/],
    [['-i', '1', '-u', '99'], /invalid unit index/],
  ] as const) {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise((r) => p.once('exit', r));
    t.equal(code, 2);
    t.match(err, text);
  }
});

t.test('creates conet-host-<id>-<unit>, exits when the monitor closes', async (t) => {
  const ns = `tap-test-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      /* gone */
    }
  });
  const mgr = await startManager('net');
  t.teardown(() => mgr.stop());
  const owner = await ManagerClient.connect({ env: mgr.rt.env });
  const id = 42;
  await owner.create(id, monitorConfig({ netDevices: [{ unit: 1, mac: '02:00:00:00:00:02', type: 'tuntap' }] }));
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, '-i', String(id), '-u', '1'], { env: mgr.rt.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    p.kill('SIGKILL');
  });
  let err = '';
  p.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise((r) => p.once('exit', r));
  const end = Date.now() + 20_000;
  while (!err.includes('"running"') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  t.match(err, /TAP interface conet-host-42-1 created/);
  const link = execFileSync('ip', ['-n', ns, 'link', 'show', 'conet-host-42-1']).toString();
  t.match(link, /conet-host-42-1/, 'the interface exists in the namespace');
  await owner.closeMonitor();
  t.equal(await exit, 0, 'exits 0 when the monitor closes');
  t.throws(() => execFileSync('ip', ['-n', ns, 'link', 'show', 'conet-host-42-1'], { stdio: 'ignore' }), 'the interface is gone');
  await owner.close();
});
