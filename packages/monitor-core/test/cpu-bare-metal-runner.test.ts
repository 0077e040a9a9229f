// colinux-bare-metal as a user meets it: exit codes for pass, fail (the test number), an
// instruction limit, and one clear line for files it cannot run.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CROSS_GCC, ISA_DIR } from './isa/build.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('riscv64-unknown-elf-gcc');

const run = promisify(execFile);
const runner = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'colinux-bare-metal');
const dir = mkdtempSync(join(tmpdir(), 'colinux-runner-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function build(name: string, body: string): Promise<string> {
  const src = join(dir, `${name}.S`);
  const elf = join(dir, `${name}.elf`);
  writeFileSync(src, `#include "harness.h"\ntests:\n${body}\n`);
  await run(CROSS_GCC, ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-static', '-I', ISA_DIR, '-T', join(ISA_DIR, 'link.ld'), '-o', elf, src]);
  return elf;
}

async function exitOf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(runner, args, { timeout: 60_000 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('a failing test exits with its number and says so', async (t) => {
  const r = await exitOf([await build('fails', '  TEST 7\n  j fail')]);
  t.equal(r.code, 7);
  t.match(r.stdout, /FAIL test 7/);
});

t.test('an HTIF failure code in tohost becomes the exit status', async (t) => {
  const body = [
    '  li t0, (5 << 1) | 1',
    '  la t1, tohost',
    '  sd t0, 0(t1)',
    '1: j 1b',
    '.section .tohost, "aw", @progbits',
    '.align 6',
    '.globl tohost',
    'tohost: .dword 0',
  ].join('\n');
  const r = await exitOf([await build('htif-fail', body)]);
  t.equal(r.code, 5);
});

t.test('--max-insns stops a program that never finishes with exit 124', async (t) => {
  const r = await exitOf([await build('spins', '1: j 1b'), '--max-insns', '50000']);
  t.equal(r.code, 124);
  t.match(r.stderr, /stopped after \d+ instructions \(--max-insns\)/);
});

t.test('--stats reports MIPS', async (t) => {
  const r = await exitOf([await build('passes', '  j pass'), '--stats']);
  t.equal(r.code, 0);
  t.match(r.stderr, /instructions \d+ seconds [\d.]+ MIPS [\d.]+/);
});

t.test('a file that is not a RISC-V ELF gets one line naming it', async (t) => {
  const bogus = join(dir, 'not-an-elf.bin');
  writeFileSync(bogus, 'hello');
  const r = await exitOf([bogus]);
  t.equal(r.code, 2);
  t.equal(r.stderr, `colinux-bare-metal: ${bogus}: not an ELF file\n`);
  const missing = await exitOf([join(dir, 'missing.elf')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /missing\.elf: ENOENT/);
});

t.test('--ram must be a sensible size', async (t) => {
  const r = await exitOf([join(dir, 'x.elf'), '--ram', 'lots']);
  t.equal(r.code, 2);
  t.match(r.stderr, /--ram lots: need an integer 1\.\.2048/);
});
