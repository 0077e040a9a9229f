// colinux-ctl driven as a script would, against the bundled guest booted by colinux-daemon:
// list and status (--json and tables), the console log (whole and --follow), SysRq, reboot and
// power off; refusals exit 1 with the co_rc_t name, bad command lines 2; nothing left running.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN, REPO, commandOf, monitorsOf, processesUnder, runToEnd, sandbox, start, until } from '@colinux/daemon/test/helpers';

const CTL = join(REPO, 'packages/ctl/bin/colinux-ctl.js');

async function ctl(env: NodeJS.ProcessEnv, ...args: string[]) {
  return runToEnd(CTL, args, env);
}

async function ctlJson(t: Pick<typeof import('tap').default, 'equal'>, env: NodeJS.ProcessEnv, ...args: string[]): Promise<any> {
  const r = await ctl(env, '--json', ...args);
  t.equal(r.code, 0, `colinux-ctl --json ${args.join(' ')}: exit 0 (${r.stderr.trim()})`);
  const lines = r.stdout.split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'one JSON document');
  return JSON.parse(lines[0]!);
}

t.test('no manager: an empty list, a refused status, usage errors', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  t.same(await ctlJson(t, box.env, 'list'), { monitors: [] });
  t.same((await ctl(box.env, 'list')).stdout, 'no monitors\n');
  const s = await ctl(box.env, '--json', 'status', '4242');
  t.equal(s.code, 1, 'refused: exit 1');
  t.equal(JSON.parse(s.stdout).error.rc, 'CO_RC_ERROR_ACCESSING_DRIVER');
  t.match(s.stderr, /^colinux-ctl: status 4242: no manager is running .*\(CO_RC_ERROR_ACCESSING_DRIVER\)\n$/);
  for (const bad of [
    ['status'],
    ['status', 'x1'],
    ['sysrq', '1', 'hh'],
    ['frobnicate'],
    [],
    ['disk', 'snapshot', '1', 'cobdx'],
    ['disk', 'snapshot', '1', '32'],
  ]) {
    const r = await ctl(box.env, ...bad);
    t.equal(r.code, 2, `'${bad.join(' ')}': usage, exit 2`);
    t.equal(r.stdout, '', 'nothing on stdout');
  }
});

t.test('a running bundled guest: list, status, console-log, sysrq, reboot, poweroff', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const disk = join(box.dir, 'scratch.img');
  writeFileSync(disk, Buffer.alloc(1024 * 1024));
  const d = start(
    DAEMON_BIN,
    [
      '-d',
      '--shutdown-timeout',
      '120',
      `kernel=${join(REPO, 'guest/images/vmlinux')}`,
      `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`,
      'mem=64',
      `cobd1=${disk}`,
      'colinux.ctltest=1',
    ],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  const [, pid] = (await d.waitFor(/^PID: (\d+)\n/m)).match(/^PID: (\d+)\n/m)!;
  const id = Number(pid);

  const list = await ctlJson(t, box.env, 'list');
  t.equal(list.monitors.length, 1);
  t.match(list.monitors[0], { id, memoryMiB: 64, ownerPid: id, createdAt: /^\d{4}-\d\d-\d\dT/ });
  t.match((await ctl(box.env, 'list')).stdout, new RegExp(`^ID +STATE +MEMORY +OWNER +CREATED\\n${id} +(RUNNING|STARTED|INITIALIZED) +64 MiB +${id} `));

  // The console log reaches the shell prompt; the status names the disk and the boot line.
  await until(async () => ((await ctl(box.env, 'console-log', pid!)).stdout.includes('colinux-guest: ready') ? true : undefined), 180_000, 1000);
  const s = await ctlJson(t, box.env, 'status', pid!);
  t.match(s, { id, state: 'RUNNING', reason: null, ownerPid: id, memoryMiB: 64, bootLine: /colinux\.ctltest=1/ });
  t.same(s.disks, [{ unit: 1, name: 'cobd1', path: disk, format: 'raw', readOnly: false }]);
  t.ok(s.instructions > 0, 'instructions counted');
  // The translator's statistics (cpu-core.md jitStats) as the worker posted them: a booted guest
  // ran most of its instructions translated, entered from the interpreter, in blocks it translated.
  t.ok(s.jit.insns > 0 && s.jit.insns <= s.instructions, `translated instructions counted (${s.jit.insns} of ${s.instructions})`);
  t.ok(
    s.jit.entries > 0 && s.jit.translated > 0 && s.jit.batches > 0 && s.jit.regions > 0,
    `entries ${s.jit.entries}, blocks ${s.jit.translated}, batches ${s.jit.batches}, regions ${s.jit.regions}`,
  );
  t.ok(s.jit.lookups >= s.jit.entries && s.jit.decodeMisses > 0, `lookups ${s.jit.lookups}, decode misses ${s.jit.decodeMisses}`);
  t.ok(
    s.modules.some((m: { module: string; held: boolean }) => m.module === 'printk' && m.held),
    'the daemon holds printk',
  );
  t.match(
    (await ctl(box.env, 'status', pid!)).stdout,
    new RegExp(
      `^id +${id}\\nstate +RUNNING\\n[\\s\\S]*\\ntranslator +\\d+ instructions in \\d+ entries, \\d+ blocks \\(\\d+ regions\\) translated, [\\s\\S]*cobd1 +${disk} \\(raw, read-write\\)\\n`,
    ),
  );
  const whole = await ctlJson(t, box.env, 'console-log', pid!);
  t.match(whole, { id, file: join(box.runtimeDir, `monitor-${id}.console.log`), text: /colinux-guest: ready/ });

  // --follow: keeps printing until the monitor ends, then exits 0 by itself.
  const follow = start(CTL, ['console-log', pid!, '--follow'], box.env);
  t.teardown(() => follow.child.kill('SIGKILL'));
  await follow.waitFor('colinux-guest: ready', 30_000);

  t.same(await ctlJson(t, box.env, 'sysrq', pid!, 'h'), { id, key: 'h', sent: true });
  await follow.waitFor(/sysrq: HELP : /, 60_000);
  t.pass('SysRq h reached the guest kernel (its help line on the followed console)');

  t.same(await ctlJson(t, box.env, 'reboot', pid!), { id, action: 'reboot', requested: true });
  await d.waitFor(/colinux: rebooted\./, 180_000);
  await follow.waitFor(/Requesting system reboot[\s\S]*colinux-guest: ready/, 180_000);
  t.pass('reboot: the guest restarted and the follower kept following');

  const off = await ctl(box.env, 'poweroff', pid!);
  t.same([off.code, off.stdout], [0, `monitor ${id}: poweroff requested\n`]);
  t.equal((await d.exited).code, 0, 'the daemon ends after the guest powered off');
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/);
  t.equal((await follow.exited).code, 0, 'console-log --follow ended with the monitor');
  t.match(follow.stdout(), /Requesting system poweroff/);

  const gone = await ctl(box.env, '--json', 'status', pid!);
  t.equal(gone.code, 1);
  t.same(JSON.parse(gone.stdout).error.rc, 'CO_RC_NOT_FOUND');
  t.equal((await ctl(box.env, 'sysrq', pid!, 'h')).code, 1, 'sysrq to a gone monitor is refused');
  t.match((await ctl(box.env, 'console-log', pid!)).stdout, /Requesting system poweroff/, 'the log outlives the monitor');
  t.same(await monitorsOf(box.env), []);
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => !c.includes('monitor-core')),
    [],
    'nothing but the manager left',
  );
});
