// A host disk that fills up under a guest's cobd0 (issue: one ENOSPC killed the guest disk until
// the VM restarted): the guest gets I/O errors, the host frees space, the guest's next writes
// land and sync, and `poweroff` still ends gracefully. The image lives on a small tmpfs this test
// mounts (and unmounts) itself; the guest is the bundled Linux, driven through ttyS0.
import t from 'tap';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readSync, closeSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN, REPO, sandbox, start, until } from './helpers.ts';

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
    '-d', '--shutdown-timeout', '60',
    `kernel=${join(REPO, 'guest/images/vmlinux')}`, `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`, 'mem=64',
    `cobd0=${image}`, `ttys0=${socketPath}`,
  ], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  const socket = await connected;
  await until(() => {
    socket.write('echo up-$((6*7))\n');
    return serial.includes('up-42') ? true : undefined;
  }, 240_000, 2000);

  let step = 0;
  /** Runs a shell line in the guest; resolves with what it printed before its end marker. */
  const run = async (line: string, timeoutMs = 120_000): Promise<string> => {
    const mark = `done-${++step}`;
    const from = serial.length;
    socket.write(`${line}; echo ${mark.slice(0, 5)}$((0))${mark.slice(5)}\n`);
    const expected = `${mark.slice(0, 5)}0${mark.slice(5)}`;
    await until(() => (serial.indexOf(expected, from) >= 0 ? true : undefined), timeoutMs, 200).catch(() => {
      throw new Error(`no answer to '${line}'; serial:\n${serial.slice(-2000)}\ndaemon:\n${d.stdout().slice(-2000)}`);
    });
    return serial.slice(from, serial.indexOf(expected, from));
  };

  const full = await run('dd if=/dev/zero of=/dev/vda bs=64k count=128; fsync /dev/vda; echo fsync-rc=$?');
  t.match(full, /fsync-rc=[1-9]/, 'the guest sees its writes fail once the host disk is full');
  t.match(d.stdout(), /I\/O error, dev vda/, 'the kernel reports I/O errors on vda');

  rmSync(filler);
  const again = await run('dd if=/dev/urandom of=/tmp/p bs=64k count=16 2>/dev/null; dd if=/tmp/p of=/dev/vda bs=64k count=16; fsync /dev/vda; echo fsync-rc=$?; sha256sum /tmp/p');
  t.match(again, /fsync-rc=0/, 'after the host frees space the same device takes writes and syncs');
  const guestSum = /([0-9a-f]{64})\s+\/tmp\/p/.exec(again)?.[1];
  const fd = openSync(image, 'r');
  const head = Buffer.alloc(MiB);
  readSync(fd, head, 0, MiB, 0);
  closeSync(fd);
  t.equal(createHash('sha256').update(head).digest('hex'), guestSum, 'the host image holds what the guest wrote');

  socket.write('poweroff\n');
  t.equal((await d.exited).code, 0);
  t.match(d.stdout(), /colinux: powered off, exiting\.\n$/, 'power off stays graceful');
  t.notMatch(d.stdout(), /powering off hard/);
});
