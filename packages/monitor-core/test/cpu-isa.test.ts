// Runs every bare-metal ISA test (test/isa/*.S) through the real colinux-bare-metal process on
// the wasm core, and the same programs on qemu-system-riscv64 as an independent check that the
// tests themselves are right.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIsaTests } from './isa/build.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('qemu-system-riscv64');

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const runner = join(root, 'node_modules', '.bin', 'colinux-bare-metal');
/** Programs that need HTIF (tohost), which QEMU's virt board does not have. */
const OURS_ONLY = new Set(['htif']);
/** Instructions a program may take before it counts as hung; jit-flush runs 1.38 billion (it makes
 *  45,000 regions hot, 4,200 rounds each: the translator's threshold is 4,000 executions). */
const MAX_INSNS: Record<string, number> = { 'jit-flush': 2_000_000_000 };
const DEFAULT_MAX_INSNS = 200_000_000;
/** How long QEMU may take: jit-flush needs 33 CPU seconds of it (QEMU translates each of its
 *  45,000 regions), close to a minute on a loaded host. */
const QEMU_TIMEOUT_MS: Record<string, number> = { 'jit-flush': 180_000 };
const DEFAULT_QEMU_TIMEOUT_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'colinux-isa-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const programs = await buildIsaTests(dir);

async function exitOf(cmd: string, args: string[], timeout: number): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(cmd, args, { timeout });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

for (const p of programs) {
  t.test(`${p.name} passes on the wasm core`, async (t) => {
    const r = await exitOf(runner, [p.elf, '--max-insns', String(MAX_INSNS[p.name] ?? DEFAULT_MAX_INSNS)], 120_000);
    t.equal(r.code, 0, r.out.trim());
    t.match(r.out, /PASS/);
  });
  if (OURS_ONLY.has(p.name)) continue;
  t.test(`${p.name} passes on qemu-system-riscv64 (checks the test itself)`, async (t) => {
    // The UART goes to a file: through a pipe QEMU drops bytes when the reader lags.
    const serial = join(dir, `${p.name}.qemu.txt`);
    const args = ['-M', 'virt', '-m', '128M', '-bios', 'none', '-display', 'none', '-monitor', 'none', '-serial', `file:${serial}`, '-kernel', p.qemuElf];
    const r = await exitOf('qemu-system-riscv64', args, QEMU_TIMEOUT_MS[p.name] ?? DEFAULT_QEMU_TIMEOUT_MS);
    const out = existsSync(serial) ? readFileSync(serial, 'utf8') : '';
    t.equal(r.code, 0, `${out.trim()} ${r.out.trim()}`);
    t.match(out, /PASS/);
  });
}
