// A host disk that fills up under a guest's cobd0 (issue: one ENOSPC killed the guest disk until
// the VM restarted): the guest gets I/O errors, the host frees space, the guest's next writes
// land and sync, and `poweroff` still ends gracefully. The image lives on a small tmpfs this test
// mounts (and unmounts) itself; the guest is the bundled Linux, driven through ttyS0.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readSync, closeSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_GUEST, DAEMON_BIN, sandbox, serialShell, start } from './helpers.ts';

const MiB = 1024 * 1024;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (apt-get install util-linux mount)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
}

t.test('ENOSPC on the host fails guest writes with EIO; after space is freed writes and sync work again', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const mnt = join(box.dir, 'small-fs');
  mkdirSync(mnt);
  sh('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
  t.teardown(() => sh('umount', ['-l', mnt]));
  // 3 MiB of filler leave 1 MiB for an 8 MiB sparse image: the guest fills it within a few MiB.
  const filler = join(mnt, 'filler');
  writeFileSync(filler, Buffer.alloc(3 * MiB, 1));
  const image = join(mnt, 'disk.img');
  writeFileSync(image, '');
  truncateSync(image, 8 * MiB);

  const socketPath = join(box.dir, 'ttyS0.sock');
  // d is declared below; the context runs only on a timeout, after the daemon has started.
  const serial = serialShell(socketPath, t, { context: () => `daemon:\n${d.stdout().slice(-2000)}` });
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '60', ...BUNDLED_GUEST, `cobd0=${image}`, `ttys0=${socketPath}`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await serial.ready();

  const full = await serial.sh('dd if=/dev/zero of=/dev/vda bs=64k count=128; fsync /dev/vda; echo fsync-rc=$?');
  t.match(full, /fsync-rc=[1-9]/, 'the guest sees its writes fail once the host disk is full');
  t.match(d.stdout(), /I\/O error, dev vda/, 'the kernel reports I/O errors on vda');

  rmSync(filler);
  const again = await serial.sh(
    'dd if=/dev/urandom of=/tmp/p bs=64k count=16 2>/dev/null; dd if=/tmp/p of=/dev/vda bs=64k count=16; fsync /dev/vda; echo fsync-rc=$?; sha256sum /tmp/p',
  );
  t.match(again, /fsync-rc=0/, 'after the host frees space the same device takes writes and syncs');
  const guestSum = /([0-9a-f]{64})\s+\/tmp\/p/.exec(again)?.[1];
  const fd = openSync(image, 'r');
  const head = Buffer.alloc(MiB);
  readSync(fd, head, 0, MiB, 0);
  closeSync(fd);
  t.equal(createHash('sha256').update(head).digest('hex'), guestSum, 'the host image holds what the guest wrote');

  await serial.write('poweroff\n');
  t.equal((await d.exited).code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/, 'power off stays graceful');
  t.notMatch(d.stdout(), /powering off hard/);
});
