// Issue 10's acceptance for suspend and resume, with real processes: the bundled guest, its root
// on a qcow2 overlay made by qemu-img, runs a shell loop printing a counter on its console and
// writing it to a file it keeps open. `colinux-ctl suspend` writes the bundle and the daemon exits;
// `colinux-ctl resume` from another process in another runtime dir (its serial port given anew
// as an override) continues the loop from the next number, the file holds every number once, and
// the guest's clock is the host's within 1 s although it slept. Damaged bundles are refused with
// one line and leave nothing running; qemu-img check accepts the overlay at the end.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  BUNDLED_GUEST,
  DAEMON_BIN,
  REPO,
  commandOf,
  monitorsOf,
  processesUnder,
  runToEnd,
  sandbox,
  serialShell,
  start,
  until,
} from '@colinux/daemon/test/helpers';
import { requireTool } from '../../../test/tools.ts';

const CTL = join(REPO, 'packages/ctl/bin/colinux-ctl.js');
const QEMU_IMG = 'qemu-img';
requireTool(QEMU_IMG);
/** How long the guest stays suspended: long enough that a clock left behind would show. */
const ASLEEP_MS = 4000;

async function ctlJson(t: Pick<typeof import('tap').default, 'equal'>, env: NodeJS.ProcessEnv, ...args: string[]): Promise<any> {
  const r = await runToEnd(CTL, ['--json', ...args], env);
  t.equal(r.code, 0, `colinux-ctl --json ${args.join(' ')}: exit 0 (${r.stderr.trim()})`);
  return JSON.parse(r.stdout);
}

/** Host seconds minus guest seconds, plus the shell's answer time: waits for the guest's
 *  `date +%s` to tick over and notes the host clock when that is reported. The answer time only
 *  adds (a loaded host makes it larger), so the least of three is the closest. */
async function clockOffset(shell: ReturnType<typeof serialShell>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const out = await shell.sh('a=$(date +%s); while [ "$(date +%s)" = "$a" ]; do :; done; echo flip-$(date +%s)');
    best = Math.min(best, Date.now() / 1000 - Number(/flip-(\d+)/.exec(out)![1]));
  }
  return best;
}

const counts = (text: string): number[] => [...text.matchAll(/count-(\d+)\r?\n/g)].map((m) => Number(m[1]));

