// The bundled Linux guest (guest/images) booted by colinux-daemon: PID, kernel lines, a shell on
// ttyS0 through colinux-serial-daemon, a graceful stop on SIGTERM that ends in "powered off", and
// the ext2 root on cobd0 with slirp networking.
import t from 'tap';
import net from 'node:net';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DAEMON_BIN, REPO, commandOf, monitorsOf, processesUnder, sandbox, start, until } from './helpers.ts';

t.test('boot, serial shell, reboot from the guest, graceful power off', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const socketPath = join(box.dir, 'ttyS0.sock');
  const share = join(box.dir, 'share');
  mkdirSync(share);
  writeFileSync(join(share, 'note'), 'from-the-host\n');
  let serial = '';
  const connected = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => {
      s.on('data', (b) => (serial += b.toString('latin1')));
      resolve(s);
    });
    server.listen(socketPath);
    t.teardown(() => server.close());
  });
  const d = start(
    DAEMON_BIN,
    [
      '-d',
      '--shutdown-timeout',
      '120',
      `kernel=${join(REPO, 'guest/images/vmlinux')}`,
      `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`,
      'mem=64',
      `ttys0=${socketPath}`,
      `cofs0=${share},ro`,
    ],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor(/^PID: \d+\ncolinux: booting\n/m);
  await d.waitFor(/Linux version 6\.12/, 120_000);
  t.pass('kernel lines on the daemon terminal');
  await d.waitFor('Run /init as init process', 180_000);
  const socket = await connected;
  // A getty on every ttySN with a UART behind it runs a shell; ask it something only a shell answers.
  await until(
    () => {
      socket.write('echo serial-$((6*7))\n');
      return serial.includes('serial-42') ? true : undefined;
    },
    180_000,
    2000,
  );
  t.pass('a shell answered on ttyS0 through the serial helper');
  // cofs0=<dir>,ro: the guest reads the share and every write answers EROFS.
  socket.write('mkdir -p /mnt && mount -t 9p -o trans=virtio cofs0 /mnt && cat /mnt/note && echo x > /mnt/new; echo ro-$((6*7))\n');
  await until(() => (/ro-42/.test(serial) ? true : undefined), 60_000, 500);
  t.match(serial, /from-the-host/, 'the read-only share is mounted and read');
  t.match(serial, /Read-only file system/, 'a write answers EROFS');
  t.same(readdirSync(share), ['note']);
  // A reboot from inside the guest: RESET, reload, START; the serial helper stays attached.
  socket.write('reboot\n');
  await d.waitFor(/colinux: rebooted\.\n[\s\S]*Run \/init as init process/, 180_000);
  serial = '';
  await until(
    () => {
      socket.write('echo again-$((6*7))\n');
      return serial.includes('again-42') ? true : undefined;
    },
    180_000,
    2000,
  );
  t.pass('after the reboot the same serial helper reaches the new shell');
  d.child.kill('SIGTERM');
  await d.waitFor('colinux: Linux VM goes shutdown, please wait!');
  const { code } = await d.exited;
  t.equal(code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/, 'the guest shut down gracefully');
  t.notMatch(d.stdout(), /powering off hard/);
  t.same(await monitorsOf(box.env), []);
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => !c.includes('monitor-core')),
    [],
    'no helper left',
  );
});

t.test('cobd0 root image and slirp with a port redirection: the guest web server answers on the host', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const root = join(box.dir, 'root.ext2');
  writeFileSync(root, gunzipSync(readFileSync(join(REPO, 'guest/images/root.ext2.gz'))));
  const port = await freePort();
  const d = start(
    DAEMON_BIN,
    [
      '-d',
      '-k',
      '--shutdown-timeout',
      '120',
      `kernel=${join(REPO, 'guest/images/vmlinux')}`,
      `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`,
      'mem=64',
      `cobd0=${root}`,
      `eth0=slirp,,tcp:${port}:80`,
      'root=/dev/cobd0',
    ],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor('colinux: booting');
  const slirp = await until(() =>
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .find((c) => c.includes('colinux-slirp-net-daemon')),
  );
  t.match(slirp, new RegExp(`colinux-slirp-net-daemon\\.js -i ${d.child.pid} -u 0 -r tcp:${port}:80$`), 'coLinux command string');
  const page = await until(
    async () => {
      if (d.child.exitCode !== null) throw new Error(`the daemon ended early (${d.child.exitCode}): ${d.stdout().slice(-2000)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
        return res.ok ? await res.text() : undefined;
      } catch (err) {
        if (process.env.COLINUX_TEST_DEBUG) console.error('fetch', (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name);
        return undefined;
      }
    },
    240_000,
    2000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; daemon stdout:\n${d.stdout().slice(-2000)}\ndaemon stderr:\n${d.stderr().slice(-3000)}`);
  });
  t.match(page, /coLinux guest/, 'httpd in the guest served its page through the redirection');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/);
  await until(() =>
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .some((c) => c.includes('slirp'))
      ? undefined
      : true,
  );
  t.pass('the slirp helper exited with the monitor');
});

t.test('SIGTERM while the kernel is still booting: the request is repeated until init takes it', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const d = start(
    DAEMON_BIN,
    ['-d', '--shutdown-timeout', '120', `kernel=${join(REPO, 'guest/images/vmlinux')}`, `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`, 'mem=64'],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor('Linux version');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/);
  t.notMatch(d.stdout(), /powering off hard/, 'graceful, not the 120 s hard power off');
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
