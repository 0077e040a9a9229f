// fpu.ts against QEMU's RISC-V floating point: the same operands through the real F/D
// instructions (vectors.c under qemu-riscv64) and through fpu.ts compiled to wasm, every
// rounding mode, comparing result bits and fflags exactly.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPS, buildHarness, buildVectorProgram, referenceVectors } from './fpu/reference.ts';

const long = process.env.COLINUX_LONG_TESTS === '1';
// Every round gives each of the 48 operations fresh operands in all 5 rounding modes.
const rounds = long ? 600 : 25;
const seeds = long ? [1, 2, 3] : [1];

const dir = mkdtempSync(join(tmpdir(), 'colinux-fpu-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const program = buildVectorProgram(dir);
const harness = await buildHarness(dir);

for (const seed of seeds) {
  t.test(`every operation and rounding mode matches qemu-riscv64 (seed ${seed}, ${rounds} rounds)`, async (t) => {
    const vectors = referenceVectors(program, seed, rounds);
    const got = harness.run(vectors);
    const failures: string[] = [];
    const failedOps = new Map<string, number>();
    vectors.forEach((v, i) => {
      const g = got[i]!;
      if (g.r === v.r && g.flags === v.flags) return;
      const name = OPS[v.op]!;
      failedOps.set(name, (failedOps.get(name) ?? 0) + 1);
      if (failures.length < 30) {
        failures.push(`${v.line}  <- fpu.ts gave ${g.r.toString(16)} flags ${g.flags.toString(16)}`);
      }
    });
    t.comment(`${vectors.length} vectors`);
    t.same(Object.fromEntries(failedOps), {}, 'mismatches per operation', { failures });
    t.ok(vectors.length >= OPS.length * 5 * rounds, 'every operation produced vectors');
  });
}
