// The translator's generation flush (docs/cpu-core.md, "Flush"): test/isa/jit-flush.S first makes
// more regions hot than the host's function table holds, then runs other hot code. Once the
// table is full every translation is dropped at the next `run`, and the code that is hot from
// then on is translated again: it must run translated (before the flush existed the batch that
// did not fit was marked "never" and nothing was compiled any more: 3 % ran translated).
// cpu-isa.test.ts runs the same program against QEMU.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIsaProgram } from './isa/build.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('riscv64-unknown-elf-gcc');

const run = promisify(execFile);
const runner = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'colinux-bare-metal');
const dir = mkdtempSync(join(tmpdir(), 'colinux-jit-flush-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('code that gets hot after the function table filled up runs translated', async (t) => {
  const { elf } = await buildIsaProgram('jit-flush.S', dir);
  const ours = await run(runner, [elf, '--stats'], { timeout: 120_000 });
  t.match(ours.stdout, /PASS\n$/);
  const flushes = Number(/(\d+) flushes/.exec(ours.stderr)?.[1] ?? -1);
  t.ok(flushes >= 1, `${flushes} flushes`);
  // The last phase is 1,000 of the 1,380 million instructions.
  const share = Number(/translated ([\d.]+) %/.exec(ours.stderr)?.[1] ?? 0);
  t.ok(share >= 50, `translated ${share} % of the instructions`);
});
