// Builds the bare-metal ISA tests (*.S in this folder) with Debian's riscv64-unknown-elf-gcc.
// Each test is built twice: for colinux-bare-metal, and with -DQEMU_PEER for the cross-check on
// qemu-system-riscv64 (the few places where QEMU 7.2 differs from the spec are marked there).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool } from '../../../../test/tools.ts';

requireTool('riscv64-unknown-elf-gcc');

const run = promisify(execFile);
export const ISA_DIR = import.meta.dirname;
export const CROSS_GCC = 'riscv64-unknown-elf-gcc';

export interface IsaProgram {
  name: string;
  elf: string;
  qemuElf: string;
}

export function isaSources(): string[] {
  return readdirSync(ISA_DIR)
    .filter((f) => f.endsWith('.S'))
    .sort();
}

export async function buildIsaProgram(source: string, outDir: string): Promise<IsaProgram> {
  const name = basename(source, '.S');
  const elf = join(outDir, `${name}.elf`);
  const qemuElf = join(outDir, `${name}.qemu.elf`);
  const common = ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-static', '-I', ISA_DIR, '-T', join(ISA_DIR, 'link.ld')];
  const src = join(ISA_DIR, source);
  await run(CROSS_GCC, [...common, '-o', elf, src]);
  await run(CROSS_GCC, [...common, '-DQEMU_PEER', '-o', qemuElf, src]);
  return { name, elf, qemuElf };
}

export async function buildIsaTests(outDir: string): Promise<IsaProgram[]> {
  return Promise.all(isaSources().map((s) => buildIsaProgram(s, outDir)));
}
