// The machine worker as the manager drives it: ToMachine messages in, FromMachine out, with the
// real wasm core running a bare-metal S-mode program (fixtures/sbi-hello.S).

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Module, Termination } from '@colinux/protocol';
import { WorkerMachine, baseSpec } from './machine-harness.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('riscv64-unknown-elf-gcc');
requireTool('riscv64-unknown-elf-objcopy');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mworker-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const elf = path.join(dir, 'hello.elf');
const bin = path.join(dir, 'hello.bin');
execFileSync('riscv64-unknown-elf-gcc', [
  '-nostdlib',
  '-march=rv64gc',
  '-mabi=lp64d',
  '-Wl,-Ttext=0x80200000',
  '-o',
  elf,
  path.join(import.meta.dirname, 'fixtures/sbi-hello.S'),
]);
execFileSync('riscv64-unknown-elf-objcopy', ['-O', 'binary', elf, bin]);
const image = new Uint8Array(fs.readFileSync(bin));

t.test('load, start, batched output, terminated, reset and boot again, stop', async (t) => {
  const m = new WorkerMachine({ ...baseSpec, serialPorts: [0] });
  t.teardown(() => m.close());
  m.send({ type: 'load-section', offset: 0, size: image.length, data: image });
  m.send({ type: 'load-section', offset: image.length, size: 8192 });
  m.send({ type: 'start', entryOffset: 0 });
  const end = await m.until(() => m.terminated(), 20_000, 'terminated');
  t.equal(end.reason, Termination.POWEROFF);
  t.equal(m.output.get(Module.PRINTK), 'hello sbi\nT');
  t.equal(m.output.get(Module.SERIAL0), 'uart\n');
  const printkPosts = m.messages.filter((x) => x.type === 'output' && x.module === Module.PRINTK).length;
  t.ok(printkPosts <= 2, `console output coalesced (${printkPosts} posts for 11 bytes)`);

  // REBOOT path: reset keeps the configuration; the same program boots again.
  m.messages.length = 0;
  m.output.clear();
  m.send({ type: 'reset' });
  m.send({ type: 'load-section', offset: 0, size: image.length, data: image });
  m.send({ type: 'start', entryOffset: 0 });
  const again = await m.until(() => m.terminated(), 20_000, 'second run');
  t.equal(again.reason, Termination.POWEROFF);
  t.equal(m.output.get(Module.PRINTK), 'hello sbi\nT');

  m.send({ type: 'stop', reason: Termination.REBOOT });
  await m.until(() => m.exited, 5000, 'worker exit');
  t.ok(m.exited, 'stop ends the worker');
});

t.test('stop while running posts terminated with the given reason', async (t) => {
  const m = new WorkerMachine(baseSpec);
  t.teardown(() => m.close());
  // An endless loop: `j .`
  m.send({ type: 'load-section', offset: 0, size: 4, data: Uint8Array.of(0x6f, 0x00, 0x00, 0x00) });
  m.send({ type: 'start', entryOffset: 0 });
  await m.until(() => m.messages.some((x) => x.type === 'stats'), 5000, 'stats while running');
  const stats = m.messages.find((x) => x.type === 'stats');
  t.ok(stats && stats.type === 'stats' && stats.instret > 0, 'stats count retired instructions');
  m.send({ type: 'stop', reason: Termination.REBOOT });
  const end = await m.until(() => m.terminated(), 5000, 'terminated');
  t.equal(end.reason, Termination.REBOOT);
  await m.until(() => m.exited, 5000, 'worker exit');
});

t.test('a missing disk image is an error before boot', async (t) => {
  const m = new WorkerMachine({ ...baseSpec, blockDevices: [{ index: 2, path: path.join(dir, 'nope.img'), readOnly: false, aliases: [] }] });
  t.teardown(() => m.close());
  const err = await m.until(() => m.messages.find((x) => x.type === 'error'), 5000, 'error');
  t.match(err, { type: 'error', message: `cobd2: cannot open image ${path.join(dir, 'nope.img')}: ENOENT` });
  await m.until(() => m.exited, 5000, 'worker exit');
});

t.test('a section outside RAM is reported, not fatal', async (t) => {
  const m = new WorkerMachine(baseSpec);
  t.teardown(() => m.close());
  m.send({ type: 'load-section', offset: 64 * 1024 * 1024, size: 16 });
  const err = await m.until(() => m.messages.find((x) => x.type === 'error'), 5000, 'error');
  t.match(err, { message: /does not fit in 16 MiB of RAM/ });
  t.notOk(m.exited);
});

t.test('a memory size the machine cannot hold is one clear error', async (t) => {
  const m = new WorkerMachine({ ...baseSpec, memoryMiB: 8192 });
  t.teardown(() => m.close());
  const err = await m.until(() => m.messages.find((x) => x.type === 'error'), 5000, 'error');
  t.match(err, { message: /^mem=8192: guest RAM must be between 1 and \d+ MiB/ });
});
