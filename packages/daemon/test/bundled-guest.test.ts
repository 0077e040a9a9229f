// The bundled Linux guest (guest/images) booted by colinux-daemon: PID, kernel lines, a shell on
// ttyS0 through colinux-serial-daemon, and a graceful stop on SIGTERM that ends in "powered off".
import t from 'tap';
import net from 'node:net';
import { join } from 'node:path';
import { DAEMON_BIN, REPO, commandOf, monitorsOf, processesUnder, sandbox, start, until } from './helpers.ts';

t.test('boot, serial shell, graceful power off', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const socketPath = join(box.dir, 'ttyS0.sock');
  let serial = '';
  const connected = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => {
      s.on('data', (b) => (serial += b.toString('latin1')));
      resolve(s);
    });
    server.listen(socketPath);
    t.teardown(() => server.close());
  });
  const d = start(DAEMON_BIN, [
    '-d', '--shutdown-timeout', '120',
    `kernel=${join(REPO, 'guest/images/vmlinux')}`, `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`, 'mem=64',
    `ttys0=${socketPath}`,
  ], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor(/^PID: \d+\ncolinux: booting\n/m);
  await d.waitFor(/Linux version 6\.12/, 120_000);
  t.pass('kernel lines on the daemon terminal');
  await d.waitFor('Run /init as init process', 180_000);
  const socket = await connected;
  // A getty on every ttySN with a UART behind it runs a shell; ask it something only a shell answers.
  await until(() => {
    socket.write('echo serial-$((6*7))\n');
    return serial.includes('serial-42') ? true : undefined;
  }, 180_000, 2000);
  t.pass('a shell answered on ttyS0 through the serial helper');
  d.child.kill('SIGTERM');
  await d.waitFor('colinux: Linux VM goes shutdown, please wait!');
  const { code } = await d.exited;
  t.equal(code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/, 'the guest shut down gracefully');
  t.notMatch(d.stdout(), /powering off hard/);
  t.same(await monitorsOf(box.env), []);
  t.same(processesUnder(box.runtimeDir).map(commandOf).filter((c) => !c.includes('monitor-core')), [], 'no helper left');
});
