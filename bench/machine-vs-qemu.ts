// Benchmark: the bundled guest on our machine and, in the same run, on Debian's QEMU
// (qemu-system-riscv64 -M virt -bios default). Prints one JSON line per measurement and a
// Markdown table for bench/RESULTS.md. Run: node_modules/.bin/node bench/machine-vs-qemu.ts
// Options (env): BENCH_LOOP (default 300000), BENCH_IDLE_S (default 30), BENCH_ONLY=ours|qemu,
// BENCH_WORKLOADS=key,key (a subset of the workloads below, e.g. forkexec,pingpong).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BOOT_DIRECT, GuestProcess, READY_LINE, bootDirectEnv, qemuConsoleArgs } from './guest-process.ts';

const root = join(import.meta.dirname, '..');
const images = join(root, 'guest', 'images');
const loop = Number(process.env.BENCH_LOOP ?? 300000);
const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 30);
const memMiB = 128;
const work = mkdtempSync(join(tmpdir(), 'colinux-bench-'));
const kernel = join(work, 'Image');
writeFileSync(kernel, gunzipSync(readFileSync(join(images, 'Image.gz'))));
const initrd = join(images, 'initramfs.cpio.gz');

/** Guest work a user does, timed on both peers: the command and a check of its output. The
 *  outputs that have no fixed expected value (gzip, find) must match between the peers. */
interface Workload {
  key: string;
  label: string;
  cmd: string;
  expect?: string;
}
const allWorkloads: Workload[] = [
  { key: 'loop', label: `busybox sh counting loop (${loop})`, cmd: `i=0; while [ $i -lt ${loop} ]; do i=$((i+1)); done; echo $i`, expect: String(loop) },
  { key: 'md5', label: 'dd 64 MiB \\| md5sum', cmd: 'dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum', expect: '7f614da9329cd3aebf59b91aadc30bf0' },
  {
    key: 'sha256',
    label: 'dd 16 MiB \\| sha256sum',
    cmd: 'dd if=/dev/zero bs=1M count=16 2>/dev/null | sha256sum',
    expect: '080acf35a507ac9849cfcba47dc2ad83e01b75663a516279c8b9d243b719643e',
  },
  { key: 'awk', label: 'awk arithmetic loop (300,000)', cmd: "awk 'BEGIN { s = 0; for (i = 0; i < 300000; i++) s += i % 7; print s }'", expect: '899997' },
  { key: 'gzip', label: 'gzip -9 of `seq 1 200000` (1.3 MB)', cmd: 'seq 1 200000 > /tmp/seq; gzip -9 -c /tmp/seq | md5sum' },
  { key: 'forkexec', label: 'fork/exec of /bin/true (1,000)', cmd: 'i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done; echo $i', expect: '1000' },
  {
    key: 'fswalk',
    label: 'file-system walk (find over /bin /sbin /usr /etc, 100 times)',
    cmd: 'i=0; while [ $i -lt 100 ]; do find /bin /sbin /usr /etc > /dev/null; i=$((i+1)); done; find /bin /sbin /usr /etc | wc -l',
  },
  // Two shells answering each other through two FIFOs, 3,000 round trips: every message is a
  // switch between two address spaces (and ash's `read` takes it a byte at a time).
  {
    key: 'pingpong',
    label: 'ping-pong between two shells over FIFOs (3,000 round trips)',
    cmd: 'rm -f /tmp/p1 /tmp/p2; mknod /tmp/p1 p; mknod /tmp/p2 p; (exec 3</tmp/p1 4>/tmp/p2; while read -r x <&3; do echo "$x" >&4; done) & (exec 5>/tmp/p1 6</tmp/p2; i=0; while [ $i -lt 3000 ]; do echo $i >&5; read -r y <&6; i=$((i+1)); done; echo "pong $y"); wait',
    expect: 'pong 2999',
  },
];
const onlyKeys = process.env.BENCH_WORKLOADS?.split(',');
const workloads = allWorkloads.filter((w) => !onlyKeys || onlyKeys.includes(w.key));

interface Result {
  boot: number;
  wall: Record<string, number>;
  cpu: Record<string, number>;
  output: Record<string, string>;
  idleCpuPct: number;
  rssBeyondRamMiB: number;
  jit?: string;
}

const peers: Record<string, () => GuestProcess> = {
  ours: () =>
    new GuestProcess(process.execPath, [BOOT_DIRECT, '--image', kernel, '--initrd', initrd, '--mem', String(memMiB)], {
      ...bootDirectEnv(),
      BOOT_DIRECT_STATS: '1',
    }),
  qemu: () => new GuestProcess('qemu-system-riscv64', [...qemuConsoleArgs(kernel, initrd, memMiB), '-append', 'console=hvc0']),
};

