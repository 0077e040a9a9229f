// The bundled Linux guest running `yes` on its console (issue: the manager grew from 208 to
// 422 MB over 6 minutes and stayed there): after a warm-up the RSS of the monitor's process (which holds the shadow console) stays within
// ±10 % of where it was, and the console log with its rotated files stays bounded. Long mode
// (COLINUX_LONG_TESTS=1) floods for 10 minutes after 2 minutes of warm-up; the normal suite for
// 20 seconds after 20.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ManagerClient } from '@colinux/client';
import { Module } from '@colinux/protocol';
import { BUNDLED_GUEST, DAEMON_BIN, sandbox, serialShell, start } from './helpers.ts';

const LONG = process.env.COLINUX_LONG_TESTS === '1';
const WARMUP_S = LONG ? 120 : 20;
const FLOOD_S = LONG ? 600 : 20;
const SAMPLE_S = LONG ? 10 : 2;
/** console-log.ts: the current file and two rotated ones of at most 4 MiB, plus one write. */
const LOG_BOUND = 3 * 4 * 1024 * 1024 + 1024 * 1024;

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

t.test(`yes on the console for ${FLOOD_S} s: the monitor process's memory stays flat`, { timeout: (WARMUP_S + FLOOD_S + 300) * 1000 }, async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const socketPath = join(box.dir, 'ttyS0.sock');
  // Only the tail is kept: the flood goes to hvc0, but the shell's own echoes must not pile up.
  const serial = serialShell(socketPath, t, { keepLast: 4096 });
  const d = start(DAEMON_BIN, ['-d', '-k', '--shutdown-timeout', '60', ...BUNDLED_GUEST, `ttys0=${socketPath}`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  const socket = await serial.ready();
  const c = await ManagerClient.connect({ env: box.env });
  t.teardown(() => c.close());
  // The shadow console and the console log live in the monitor's own process: attached (to the
  // quiet PRINTK module), this client's STATUS is that process's.
  await c.attach(d.child.pid!, [Module.PRINTK], { watch: true });
  const manager = (await c.status()).pid;
  const logSize = (): number =>
    readdirSync(box.runtimeDir)
      .filter((f) => f.startsWith(`monitor-${d.child.pid}.console.log`))
      .reduce((n, f) => n + statSync(join(box.runtimeDir, f)).size, 0);

  socket.write('yes > /dev/hvc0 &\n');
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const base = rssMiB(manager);
  const logAtBase = logSize();
  let low = base;
  let high = base;
  for (let s = 0; s < FLOOD_S; s += SAMPLE_S) {
    await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
    const rss = rssMiB(manager);
    low = Math.min(low, rss);
    high = Math.max(high, rss);
    t.ok(logSize() <= LOG_BOUND, 'the console log and its rotated files stay bounded');
  }
  t.ok(logSize() !== logAtBase, 'the guest kept writing to its console');
  t.ok(
    high <= base * 1.1 && low >= base * 0.9,
    `monitor process RSS ${Math.round(low)}..${Math.round(high)} MiB over ${FLOOD_S} s, within ±10 % of ${Math.round(base)} MiB after ${WARMUP_S} s of warm-up`,
  );

  socket.write('kill %1; poweroff\n');
  t.equal((await d.exited).code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/);
});
