// Boots the shipped guest (guest/images/) on Debian's QEMU `virt` machine with OpenSBI, the
// independent peer of our monitor: the kernel, the initramfs init and the ext2 root must all
// work there unchanged (guest/README.md).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { QemuGuest, READY_LINE } from './qemu-guest.ts';
import { requireTool } from '../../test/tools.ts';

const images = join(import.meta.dirname, '..', 'images');
const qemu = requireTool('qemu-system-riscv64');
/** What `-bios default` loads on the virt board (OpenSBI, shipped with QEMU). */
requireTool('/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin');
const dumpe2fs = requireTool('dumpe2fs');
const debugfs = requireTool('debugfs');
/** Generous: TCG on a shared 2-core machine; an idle machine boots in a few seconds. */
const BOOT_MS = 240_000;
const CMD_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'colinux-guest-qemu-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const kernel = join(dir, 'Image');
writeFileSync(kernel, gunzipSync(readFileSync(join(images, 'Image.gz'))));
const initrd = join(images, 'initramfs.cpio.gz');
const common = ['-M', 'virt', '-bios', 'default', '-smp', '1', '-m', '256M', '-kernel', kernel, '-initrd', initrd];

t.test('initramfs boots to the ready line on hvc0, answers uname, powers off on a hvc1 request', async (t) => {
  const power = join(dir, 'power.sock');
  const guest = new QemuGuest(qemu, [
    ...common,
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'null',
    '-device',
    'virtio-serial-device',
    '-chardev',
    'stdio,id=con0,signal=off',
    '-device',
    'virtconsole,chardev=con0',
    '-chardev',
    `socket,id=pwr,path=${power},server=on,wait=off`,
    '-device',
    'virtconsole,chardev=pwr',
    '-append',
    'console=hvc0 earlycon=sbi',
  ]);
  t.teardown(() => guest.kill());
  await guest.waitFor(READY_LINE, BOOT_MS);
  t.pass('ready line seen');
  t.match(await guest.run('uname -m', CMD_MS), /^\s*riscv64\s*$/m, 'uname -m says riscv64');
  t.match(await guest.run('tty', CMD_MS), /\/dev\/hvc0/, 'the shell runs on hvc0');
  // The host's power request travels on the second virtio console.
  const sock = connect(power);
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.end('poweroff\n');
  const exit = await guest.exitWithin(CMD_MS);
  // QEMU exits with status 0 only when the guest itself powers off (SBI SRST or the syscon).
  // The shutdown messages are not checked: the last hvc0 output may not get out before the
  // power is cut, which the ext2 test below covers with the file system's clean flag.
  t.same(exit, { code: 0, signal: null }, 'the guest powered the machine off (QEMU exit status 0)');
});

t.test('a ctrl-alt-del request on hvc1 reboots the guest', async (t) => {
  const power = join(dir, 'cad.sock');
  const guest = new QemuGuest(qemu, [
    ...common,
    '-no-reboot',
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'null',
    '-device',
    'virtio-serial-device',
    '-chardev',
    'stdio,id=con0,signal=off',
    '-device',
    'virtconsole,chardev=con0',
    '-chardev',
    `socket,id=pwr,path=${power},server=on,wait=off`,
    '-device',
    'virtconsole,chardev=pwr',
    '-append',
    'console=hvc0',
  ]);
  t.teardown(() => guest.kill());
  await guest.waitFor(READY_LINE, BOOT_MS);
  const sock = connect(power);
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.end('ctrl-alt-del\n');
  // With -no-reboot, QEMU ends (status 0) when the guest resets instead of restarting it.
  t.same(await guest.exitWithin(CMD_MS), { code: 0, signal: null }, 'the guest rebooted');
});

