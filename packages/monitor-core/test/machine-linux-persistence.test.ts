// Issue acceptance, as a user would check it: a file written to the ext2 root on cobd0 and synced
// is there, byte for byte, after power off and a second boot of a fresh machine; a guest
// `echo c > /proc/sysrq-trigger` ends the monitor as PANIC with the kernel's text.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Module, Termination } from '@colinux/protocol';
import { GUEST_IMAGES, WorkerMachine, baseSpec, bundledGuest, startGuest } from './machine-harness.ts';

const READY = 'colinux-guest: ready';
const guest = bundledGuest();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpersist-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const disk = path.join(dir, 'root.ext2');
fs.writeFileSync(disk, zlib.gunzipSync(fs.readFileSync(path.join(GUEST_IMAGES, 'root.ext2.gz'))));

const out = (m: WorkerMachine) => m.output.get(Module.CONSOLE) ?? '';

async function bootFromDisk(t: { teardown(f: () => unknown): void }): Promise<WorkerMachine> {
  const m = new WorkerMachine({
    ...baseSpec,
    memoryMiB: 128,
    bootLine: 'root=/dev/cobd0',
    blockDevices: [{ index: 0, path: disk, readOnly: false, aliases: [] }],
  });
  t.teardown(() => m.close());
  startGuest(m, guest);
  await m.until(() => out(m).includes(READY) || m.terminated() !== undefined, 180_000, 'ready');
  return m;
}

async function shell(m: WorkerMachine, command: string, expect: RegExp): Promise<string> {
  const before = out(m).length;
  m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode(`${command}\n`) });
  await m.until(() => expect.test(out(m).slice(before)), 60_000, `output of "${command}"`);
  return out(m).slice(before);
}

t.test('a synced file on the cobd0 ext2 root survives power off and a second boot', async (t) => {
  const first = await bootFromDisk(t);
  t.ok(out(first).includes(READY), 'first boot reaches the shell');
  t.match(await shell(first, 'grep " / " /proc/mounts', /\/dev\/(vda|cobd0) \/ ext[24]/), /ext[24]/, 'root is the ext2 image');
  // 256 KiB from the guest's RNG (virtio-rng feeds it): its digest before and after the reboot.
  const made = await shell(first, 'dd if=/dev/urandom of=/persist.bin bs=1k count=256 2>/dev/null; sync; sha256sum /persist.bin', /[0-9a-f]{64}/);
  const want = /([0-9a-f]{64})/.exec(made)![1]!;
  first.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode('poweroff\n') });
  t.equal((await first.until(() => first.terminated(), 60_000, 'poweroff')).reason, Termination.POWEROFF, 'powered off');
  await first.close();

  const second = await bootFromDisk(t);
  t.ok(out(second).includes(READY), 'second boot reaches the shell');
  t.match(await shell(second, 'sha256sum /persist.bin', /[0-9a-f]{64}/), new RegExp(want), 'the file is there byte for byte');

  second.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode('echo c > /proc/sysrq-trigger\n') });
  const end = await second.until(() => second.terminated(), 60_000, 'sysrq crash');
  t.equal(end.reason, Termination.PANIC, 'SysRq-c ends as PANIC');
  t.match(end.text ?? '', /sysrq|Fatal exception|Oops/i, "with the kernel's panic text");
});
