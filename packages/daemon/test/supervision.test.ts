// Helpers beyond coLinux: a killed helper is restarted with backoff, a hand-run --force copy takes
// the unit over and is left alone, and a killed daemon frees its monitor and ends every helper.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN, FIXTURES, SERIAL_BIN, commandOf, monitorsOf, processesUnder, sandbox, start, until } from './helpers.ts';

const IDLE = `kernel=${join(FIXTURES, 'guest-idle.elf')}`;

function serialHelpers(runtimeDir: string, unit: number): number[] {
  return processesUnder(runtimeDir).filter((pid) => {
    const cmd = commandOf(pid);
    return cmd.includes('colinux-serial-daemon') && cmd.includes(`-u ${unit} `) && !cmd.includes('--force');
  });
}

t.test('a helper killed with SIGKILL is restarted and the exit reason logged', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const port = join(box.dir, 'ttyS0.out');
  writeFileSync(port, '');
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', IDLE, 'mem=16', `ttys0=${port}`], box.env);
  await d.waitFor('colinux: booting');
  const [first] = await until(() => {
    const pids = serialHelpers(box.runtimeDir, 0);
    return pids.length === 1 ? pids : undefined;
  });
  process.kill(first!, 'SIGKILL');
  await d.waitFor(/ttys0 helper exited \(signal SIGKILL\)/);
  const [second] = await until(() => {
    const pids = serialHelpers(box.runtimeDir, 0);
    return pids.length === 1 && pids[0] !== first ? pids : undefined;
  });
  t.not(second, first, 'a new helper runs');
  t.match(d.stderr(), /"restartInMs":1000/, 'first restart after 1 s');
  process.kill(second!, 'SIGKILL');
  await d.waitFor(/"restartInMs":2000/);
  t.pass('backoff doubles');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => c.includes('serial-daemon')),
    [],
    'helpers gone after exit',
  );
});

t.test('a helper run by hand with --force takes the unit over; the daemon waits until it is free', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const port = join(box.dir, 'ttyS1.out');
  writeFileSync(port, '');
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', IDLE, 'mem=16', `ttys1=${port}`], box.env);
  await d.waitFor('colinux: booting');
  const [mine] = await until(() => {
    const pids = serialHelpers(box.runtimeDir, 1);
    return pids.length === 1 ? pids : undefined;
  });
  const byHand = start(SERIAL_BIN, ['-i', String(d.child.pid), '-u', '1', '-f', port, '--force'], box.env);
  await byHand.waitFor('colinux-serial-daemon: running');
  await until(() => (serialHelpers(box.runtimeDir, 1).includes(mine!) ? undefined : true));
  await d.waitFor('held by another process (taken over)');
  t.same(serialHelpers(box.runtimeDir, 1), [], 'the daemon did not restart its copy while the unit is held');
  byHand.child.kill('SIGTERM');
  await byHand.exited;
  const [again] = await until(() => {
    const pids = serialHelpers(box.runtimeDir, 1);
    return pids.length === 1 ? pids : undefined;
  });
  t.not(again, mine, 'restarted once the hand-run helper released the unit');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('kill -9 of the daemon: the monitor is freed and every helper exits', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const ports = [0, 1, 2].map((u) => {
    const p = join(box.dir, `ttyS${u}.out`);
    writeFileSync(p, '');
    return `ttys${u}=${p}`;
  });
  const d = start(DAEMON_BIN, ['-d', IDLE, 'mem=16', ...ports], box.env);
  await d.waitFor('colinux: booting');
  await until(() =>
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => c.includes('serial-daemon')).length === 3
      ? true
      : undefined,
  );
  d.child.kill('SIGKILL');
  await d.exited;
  await until(async () => ((await monitorsOf(box.env))?.length === 0 ? true : undefined));
  t.pass('monitor freed');
  await until(() =>
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .some((c) => c.includes('serial-daemon'))
      ? undefined
      : true,
  );
  t.pass('every helper exited');
});

/** Whether a process still runs (a zombie has exited; only its parent has not reaped it yet). */
function running(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

t.test("kill -9 of the daemon: its execN program and the program's children end too", async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const script = join(box.dir, 'exec0.sh');
  writeFileSync(script, '/bin/sleep 1000 &\n/bin/sleep 1001\n');
  const d = start(DAEMON_BIN, ['-d', IDLE, 'mem=16', `exec0=/bin/sh,${script}`], box.env);
  await d.waitFor('colinux: booting');
  const program = /^(\/bin\/sh .*exec0\.sh|\/bin\/sleep 100[01])$/;
  const pids = await until(() => {
    const found = processesUnder(box.runtimeDir).filter((p) => program.test(commandOf(p)));
    return found.length === 3 ? found : undefined;
  });
  d.child.kill('SIGKILL');
  // Not d.exited: that waits for the daemon's stdout to close, which the program inherited.
  await until(() => (d.child.signalCode === 'SIGKILL' ? true : undefined));
  await until(() => (pids.some(running) ? undefined : true), 10_000);
  t.pass('the shell and both sleeps are gone');
  await until(() => (processesUnder(box.runtimeDir).some((p) => commandOf(p).includes('exec-watchdog')) ? undefined : true), 10_000);
  t.pass('the watchdog is gone too');
});

t.test("the monitor's process dies: one line from the daemon with the reason, exit 255, helpers end too", async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const port = join(box.dir, 'ttyS0.out');
  writeFileSync(port, '');
  const d = start(DAEMON_BIN, ['-d', IDLE, 'mem=16', `ttys0=${port}`], box.env);
  await d.waitFor('colinux: booting');
  await until(() => (serialHelpers(box.runtimeDir, 0).length === 1 ? true : undefined));
  const monitor = processesUnder(box.runtimeDir).find((p) => commandOf(p).includes('colinux-monitor-core.js --monitor'));
  process.kill(monitor!, 'SIGKILL');
  const { code } = await d.exited;
  t.equal(code, 255);
  t.match(d.stderr(), new RegExp(`^colinux: lost the monitor: monitor ${d.child.pid} ended: its process \\(pid ${monitor}\\) was killed by SIGKILL$`, 'm'));
  const manager = (p: number) => commandOf(p).includes('colinux-monitor-core.js --serve');
  await until(() => (processesUnder(box.runtimeDir).filter((p) => !manager(p)).length === 0 ? true : undefined));
  t.pass('no process left but the manager');
});