t.test('root=/dev/cobd0 mounts the ext2 root from the first virtio disk and shuts down cleanly', async (t) => {
  const disk = join(dir, 'root.ext2');
  writeFileSync(disk, gunzipSync(readFileSync(join(images, 'root.ext2.gz'))));
  const guest = new QemuGuest(qemu, [
    ...common,
    '-nographic',
    '-drive',
    `file=${disk},format=raw,if=none,id=cobd0`,
    '-device',
    'virtio-blk-device,drive=cobd0',
    '-netdev',
    'user,id=net0',
    '-device',
    'virtio-net-device,netdev=net0',
    '-append',
    'console=ttyS0 earlycon=sbi root=/dev/cobd0',
  ]);
  t.teardown(() => guest.kill());
  await guest.waitFor(READY_LINE, BOOT_MS);
  t.match(guest.output, /switching to root=\/dev\/cobd0 \(\/dev\/vda, rw\)/, 'init mapped cobd0 to /dev/vda');
  t.match(await guest.run('grep " / " /proc/mounts', CMD_MS), /^\/dev\/vda \/ ext2 rw/m, 'ext2 root mounted read-write');
  t.match(await guest.run('cat /www/index.html', CMD_MS), /ext2 root, cobd0/, 'files come from the root image');
  t.match(await guest.run('uname -m', CMD_MS), /^\s*riscv64\s*$/m, 'uname -m says riscv64');
  // QEMU's user network hands out 10.0.2.15; udhcpc may still be in the background.
  t.match(
    await guest.run('for i in 1 2 3 4 5 6 7 8 9 10; do ip -4 addr show eth0 | grep -q inet && break; sleep 1; done; ip -4 addr show eth0', CMD_MS),
    /inet 10\.0\.2\.15\//,
    'eth0 configured by udhcpc',
  );
  t.match(await guest.run('wget -q -O - http://127.0.0.1/index.html', CMD_MS), /ext2 root, cobd0/, 'httpd serves /www');
  await guest.run('echo written-by-guest > /root/marker', CMD_MS);
  guest.write('poweroff\n');
  const exit = await guest.exitWithin(CMD_MS);
  t.equal(exit.code, 0, 'QEMU exits by itself after poweroff');
  const state = execFileSync(dumpe2fs, ['-h', disk], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  t.match(state, /Filesystem state:\s+clean/, 'the root file system was unmounted cleanly');
  const marker = execFileSync(debugfs, ['-R', 'cat /root/marker', disk], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  t.equal(marker.trim(), 'written-by-guest', 'the guest wrote to cobd0');
});

t.test('serials pick the disk (root=/dev/hda, cobd_alias=hda:0 -> second virtio disk); getty on ttyS0', async (t) => {
  const disk = join(dir, 'root-alias.ext2');
  writeFileSync(disk, gunzipSync(readFileSync(join(images, 'root.ext2.gz'))));
  const scratch = join(dir, 'scratch.img');
  writeFileSync(scratch, Buffer.alloc(1 << 20));
  const guest = new QemuGuest(qemu, [
    ...common,
    '-nographic',
    // Probe order puts the scratch disk at vda; only the serial says which one is cobd0.
    '-drive',
    `file=${scratch},format=raw,if=none,id=d1`,
    '-device',
    'virtio-blk-device,drive=d1,serial=cobd1',
    '-drive',
    `file=${disk},format=raw,if=none,id=d0`,
    '-device',
    'virtio-blk-device,drive=d0,serial=cobd0',
    // One virtio console and no power port: the shell goes to hvc0 (null here), ttyS0 gets a getty.
    '-device',
    'virtio-serial-device',
    '-chardev',
    'null,id=con0',
    '-device',
    'virtconsole,chardev=con0',
    '-append',
    'console=ttyS0 root=/dev/hda cobd_alias=hda:0,hdb:1',
  ]);
  t.teardown(() => guest.kill());
  await guest.waitFor(READY_LINE, BOOT_MS);
  t.match(guest.output, /switching to root=\/dev\/hda \(\/dev\/vdb, rw\)/, 'hda -> cobd0 -> /dev/vdb');
  t.match(await guest.run('grep " / " /proc/mounts', CMD_MS), /^\/dev\/vdb \/ ext2 rw/m, 'ext2 root mounted from vdb');
  const links = await guest.run('for l in cobd0 cobd1 hda hdb; do readlink /dev/$l; done', CMD_MS);
  t.match(links, /^vdb\s+vda\s+vdb\s+vda\s*$/m, '/dev/cobdN and alias links follow the serials');
  t.match(await guest.run('tty', CMD_MS), /^\/dev\/ttyS0\s*$/m, 'ttyS0 has a getty shell');
  t.match(await guest.run('grep -c power-watch /etc/inittab', CMD_MS), /^0\s*$/m, 'no power reader without a hvc1 port');
  guest.write('poweroff\n');
  t.equal((await guest.exitWithin(CMD_MS)).code, 0, 'clean power-off');
});

t.test('the ext2 root boots without the initramfs (its /sbin/init is the same init)', async (t) => {
  const disk = join(dir, 'root-direct.ext2');
  writeFileSync(disk, gunzipSync(readFileSync(join(images, 'root.ext2.gz'))));
  const guest = new QemuGuest(qemu, [
    '-M',
    'virt',
    '-bios',
    'default',
    '-smp',
    '1',
    '-m',
    '256M',
    '-kernel',
    kernel,
    '-nographic',
    '-drive',
    `file=${disk},format=raw,if=none,id=d0`,
    '-device',
    'virtio-blk-device,drive=d0',
    '-append',
    'console=ttyS0 root=/dev/vda rw rootwait',
  ]);
  t.teardown(() => guest.kill());
  await guest.waitFor(READY_LINE, BOOT_MS);
  t.match(await guest.run('grep " / " /proc/mounts', CMD_MS), /^\/dev\/root \/ ext2 rw/m, 'kernel-mounted ext2 root');
  t.match(await guest.run('cat /proc/1/cmdline | tr "\\0" " "', CMD_MS), /^init\s*$|busybox init/m, 'busybox init is PID 1');
  guest.write('poweroff\n');
  t.equal((await guest.exitWithin(CMD_MS)).code, 0, 'clean power-off');
});
