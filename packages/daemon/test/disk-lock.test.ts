// Disk image locks (issue: two VMs could open one image read-write): two real daemons on one
// cobd0 image, the second refused with one line naming the image and the monitor holding it;
// the lock kept across guest reboots and released when the daemon is killed, exits or the guest
// powers off; QEMU (Debian's qemu-system-riscv64, the independent peer) and our VMs refuse each
// other on one image.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../src/errors.ts';
import { DAEMON_BIN, FIXTURES, REPO, commandOf, monitorsOf, processesUnder, sandbox, start, until } from './helpers.ts';
import { requireTool } from '../../../test/tools.ts';

const QEMU = 'qemu-system-riscv64';
requireTool(QEMU);
requireTool('ls');

const guestArgs = (image: string): string[] => [
  '-d',
  '--shutdown-timeout',
  '1',
  `kernel=${join(REPO, 'guest/images/vmlinux')}`,
  `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`,
  'mem=64',
  `cobd0=${image}`,
];

/** QEMU on the image, paused before the guest runs (-S): it takes its image locks at start-up. */
function qemuOn(image: string, readOnly = false) {
  const child = spawn(
    QEMU,
    [
      '-M',
      'virt',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'none',
      '-S',
      '-drive',
      `file=${image},format=raw,if=virtio,readonly=${readOnly ? 'on' : 'off'}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, exited, stderr: () => err };
}

t.test('a second daemon on the same cobd0 image is refused; the lock goes with the first daemon', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const image = join(box.dir, 'disk.img');
  writeFileSync(image, '');
  truncateSync(image, 4 * 1024 * 1024);

  const first = start(DAEMON_BIN, guestArgs(image), box.env);
  t.teardown(() => first.child.kill('SIGKILL'));
  await first.waitFor('colinux: booting');

  const second = start(DAEMON_BIN, guestArgs(image), box.env);
  const { code } = await second.exited;
  t.equal(code, ExitCode.ERROR, 'the second daemon fails');
  t.equal(
    second.stderr(),
    `colinux: error creating monitor: CREATE: cobd0: image ${image} is in use by monitor ${first.child.pid} (read-write); two VMs must not share a writable disk (ERROR)\n`,
    'one line naming the image and the monitor that holds it',
  );
  t.same(
    (await monitorsOf(box.env))?.map((m) => m.id),
    [first.child.pid],
    'only the first monitor exists',
  );

  const q = qemuOn(image);
  t.equal(await q.exited, 1, 'QEMU refuses the image our VM holds');
  t.match(q.stderr(), /Failed to get "write" lock/);

  // Killed without any chance to clean up: the manager notices the owner gone and lets go.
  first.child.kill('SIGKILL');
  await first.exited;
  const third = start(DAEMON_BIN, guestArgs(image), box.env);
  t.teardown(() => third.child.kill('SIGKILL'));
  await third.waitFor('colinux: booting');
  t.pass('a daemon started right after the first was killed gets the image');

  // An ordinary exit (SIGTERM, here ended hard by the 1 s shutdown timeout while the guest boots).
  third.child.kill('SIGTERM');
  t.equal((await third.exited).code, 0);
  const fourth = start(DAEMON_BIN, guestArgs(image), box.env);
  t.teardown(() => fourth.child.kill('SIGKILL'));
  await fourth.waitFor('colinux: booting');
  t.pass('and one started right after a daemon exited');
  fourth.child.kill('SIGKILL');
  await fourth.exited;
  await until(async () => ((await monitorsOf(box.env))?.length === 0 ? true : undefined), 10_000);
});

t.test('an image QEMU holds is refused, naming the process', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const image = join(box.dir, 'disk.img');
  writeFileSync(image, '');
  truncateSync(image, 4 * 1024 * 1024);
  for (const readOnly of [false, true]) {
    const q = qemuOn(image, readOnly);
    t.teardown(() => q.child.kill('SIGKILL'));
    // QEMU has taken its locks once /proc shows the image among its descriptors.
    await until(
      () =>
        commandOf(q.child.pid!) &&
        spawnSync('ls', ['-l', `/proc/${q.child.pid}/fd`])
          .stdout.toString()
          .includes(image)
          ? true
          : undefined,
      30_000,
    );
    const d = start(DAEMON_BIN, guestArgs(image), box.env);
    const { code } = await d.exited;
    t.equal(code, ExitCode.ERROR, `refused while QEMU holds it ${readOnly ? 'read-only' : 'read-write'}`);
    // (the first daemon also logs that it started the manager)
    t.match(
      d.stderr(),
      new RegExp(
        `(^|\\n)colinux: error creating monitor: CREATE: cobd0: image ${image} is in use by pid ${q.child.pid} \\(qemu-system-ris\\); two VMs must not share a writable disk \\(ERROR\\)\\n$`,
      ),
    );
    q.child.kill('SIGKILL');
    await q.exited;
  }
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => !c.includes('monitor-core')),
    [],
    'nothing of ours left running',
  );
});

t.test('the lock stays across a guest reboot and goes with a power off', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const image = join(box.dir, 'disk.img');
  writeFileSync(image, '');
  truncateSync(image, 4 * 1024 * 1024);
  const fixture = (name: string): string => `kernel=${join(FIXTURES, `guest-${name}.elf`)}`;

  const rebooting = start(DAEMON_BIN, ['-d', fixture('reboot'), 'mem=16', `cobd0=${image}`], box.env);
  t.teardown(() => rebooting.child.kill('SIGKILL'));
  await rebooting.waitFor(/(colinux: rebooted\.[\s\S]*){2}/);
  const refused = start(DAEMON_BIN, ['-d', fixture('idle'), 'mem=16', `cobd0=${image}`], box.env);
  t.equal((await refused.exited).code, ExitCode.ERROR, 'after two reboots the image is still held');
  t.match(refused.stderr(), `is in use by monitor ${rebooting.child.pid} (read-write)`);
  rebooting.child.kill('SIGTERM');
  t.equal((await rebooting.exited).code, 0);

  const poweroff = start(DAEMON_BIN, ['-d', fixture('poweroff'), 'mem=16', `cobd0=${image}`], box.env);
  t.equal((await poweroff.exited).code, 0, 'a daemon started after the rebooting one exited gets the image');
  t.match(poweroff.stdout(), /colinux: powered off, exiting\.\n$/);
  const next = start(DAEMON_BIN, ['-d', fixture('poweroff'), 'mem=16', `cobd0=${image}`], box.env);
  t.equal((await next.exited).code, 0, 'and one started after a power off');
});
