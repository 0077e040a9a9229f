// Differential test: random straight-line RV64GC programs (test/isa/random-program.ts) run on the
// wasm core and on qemu-system-riscv64 must print the same registers, fflags and memory.
// COLINUX_LONG_TESTS=1 runs 200 programs of 2000 instructions instead of 8 of 400.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CROSS_GCC, ISA_DIR } from './isa/build.ts';
import { randomProgram } from './isa/random-program.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('qemu-system-riscv64');
requireTool('riscv64-unknown-elf-gcc');

const run = promisify(execFile);
const runner = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'colinux-bare-metal');
const long = process.env.COLINUX_LONG_TESTS === '1';
const programs = long ? 200 : 8;
const length = long ? 2000 : 400;

const dir = mkdtempSync(join(tmpdir(), 'colinux-diff-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

for (let seed = 1; seed <= programs; seed++) {
  t.test(`random program ${seed} matches QEMU`, async (t) => {
    const src = join(dir, `random-${seed}.S`);
    const elf = join(dir, `random-${seed}.elf`);
    writeFileSync(src, randomProgram(seed * 7919, length));
    await run(CROSS_GCC, ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-static', '-I', ISA_DIR, '-T', join(ISA_DIR, 'link.ld'), '-o', elf, src]);
    // QEMU's UART goes to a file: through a pipe it drops bytes when the reader lags.
    const serial = join(dir, `random-${seed}.qemu.txt`);
    const qemuArgs = ['-M', 'virt', '-m', '128M', '-bios', 'none', '-display', 'none', '-monitor', 'none', '-serial', `file:${serial}`, '-kernel', elf];
    const [ours] = await Promise.all([
      run(runner, [elf, '--max-insns', '10000000'], { timeout: 60_000 }),
      run('qemu-system-riscv64', qemuArgs, { timeout: 60_000 }),
    ]);
    const qemuOut = readFileSync(serial, 'utf8');
    t.match(ours.stdout, /PASS\n$/);
    t.equal(ours.stdout, qemuOut, 'identical register, fflags and memory dump');
  });
}
