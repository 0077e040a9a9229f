// Debian trixie riscv64 with Debian's own kernel and initramfs (guest/debian/build) booted by
// `colinux-daemon @debian.conf -d`: systemd reaches `running` with no failed unit, the console shows
// a login prompt, ssh through the slirp redirection works, apt-get installs from a repository the
// test serves on the host, and `poweroff` in the guest ends the daemon with "powered off".
// The image is built on first use (10-25 minutes) and reused while its key is unchanged.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN, REPO, monitorsOf, sandbox, start, until } from '../../packages/daemon/test/helpers.ts';
import {
  BOOT_MS,
  BUILD_MS,
  CMD_MS,
  bootCopy,
  debianImage,
  freePort,
  guestChecks,
  requireDebianTools,
  serveRepository,
  ssh,
  waitForSsh,
} from './debian-guest.ts';

t.setTimeout(BUILD_MS + 2 * BOOT_MS + 4 * CMD_MS);

t.test('Debian boots with its own kernel on colinux-daemon @debian.conf', async (t) => {
  requireDebianTools();
  const img = await debianImage((l) => t.comment(l));
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const disk = bootCopy(img, box.dir);
  const repo = await serveRepository(img, box.dir);
  t.teardown(() => repo.server.close());
  const sshPort = await freePort();
  const begun = Date.now();
  // Later tokens replace the file's cobd0= and eth0=: a private copy and a free port.
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '300', `@${img.conf}`, `cobd0=${disk}`, `eth0=slirp,,tcp:${sshPort}:22`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  const pid = Number(/^PID: (\d+)$/m.exec(await d.waitFor(/^PID: \d+$/m, 60_000))![1]);
  // The SBI console shows the kernel from its first line, before Debian's initramfs loads virtio-mmio.
  await d.waitFor(/Linux version 6\.\d+\.\d+\S*\+deb13/, BOOT_MS);
  t.pass('kernel lines from the first one on the daemon terminal (earlycon=sbi)');

  await waitForSsh(img, sshPort);
  t.comment(`ssh login after ${((Date.now() - begun) / 1000).toFixed(0)} s`);
  await guestChecks(t, img, sshPort, repo.port);
  const consoleLog = join(box.runtimeDir, `monitor-${pid}.console.log`);
  const login = await until(() => (existsSync(consoleLog) && /^debian login: /m.test(readFileSync(consoleLog, 'latin1')) ? true : undefined), CMD_MS, 1000);
  t.ok(login, 'the console (hvc0) shows a login prompt');

  await ssh(img, sshPort, 'poweroff');
  const { code } = await d.exited;
  t.equal(code, 0, 'the daemon exits 0');
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/, 'poweroff inside the guest ends the daemon with "powered off"');
  t.comment(`boot, checks and power-off took ${((Date.now() - begun) / 1000).toFixed(0)} s`);
  t.same(await monitorsOf(box.env), []);
});

t.test('the bundled kernel (no initramfs, everything built in) boots the same image to running', async (t) => {
  requireDebianTools();
  const img = await debianImage((l) => t.comment(l));
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const disk = bootCopy(img, box.dir);
  const sshPort = await freePort();
  const begun = Date.now();
  const d = start(
    DAEMON_BIN,
    [
      '-d',
      '--shutdown-timeout',
      '300',
      `kernel=${join(REPO, 'guest/images/vmlinux')}`,
      'mem=512',
      `cobd0=${disk}`,
      `eth0=slirp,,tcp:${sshPort}:22`,
      'root=/dev/vda',
      'rw',
      'rootwait',
      'net.ifnames=0',
    ],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  await waitForSsh(img, sshPort);
  const running = await ssh(img, sshPort, 'systemctl is-system-running --wait', BOOT_MS);
  t.equal(running.out.trim(), 'running', 'systemctl is-system-running says running');
  t.equal((await ssh(img, sshPort, 'systemctl list-units --failed --plain --no-legend')).out.trim(), '', 'no failed unit');
  t.match((await ssh(img, sshPort, 'uname -r')).out, /^6\.12\.\d+\s*$/m, 'the bundled kernel runs it');
  t.comment(`running after ${((Date.now() - begun) / 1000).toFixed(0)} s`);
  await ssh(img, sshPort, 'poweroff');
  const { code } = await d.exited;
  t.equal(code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/);
});
