// Differential test of the translator (cpu/jit.ts): the random programs of cpu-qemu-diff, with
// their body run in a loop often enough that its blocks get translated (JIT_THRESHOLD is 500
// executions), must leave the same registers, fflags and memory as on QEMU. The loop-back jump,
// the AMO wrap-around branches and every instruction the translator leaves out start blocks;
// misaligned loads/stores and the UART stores of the dump leave blocks early.
// Every second program keeps only what the translator translates, so its blocks are long. The
// programs' counted loops, calls/returns through jal/jalr and self-modifying code exercise
// chaining, the in-block loop and the invalidation of written code pages.
// COLINUX_LONG_TESTS=1 runs 1000 programs of 2000 instructions instead of 6 of 300 (30-90 min).
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CROSS_GCC, ISA_DIR } from './isa/build.ts';
import { loopedProgram } from './isa/looped-program.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('qemu-system-riscv64');
requireTool('riscv64-unknown-elf-gcc');

const run = promisify(execFile);
const runner = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'colinux-bare-metal');
const long = process.env.COLINUX_LONG_TESTS === '1';
const programs = long ? 1000 : 6;
// The long mode outlasts the suite's 900 s per file (about 1-6 s a program on a shared 2-core host).
if (long) t.setTimeout(3 * 3600_000);
const length = long ? 2000 : 300;
const dir = mkdtempSync(join(tmpdir(), 'colinux-jit-diff-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

for (let seed = 1; seed <= programs; seed++) {
  t.test(`looped random program ${seed}${seed % 2 === 0 ? ' (integer only)' : ''} matches QEMU`, async (t) => {
    const src = join(dir, `loop-${seed}.S`);
    const elf = join(dir, `loop-${seed}.elf`);
    writeFileSync(src, loopedProgram(seed * 104729, length, 700, seed % 2 === 0));
    await run(CROSS_GCC, ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-static', '-I', ISA_DIR, '-T', join(ISA_DIR, 'link.ld'), '-o', elf, src]);
    const serial = join(dir, `loop-${seed}.qemu.txt`);
    const qemuArgs = ['-M', 'virt', '-m', '128M', '-bios', 'none', '-display', 'none', '-monitor', 'none', '-serial', `file:${serial}`, '-kernel', elf];
    const [ours] = await Promise.all([
      run(runner, [elf, '--max-insns', '50000000', '--stats'], { timeout: 120_000 }),
      run('qemu-system-riscv64', qemuArgs, { timeout: 120_000 }),
    ]);
    t.match(ours.stdout, /PASS\n$/);
    t.equal(ours.stdout, readFileSync(serial, 'utf8'), 'identical register, fflags and memory dump');
    // The body's last 200 of 700 rounds at least run translated (it is hot after 500), unless
    // the translator stopped translating (as when every store to a page holding code, such as
    // the loop counter beside the code, dropped all of its translations).
    const share = Number(/translated ([\d.]+) %/.exec(ours.stderr)?.[1] ?? 0);
    t.ok(share >= 20, `translated ${share} % of the instructions`);
  });
}
