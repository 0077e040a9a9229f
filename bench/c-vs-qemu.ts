// Benchmark: freestanding C programs (bench/bare-metal/*.c, compiled with riscv64-unknown-elf-gcc
// -O2) on our CPU through colinux-bare-metal and, in the same run, on Debian's qemu-system-riscv64
// -M virt -bios none: the kind of code that compressors and hashes run (a SHA-256 with its 64
// rounds unrolled as coreutils has it, a greedy LZ77 matcher), without a kernel or a disk in the
// way. Per program and peer: CPU seconds of the whole process (user + system, from bash's `times`,
// so Node's start and the core's compile count as QEMU's start does) and wall seconds, the
// output (which must be the same on both), and our translator's statistics. Each peer runs each
// program RUNS times, alternating; the table shows the fastest run of each.
// Run: node_modules/.bin/node bench/c-vs-qemu.ts
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const sources = join(import.meta.dirname, 'bare-metal');
const isa = join(root, 'packages', 'monitor-core', 'test', 'isa');
const PROGRAMS = ['sha256', 'lz'];
const RUNS = 3;

interface Run {
  cpu: number;
  wall: number;
  output: string;
  stats: string;
}

/** Run `argv` under bash and take the children's CPU time from `times` (its second line). */
function timed(argv: string[]): Run {
  const started = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', '"$@" >"$OUT" 2>"$ERR"; status=$?; times; exit $status', 'bench', ...argv], {
    encoding: 'utf8',
    env: { ...process.env, OUT: join(work, 'out'), ERR: join(work, 'err') },
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const output = readFileSync(join(work, 'out'), 'utf8').trim();
  const stats = readFileSync(join(work, 'err'), 'utf8').trim();
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${stats}`);
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { cpu: (seconds[0] ?? NaN) + (seconds[1] ?? NaN), wall, output, stats };
}

const work = mkdtempSync(join(tmpdir(), 'colinux-bench-c-'));
try {
  const rows: string[] = [];
  for (const name of PROGRAMS) {
    const elf = join(work, `${name}.elf`);
    execFileSync('riscv64-unknown-elf-gcc', [
      '-O2',
      '-march=rv64gc',
      '-mabi=lp64d',
      '-mcmodel=medany',
      '-ffreestanding',
      '-nostdlib',
      '-static',
      '-T',
      join(isa, 'link.ld'),
      '-o',
      elf,
      join(sources, 'start.S'),
      join(sources, `${name}.c`),
    ]);
    const ours: Run[] = [];
    const qemu: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(timed([join(root, 'node_modules', '.bin', 'colinux-bare-metal'), elf, '--stats']));
      qemu.push(timed(['qemu-system-riscv64', '-M', 'virt', '-bios', 'none', '-nographic', '-kernel', elf]));
    }
    const best = (runs: Run[]) => runs.reduce((a, b) => (b.cpu < a.cpu ? b : a));
    const o = best(ours);
    const q = best(qemu);
    if (o.output !== q.output) console.log(`MISMATCH ${name}: ours ${o.output}, QEMU ${q.output}`);
    console.log(JSON.stringify({ program: name, ours: ours.map((r) => r.cpu), qemu: qemu.map((r) => r.cpu), output: o.output }));
    console.log(`${name} (ours): ${o.stats.split('\n').slice(-2).join('; ')}`);
    rows.push(
      `| ${name}, CPU s | ${o.cpu.toFixed(2)} | ${q.cpu.toFixed(2)} | ${(o.cpu / q.cpu).toFixed(2)} |`,
      `| same, wall s | ${o.wall.toFixed(2)} | ${q.wall.toFixed(2)} | ${(o.wall / q.wall).toFixed(2)} |`,
    );
  }
  console.log(
    `\n${new Date().toISOString()}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log('| program | ours | QEMU 7.2 TCG | ratio |\n|---|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  rmSync(work, { recursive: true, force: true });
}
