// The bundled guest (guest/images: Image.gz + initramfs.cpio.gz) boots on the machine worker to
// the init's ready line on hvc0, answers `uname -m` there, and powers off cleanly when the
// manager's power request arrives on hvc1. Boot-to-ready time is reported as a comment.

import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { WorkerMachine, baseSpec } from './machine-harness.ts';
import { MODULE_CONSOLE, MODULE_PRINTK, TERMINATE_POWEROFF } from '../src/machine/memory-map.ts';

// COLINUX_GUEST_IMAGES points at another build of the same files (guest/work/out while developing).
const images = process.env.COLINUX_GUEST_IMAGES || path.resolve(import.meta.dirname, '../../../guest/images');
const READY = 'colinux-guest: ready';

t.test('bundled kernel + initramfs: ready line, uname -m on hvc0, power off via hvc1', async (t) => {
  const image = new Uint8Array(zlib.gunzipSync(fs.readFileSync(path.join(images, 'Image.gz'))));
  const initrd = new Uint8Array(fs.readFileSync(path.join(images, 'initramfs.cpio.gz')));
  const m = new WorkerMachine({ ...baseSpec, memoryMiB: 128 });
  t.teardown(() => m.close());
  const imageSize = Math.max(image.length, Number(Buffer.from(image.buffer).readBigUInt64LE(16)));
  const started = performance.now();
  m.send({ type: 'load-section', offset: 0, size: imageSize, data: image });
  m.send({ type: 'load-initrd', data: initrd });
  m.send({ type: 'start', entryOffset: 0 });
  const console = () => m.output.get(MODULE_CONSOLE) ?? '';
  try {
    await m.until(() => console().includes(READY) || m.terminated(), 180_000, 'the ready line on hvc0');
  } finally {
    t.comment(`kernel log tail:\n${(m.output.get(MODULE_PRINTK) ?? '').slice(-1500)}`);
  }
  t.notOk(m.terminated(), 'guest still running');
  t.ok(console().includes(READY), 'ready line on the console (hvc0)');
  t.comment(`boot to ready: ${((performance.now() - started) / 1000).toFixed(2)} s`);

  const before = console().length;
  m.send({ type: 'message', module: MODULE_CONSOLE, data: new TextEncoder().encode('uname -m\n') });
  await m.until(() => console().slice(before).includes('riscv64\r\n') || console().slice(before).match(/riscv64\s/), 30_000, 'uname output');
  t.match(console().slice(before), /riscv64/);

  m.send({ type: 'power', action: 'poweroff' });
  const end = await m.until(() => m.terminated(), 60_000, 'power off');
  t.equal(end.reason, TERMINATE_POWEROFF, 'the init turned the hvc1 request into a power off');
});
