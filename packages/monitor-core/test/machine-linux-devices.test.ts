// The bundled guest exercising the rest of the machine: a virtio-blk disk with its coLinux serial
// id and a write that survives FLUSH, a 16550A UART with a getty, the REBOOT cycle the daemon
// drives (terminated REBOOT -> reset -> load -> start), and a kernel panic ending the monitor.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Module, Termination, type ModuleId } from '@colinux/protocol';
import { WorkerMachine, baseSpec, bundledGuest, startGuest, type Spec } from './machine-harness.ts';

const READY = 'colinux-guest: ready';
const guest = bundledGuest();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlinux-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function boot(m: WorkerMachine, withInitrd = true): void {
  startGuest(m, guest, withInitrd);
}

function machine(t: { teardown(f: () => unknown): void }, spec: Partial<Spec>): WorkerMachine {
  const m = new WorkerMachine({ ...baseSpec, memoryMiB: 128, ...spec });
  t.teardown(() => m.close());
  return m;
}

const out = (m: WorkerMachine, module: number) => m.output.get(module) ?? '';

async function shell(m: WorkerMachine, command: string, expect: RegExp, module: ModuleId = Module.CONSOLE): Promise<string> {
  const before = out(m, module).length;
  m.send({ type: 'message', module, data: new TextEncoder().encode(`${command}\n`) });
  await m.until(() => expect.test(out(m, module).slice(before)), 30_000, `output of "${command}"`);
  return out(m, module).slice(before);
}

t.test('disk serial id, write + sync reaches the image; UART getty; reboot cycle', async (t) => {
  const disk = path.join(dir, 'data.img');
  fs.writeFileSync(disk, Buffer.alloc(1024 * 1024));
  const m = machine(t, { blockDevices: [{ index: 0, path: disk, readOnly: false, aliases: ['hda'] }], serialPorts: [0] });
  boot(m);
  await m.until(() => out(m, Module.CONSOLE).includes(READY), 180_000, 'ready');

  t.match(await shell(m, 'cat /sys/block/vda/serial; echo', /cobd0/), /cobd0/, 'GET_ID: the serial is cobd0');
  await shell(m, 'echo coLinux-was-here | dd of=/dev/vda bs=512 seek=7; sync; echo done-$((6*7))', /done-42/);
  t.equal(
    fs
      .readFileSync(disk)
      .subarray(7 * 512, 7 * 512 + 16)
      .toString(),
    'coLinux-was-here',
    'written sector is in the host file',
  );

  const serial = await shell(m, 'uname -m', /riscv64/, Module.SERIAL0);
  t.match(serial, /riscv64/, 'a shell on ttyS0 answers over SERIAL0');

  m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode('reboot\n') });
  const end = await m.until(() => m.terminated(), 60_000, 'reboot');
  t.equal(end.reason, Termination.REBOOT);

  m.messages.length = 0;
  m.output.clear();
  m.send({ type: 'reset' });
  boot(m);
  await m.until(() => out(m, Module.CONSOLE).includes(READY) || m.terminated(), 180_000, 'ready after reboot');
  t.ok(out(m, Module.CONSOLE).includes(READY), 'the same machine boots again after reset');
  m.send({ type: 'power', action: 'shutdown' });
  t.equal((await m.until(() => m.terminated(), 60_000, 'shutdown')).reason, Termination.POWEROFF);
});

t.test('no root at all: the kernel panic ends the machine with its text', async (t) => {
  const m = machine(t, {});
  boot(m, false);
  const end = await m.until(() => m.terminated(), 180_000, 'panic');
  t.equal(end.reason, Termination.PANIC);
  t.match(end.text, /^VFS: Unable to mount root fs/);
});

t.test('cofs0: virtio-9p share mounted by tag, read and written from the guest', async (t) => {
  const share = path.join(dir, 'share');
  fs.mkdirSync(path.join(share, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(share, 'hello.txt'), 'hello from the host\n');
  const m = machine(t, { sharedDirs: [{ unit: 0, path: share, readOnly: false }] });
  boot(m);
  await m.until(() => out(m, Module.CONSOLE).includes(READY), 180_000, 'ready');
  t.match(await shell(m, 'mkdir -p /mnt && mount -t 9p -o trans=virtio cofs0 /mnt; echo mounted-$?', /mounted-\d/), /mounted-0/);
  t.match(await shell(m, 'cat /mnt/hello.txt', /hello from the host/), /hello from the host/);
  await shell(m, 'echo guest-wrote > /mnt/sub/new.txt && mkdir /mnt/made && mv /mnt/sub/new.txt /mnt/made/ && rm /mnt/hello.txt; echo step-$?', /step-\d/);
  t.equal(fs.readFileSync(path.join(share, 'made/new.txt'), 'utf8'), 'guest-wrote\n', 'file created, written and renamed on the host');
  t.notOk(fs.existsSync(path.join(share, 'hello.txt')), 'file removed on the host');
  t.match(await shell(m, 'ls /mnt/..; echo ls-$((1+1))', /ls-2/), /bin/, '".." at the share root is the guest\'s own /');
});

t.test('halt in the guest ends the monitor as HALT, not POWEROFF', async (t) => {
  const m = machine(t, {});
  boot(m);
  await m.until(() => out(m, Module.CONSOLE).includes(READY), 180_000, 'ready');
  m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode('halt -f\n') });
  const end = await m.until(() => m.terminated(), 60_000, 'halt');
  t.equal(end.reason, Termination.HALT);
});
