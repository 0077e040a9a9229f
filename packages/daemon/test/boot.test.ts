// colinux-daemon against the real manager and machine, with the tiny test guests in fixtures/
// (built by fixtures/build.sh): the coLinux run phase, termination messages and exit codes.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { DAEMON_BIN, FIXTURES, monitorsOf, processesUnder, commandOf, sandbox, start, until } from './helpers.ts';

const guest = (name: string) => `kernel=${join(FIXTURES, `guest-${name}.elf`)}`;

t.test('poweroff: PID line, kernel lines without level tags, "powered off", exit 0, pid file removed', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const pidFile = join(box.dir, 'colinux.pid');
  const d = start(DAEMON_BIN, ['-d', '-p', pidFile, guest('poweroff'), 'mem=16', 'root=/dev/vda', 'memmap=1M$0x1000'], box.env);
  const { code } = await d.exited;
  t.equal(code, 0, d.stderr());
  const out = d.stdout();
  t.match(out, new RegExp(`^PID: ${d.child.pid}\\ncolinux: booting\\n`), "PID is the daemon's own pid (coLinux monitor id)");
  t.match(out, /^test guest: hello from the guest$/m, 'kernel line printed with <6> stripped');
  t.match(out, /colinux: powered off, exiting\.\n$/);
  t.notOk(existsSync(pidFile), 'pid file removed on exit');
  t.same(await monitorsOf(box.env), [], 'monitor freed');
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => !c.includes('monitor-core')),
    [],
    'only the manager still runs',
  );
});

t.test('the net transport (COLINUX_TRANSPORT=net) reaches the helpers too', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const env = { ...box.env, COLINUX_TRANSPORT: 'net' };
  const port = join(box.dir, 'ttyS0.out');
  writeFileSync(port, '');
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', guest('idle'), 'mem=16', `ttys0=${port}`], env);
  await d.waitFor('colinux-serial-daemon: running');
  await d.waitFor('hello from the guest');
  t.pass('kernel lines and a helper over the net transport');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('-k: no kernel lines; pid file holds the monitor id while running', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const pidFile = join(box.dir, 'colinux.pid');
  const d = start(DAEMON_BIN, ['-d', '-k', '-p', pidFile, '--shutdown-timeout', '1', guest('idle'), 'mem=16'], box.env);
  await d.waitFor('colinux: booting');
  t.equal(readFileSync(pidFile, 'utf8'), `${d.child.pid}\n`);
  const monitors = await until(async () => {
    const list = await monitorsOf(box.env);
    return list?.length ? list : undefined;
  });
  t.equal(monitors[0]!.id, d.child.pid);
  d.child.kill('SIGINT');
  const { code } = await d.exited;
  t.equal(code, 0);
  t.notMatch(d.stdout(), /hello from the guest/, '-k hides kernel lines');
  t.match(d.stdout(), /colinux: Linux VM goes shutdown, please wait!\ncolinux: powering off hard \(no shutdown within 1 s\)\.\n/);
  t.same(await monitorsOf(box.env), []);
});

t.test('panic: coLinux message with the root= hint, exit 255', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const d = start(DAEMON_BIN, ['-d', guest('panic'), 'mem=16'], box.env);
  const { code } = await d.exited;
  t.equal(code, 255);
  t.match(d.stdout(), /colinux: Kernel panic: VFS: Unable to mount root fs on unknown-block\(0,0\)\n/);
  t.match(d.stdout(), /check root= on the boot line/);
  t.same(await monitorsOf(box.env), []);
});

t.test('reboot: RESET, reload and START again; a stop request turns the next reboot into an exit', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const d = start(DAEMON_BIN, ['-d', guest('reboot'), 'mem=16'], box.env);
  await d.waitFor(/(colinux: rebooted\.[\s\S]*){2}/);
  const boots = (d.stdout().match(/hello from the guest/g) ?? []).length;
  t.ok(boots >= 2, `guest ran again after reboot (${boots} boots)`);
  d.child.kill('SIGTERM');
  const { code } = await d.exited;
  t.equal(code, 0);
  t.match(d.stdout(), /colinux: Linux VM goes shutdown, please wait!\n[\s\S]*colinux: shutting down after reboot\.\n$/);
  t.same(await monitorsOf(box.env), []);
});

t.test('execN programs start after the helpers and are killed at the end', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', guest('idle'), 'mem=16', 'exec0=/bin/sleep,1000', 'exec3=/bin/sleep,1001'], box.env);
  await d.waitFor('colinux: booting');
  const sleeps = await until(() => {
    const found = processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => c.startsWith('/bin/sleep'));
    return found.length === 2 ? found : undefined;
  });
  t.same(sleeps.sort(), ['/bin/sleep 1000', '/bin/sleep 1001']);
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => c.startsWith('/bin/sleep')),
    [],
    'exec programs killed',
  );
  await until(() => (processesUnder(box.runtimeDir).some((p) => commandOf(p).includes('exec-watchdog')) ? undefined : true), 10_000);
  t.pass('the execN watchdog has ended');
});

t.test('a redirection port in use and an execN program that does not exist: error lines on the daemon terminal, the boot goes on', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => busy.close());
  const port = (busy.address() as net.AddressInfo).port;
  const d = start(
    DAEMON_BIN,
    ['-d', '--shutdown-timeout', '0', guest('idle'), 'mem=16', `eth0=slirp,,tcp:${port}:80`, 'exec0=/nonexistent/program,arg'],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor(new RegExp(`^colinux: eth0: error: slirp redir tcp:127\\.0\\.0\\.1:${port}:80 failed: .*EADDRINUSE.*$`, 'm'), 60_000);
  await d.waitFor(/^colinux: exec0: error: cannot run \/nonexistent\/program: ENOENT$/m, 60_000);
  t.pass("both problems are error lines on stdout, not only in a helper's JSON log");
  t.equal(d.child.exitCode, null, 'the guest keeps running');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('console (-t nt default): launched as coLinux does, kernel lines held back while it shares the terminal', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const d = start(DAEMON_BIN, [guest('reboot'), 'mem=16'], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor(/(colinux: rebooted\.[\s\S]*){2}/);
  const consolePid = await until(() => processesUnder(box.runtimeDir).find((p) => commandOf(p).includes(`colinux-console-nt.js -a ${d.child.pid}`)));
  // The console clears the screen when it has attached; before that it has no SIGTERM handler yet.
  await d.waitFor('\x1b[2J');
  t.notMatch(d.stdout(), /hello from the guest/, 'no kernel lines while the console is attached');
  process.kill(consolePid, 'SIGTERM');
  await d.waitFor('console detached');
  await d.waitFor('hello from the guest');
  t.pass('kernel lines resume after the console detached');
  t.notOk(
    processesUnder(box.runtimeDir).some((p) => commandOf(p).includes('colinux-console-nt')),
    'a detached console is not restarted',
  );
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});
