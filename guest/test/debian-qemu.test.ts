// The same Debian image, kernel and initramfs as guest/test/debian.test.ts on Debian's
// qemu-system-riscv64 -M virt (the independent peer), with the same checks: systemd `running` with
// no failed unit, a login prompt on the console, ssh, apt-get from the host's repository, poweroff.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QemuGuest } from './qemu-guest.ts';
import { requireTool } from '../../test/tools.ts';
import {
  BOOT_MS,
  BUILD_MS,
  CMD_MS,
  bootCopy,
  debianImage,
  freePort,
  guestChecks,
  qemuArgs,
  requireDebianTools,
  serveRepository,
  ssh,
  waitForSsh,
} from './debian-guest.ts';

t.setTimeout(BUILD_MS + 2 * BOOT_MS + 4 * CMD_MS);

t.test('Debian boots on qemu-system-riscv64 -M virt with the same checks', async (t) => {
  requireTool('qemu-system-riscv64');
  requireDebianTools();
  const img = await debianImage((l) => t.comment(l));
  const dir = mkdtempSync(join(tmpdir(), 'colinux-debian-qemu-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const disk = bootCopy(img, dir);
  const repo = await serveRepository(img, dir);
  t.teardown(() => repo.server.close());
  const sshPort = await freePort();
  const begun = Date.now();
  const guest = new QemuGuest('qemu-system-riscv64', qemuArgs(img, disk, sshPort));
  t.teardown(() => guest.kill());
  await guest.waitFor(/Linux version 6\.\d+\.\d+\S*\+deb13/, BOOT_MS);
  await waitForSsh(img, sshPort);
  t.comment(`ssh login after ${((Date.now() - begun) / 1000).toFixed(0)} s`);
  await guestChecks(t, img, sshPort, repo.port);
  await guest.waitFor(/^debian login: /m, CMD_MS);
  t.pass('the console (ttyS0) shows a login prompt');
  await ssh(img, sshPort, 'poweroff');
  t.same(await guest.exitWithin(CMD_MS), { code: 0, signal: null }, 'poweroff inside the guest ends QEMU with status 0');
  t.comment(`boot, checks and power-off took ${((Date.now() - begun) / 1000).toFixed(0)} s`);
});
