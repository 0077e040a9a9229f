// The TLBs' size as translated code meets it (docs/cpu-core.md, "MMU"): test/isa/jit-tlb.S loops
// over four data pages whose virtual page numbers are 256 apart. With 256-entry direct-mapped
// TLBs they evicted each other on every access, and every access left translated code for the
// interpreter (0 instructions per entry, 0 % translated); the loop must now run translated, many
// instructions per entry from the interpreter. cpu-isa.test.ts runs the same program against QEMU.
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
const dir = mkdtempSync(join(tmpdir(), 'colinux-jit-tlb-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('loads and stores to pages 256 page numbers apart stay in translated code', async (t) => {
  const { elf } = await buildIsaProgram('jit-tlb.S', dir);
  const ours = await run(runner, [elf, '--stats'], { timeout: 120_000 });
  t.match(ours.stdout, /PASS\n$/);
  // The loop is 14 of the program's 14.02 million instructions.
  const share = Number(/translated ([\d.]+) %/.exec(ours.stderr)?.[1] ?? 0);
  t.ok(share >= 90, `translated ${share} % of the instructions`);
  const perEntry = Number(/(\d+) per entry/.exec(ours.stderr)?.[1] ?? 0);
  t.ok(perEntry >= 1000, `${perEntry} instructions per entry into translated code`);
});