t.test('suspend a counting guest, resume it elsewhere from another process', async (t) => {
  const one = sandbox();
  const two = sandbox();
  t.teardown(() => Promise.all([one.cleanup(), two.cleanup()]));
  const dir = one.dir;
  writeFileSync(join(dir, 'root.ext2'), gunzipSync(readFileSync(join(REPO, 'guest/images/root.ext2.gz'))));
  const overlay = join(dir, 'root.qcow2');
  execFileSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', '-b', 'root.ext2', '-F', 'raw', overlay], { cwd: dir });

  const serial1 = serialShell(join(dir, 'ttyS0-1.sock'), t);
  const d = start(DAEMON_BIN, ['-d', ...BUNDLED_GUEST, `cobd0=${overlay}`, 'root=/dev/cobd0', `ttys0=${join(dir, 'ttyS0-1.sock')}`], one.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  const id = Number((await d.waitFor(/^PID: (\d+)\n/m)).match(/^PID: (\d+)\n/m)![1]);
  await serial1.ready();
  // The loop prints on the console (hvc0) and into a file on the overlay it holds open (fd 3).
  await serial1.sh('(i=0; while :; do i=$((i+1)); echo count-$i > /dev/hvc0; echo line-$i >&3; sleep 0.2; done) 3>/counter.txt & true');
  const consoleLog = (box: typeof one, monitor: number) => {
    try {
      return readFileSync(join(box.runtimeDir, `monitor-${monitor}.console.log`), 'latin1');
    } catch {
      return '';
    }
  };
  await until(() => (counts(consoleLog(one, id)).length >= 5 ? true : undefined), 60_000);
  const offsetBefore = await clockOffset(serial1);

  const bundle = join(two.dir, 'vm.bundle');
  const s = await ctlJson(t, one.env, 'suspend', String(id), bundle);
  t.match(s, { id, file: bundle, suspended: true, bytes: Number, ms: Number });
  t.comment(`suspend: ${s.ms} ms, ${(s.bytes / 1048576).toFixed(1)} MiB bundle for ${s.ramPages} non-zero pages of 64 MiB`);
  t.same(await d.exited, { code: 0, signal: null }, 'the daemon exits 0 after the suspend');
  t.match(d.stdout(), /^colinux: suspended to .*vm\.bundle, exiting\.$/m, 'with one line saying where');
  t.same(await monitorsOf(one.env), [], 'the monitor is gone');
  const last = counts(consoleLog(one, id)).pop()!;
  await new Promise((r) => setTimeout(r, ASLEEP_MS));

  // Another runtime dir, another process (colinux-ctl starts a daemon), another serial socket.
  const serial2 = serialShell(join(two.dir, 'ttyS0-2.sock'), t);
  const r = await ctlJson(t, two.env, 'resume', bundle, `ttys0=${join(two.dir, 'ttyS0-2.sock')}`);
  t.match(r, { file: bundle, resumed: true, id: Number });
  const id2 = r.id as number;
  t.not(id2, id, "a new monitor (the new daemon's pid)");
  await until(() => (counts(consoleLog(two, id2)).length >= 3 ? true : undefined), 60_000);
  const after = counts(consoleLog(two, id2));
  t.equal(after[0], last + 1, `the loop continues from the next number (${last} -> ${after[0]})`);
  t.same(
    after,
    after.map((_, i) => last + 1 + i),
    'and counts on without a gap',
  );

  await serial2.ready(60_000);
  const file = await serial2.sh('kill $!; sync; cat /counter.txt');
  const lines = [...file.matchAll(/line-(\d+)/g)].map((m) => Number(m[1]));
  t.ok(lines.length > last, `the open file has every number (${lines.length} lines)`);
  t.same(
    lines,
    lines.map((_, i) => i + 1),
    'once each, in order: its content is intact',
  );
  const offsetAfter = await clockOffset(serial2);
  t.ok(
    Math.abs(offsetAfter) < 1,
    `after ${ASLEEP_MS / 1000} s asleep the guest's date is within 1 s of the host's: ${offsetAfter.toFixed(3)} s (before the suspend ${offsetBefore.toFixed(3)} s)`,
  );
  const dmesg = await serial2.sh('dmesg | grep -ciE "soft lockup|rcu.*stall|hung task" || true');
  t.match(dmesg, /^0\r?$/m, 'no soft-lockup, RCU stall or hung-task warning in the guest log');

  // Damaged bundles: one line each, exit 1, no monitor and no daemon left behind. The daemon reads
  // only the bundle's META; the rest is the manager's to refuse after CREATE, so these go that far:
  // --force past the disk check (the resumed guest writes the overlay), a copy of the overlay
  // beside it (the running VM holds the overlay itself).
  const copy = join(dir, 'copy.qcow2');
  copyFileSync(overlay, copy);
  const good = readFileSync(bundle);
  const damaged: Array<[string, Buffer, RegExp]> = [
    ['truncated', good.subarray(0, Math.floor(good.length * 0.6)), /truncated/],
    ['a flipped byte', Buffer.from(good).fill(good[good.length - 100]! ^ 0x55, good.length - 100, good.length - 99), /damaged \(CRC-32 mismatch\)/],
    [
      'another version',
      Buffer.concat([good.subarray(0, 8), Buffer.from([2, 0, 0, 0]), good.subarray(12)]),
      /bundle format version 2, this program reads version 1/,
    ],
  ];
  const before = processesUnder(two.runtimeDir).length;
  for (const [what, bytes, message] of damaged) {
    const bad = join(two.dir, 'bad.bundle');
    writeFileSync(bad, bytes);
    const res = await runToEnd(CTL, ['resume', bad, '--force', `cobd0=${copy}`], two.env);
    t.equal(res.code, 1, `${what}: exit 1`);
    t.match(res.stderr, message, `${what}: ${res.stderr.trim()}`);
    t.equal(res.stderr.trim().split('\n').length, 1, `${what}: one line`);
    t.same(
      (await monitorsOf(two.env))?.map((m) => m.id),
      [id2],
      `${what}: no monitor left behind`,
    );
    // The refused monitor's own process (colinux-monitor-core --monitor) exits once it is closed.
    await until(() => (processesUnder(two.runtimeDir).length === before ? true : undefined), 15_000).catch(() => undefined);
    t.equal(processesUnder(two.runtimeDir).length, before, `${what}: no process left behind`, { processes: processesUnder(two.runtimeDir).map(commandOf) });
  }
  // A disk changed since the suspend: refused naming it, unless --force (not run here: the VM runs).
  const res = await runToEnd(DAEMON_BIN, ['-d', `resume=${bundle}`, `cobd0=${join(dir, 'root.ext2')}`], two.env);
  t.equal(res.code, 255, "a different disk: coLinux's error status (docs/daemon.md)");
  t.match(res.stderr, /^colinux: cannot resume: cobd0: .*root\.ext2 changed since the suspend .*--force resumes anyway\n$/, res.stderr.trim());

  await runToEnd(CTL, ['poweroff', String(id2)], two.env);
  await until(() => (processesUnder(two.runtimeDir).every((p) => !commandOf(p).includes('colinux-daemon')) ? true : undefined), 60_000);
  const check = spawnSync(QEMU_IMG, ['check', overlay], { encoding: 'utf8' });
  t.equal(check.status, 0, `qemu-img check accepts the overlay: ${check.stdout.trim()}`);
});