/** The translator's statistics between two `[stats]` lines of boot-direct (docs/cpu-core.md). */
function jitSummary(a: Record<string, number> | undefined, b: Record<string, number> | undefined): string {
  if (!a || !b) return '';
  const d = (k: string) => (b[k] ?? 0) - (a[k] ?? 0);
  const interpreted = d('instret') - d('jitInsns');
  return (
    `${((100 * d('jitInsns')) / Math.max(1, d('instret'))).toFixed(1)} % of instructions translated, ` +
    `${(d('jitInsns') / Math.max(1, d('jitEntries'))).toFixed(0)} per entry from the interpreter, ` +
    `block cache: ${((100 * d('jitEntries')) / Math.max(1, d('jitLookups'))).toFixed(1)} % of ${d('jitLookups')} lookups compiled, ` +
    `decode cache: ${((100 * d('decodeMisses')) / Math.max(1, interpreted)).toFixed(2)} % misses, ` +
    `${d('jitTranslated')} blocks translated in ${d('jitRegions')} regions, ${d('jitDropped')} entries dropped, ${d('jitCodeWrites')} writes to code (${d('codePageDataWrites')} beside it), ${d('jitBatches')} batches compiled in ${d('jitCompileMs')} ms`
  );
}

async function measure(name: string): Promise<Result> {
  const start = process.hrtime.bigint();
  const guest = peers[name]!();
  try {
    await guest.waitFor(READY_LINE, 300_000);
    const boot = Number(process.hrtime.bigint() - start) / 1e9;
    await guest.run('true', 60_000); // let the shell settle before timing
    const result: Result = { boot, wall: {}, cpu: {}, output: {}, idleCpuPct: 0, rssBeyondRamMiB: 0 };
    const jit: string[] = [];
    for (const w of workloads) {
      // CPU seconds of the emulator process beside wall time: on a shared host they are the steadier figure.
      const cpu0 = guest.cpuSeconds();
      const stats0 = guest.lastStats();
      const r = await guest.run(w.cmd, 900_000);
      result.cpu[w.key] = guest.cpuSeconds() - cpu0;
      result.wall[w.key] = r.seconds;
      result.output[w.key] = r.output.trim().split('\n').slice(-1)[0]!.trim();
      if (w.expect && !r.output.includes(w.expect)) throw new Error(`${name}: ${w.key} printed ${r.output}`);
      await new Promise((res) => setTimeout(res, 1100)); // one more stats line from the worker
      const summary = jitSummary(stats0, guest.lastStats());
      if (summary) jit.push(`${w.key}: ${summary}`);
    }
    if (jit.length) result.jit = jit.join('\n');
    const cpu0 = guest.cpuSeconds();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    result.idleCpuPct = ((guest.cpuSeconds() - cpu0) / idleSeconds) * 100;
    result.rssBeyondRamMiB = (guest.rssBytes() - guest.guestRamResidentBytes(memMiB * 2 ** 20)) / 2 ** 20;
    return result;
  } finally {
    guest.kill();
    await guest.exited;
  }
}

/** The CPU helper's bare-metal loop (test/isa/bench.S) through colinux-bare-metal --stats. */
function bareMetalMips(): string {
  const elf = join(work, 'bench.elf');
  const isa = join(root, 'packages', 'monitor-core', 'test', 'isa');
  execFileSync('riscv64-unknown-elf-gcc', [
    '-DITERATIONS=20000000',
    '-march=rv64gc',
    '-mabi=lp64d',
    '-nostdlib',
    '-static',
    '-I',
    isa,
    '-T',
    join(isa, 'link.ld'),
    '-o',
    elf,
    join(isa, 'bench.S'),
  ]);
  const run = spawnSync(join(root, 'node_modules', '.bin', 'colinux-bare-metal'), [elf, '--stats'], { encoding: 'utf8' });
  return run.stderr.trim();
}

const results: Record<string, Result> = {};
for (const name of Object.keys(peers)) {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== name) continue;
  results[name] = await measure(name);
  console.log(JSON.stringify({ peer: name, ...results[name] }));
}
console.log(`bare-metal: ${bareMetalMips()}`);

const q = results.qemu;
const o = results.ours;
for (const w of workloads) {
  if (o && q && !w.expect && o.output[w.key] !== q.output[w.key]) console.log(`MISMATCH ${w.key}: ours ${o.output[w.key]}, QEMU ${q.output[w.key]}`);
}
const cell = (v: number | undefined, unit: string) => (v === undefined ? '-' : `${v.toFixed(2)} ${unit}`);
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : '-');
console.log(`\nmachine: ${cpus()[0]?.model} x${cpus().length}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| measure | ours | QEMU 7.2 TCG | ratio |\n|---|---|---|---|');
console.log(`| boot to ready line, wall | ${cell(o?.boot, 's')} | ${cell(q?.boot, 's')} | ${ratio(o?.boot, q?.boot)} |`);
for (const w of workloads) {
  console.log(`| ${w.label}, CPU | ${cell(o?.cpu[w.key], 's')} | ${cell(q?.cpu[w.key], 's')} | ${ratio(o?.cpu[w.key], q?.cpu[w.key])} |`);
  console.log(`| same, wall | ${cell(o?.wall[w.key], 's')} | ${cell(q?.wall[w.key], 's')} | ${ratio(o?.wall[w.key], q?.wall[w.key])} |`);
}
console.log(`| idle host CPU (${idleSeconds} s) | ${cell(o?.idleCpuPct, '%')} | ${cell(q?.idleCpuPct, '%')} | |`);
console.log(`| RSS beyond guest RAM | ${cell(o?.rssBeyondRamMiB, 'MiB')} | ${cell(q?.rssBeyondRamMiB, 'MiB')} | |`);
if (o?.jit) console.log(`\ntranslator (ours):\n${o.jit}`);
rmSync(work, { recursive: true, force: true });
