// The bundled Linux guest running `yes` on its console (issue: the manager grew from 208 to
// 422 MB over 6 minutes and stayed there): after a warm-up the RSS of the monitor's process (which
// holds the shadow console) stays within ±10 % of where it was (±20 % in the short run, TOLERANCE),
// and the console log with its rotated files stays bounded. Long mode (COLINUX_LONG_TESTS=1)
// floods for 10 minutes after at least 2 minutes of warm-up; the normal suite for 20 seconds after
// at least 20 (longer while the process still grows, see MAX_WARMUP_S).
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
/** The warm-up goes on past WARMUP_S until the RSS grew by under 2 % over the last SETTLE_SAMPLES
 *  samples (the guest's boot, its page cache and the translator settle sooner or later depending
 *  on the host's load), but not past this. */
const MAX_WARMUP_S = LONG ? 300 : 60;
const SETTLE_SAMPLES = 4;
const SETTLED = 0.02;
/** How far the RSS may move from its value after the warm-up: ±10 % over the long mode's 10
 *  minutes (the bound); ±20 % over the normal suite's 20 s, where one step of the V8 heap
 *  or of translated code is already 8-9 % on a quiet host. */
const TOLERANCE = LONG ? 0.1 : 0.2;
/** console-log.ts: the current file and two rotated ones of at most 4 MiB, plus one write. */
const LOG_BOUND = 3 * 4 * 1024 * 1024 + 1024 * 1024;

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

t.test(`yes on the console for ${FLOOD_S} s: the monitor process's memory stays flat`, { timeout: (MAX_WARMUP_S + FLOOD_S + 300) * 1000 }, async (t) => {
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
  let warmup = WARMUP_S;
  const recent = [rssMiB(manager)];
  while (warmup < MAX_WARMUP_S) {
    await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
    warmup += SAMPLE_S;
    const now = rssMiB(manager);
    recent.push(now);
    if (recent.length > SETTLE_SAMPLES && Math.abs(now - recent[recent.length - 1 - SETTLE_SAMPLES]!) < now * SETTLED) break;
  }
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
    high <= base * (1 + TOLERANCE) && low >= base * (1 - TOLERANCE),
    `monitor process RSS ${Math.round(low)}..${Math.round(high)} MiB over ${FLOOD_S} s, within ±${TOLERANCE * 100} % of ${Math.round(base)} MiB after ${warmup} s of warm-up`,
  );

  socket.write('kill %1; poweroff\n');
  t.equal((await d.exited).code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/);
});
