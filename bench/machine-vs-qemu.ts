// Benchmark: the bundled guest on our machine and, in the same run, on Debian's QEMU
// (qemu-system-riscv64 -M virt -bios default). Prints one JSON line per measurement and a
// Markdown table for bench/RESULTS.md. Run: node_modules/.bin/node bench/machine-vs-qemu.ts
// Options (env): BENCH_LOOP (default 300000), BENCH_IDLE_S (default 30), BENCH_ONLY=ours|qemu.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GuestProcess, READY_LINE } from './guest-process.ts';

const root = join(import.meta.dirname, '..');
const images = join(root, 'guest', 'images');
const loop = Number(process.env.BENCH_LOOP ?? 300000);
const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 30);
const memMiB = 128;
const work = mkdtempSync(join(tmpdir(), 'colinux-bench-'));
const kernel = join(work, 'Image');
writeFileSync(kernel, gunzipSync(readFileSync(join(images, 'Image.gz'))));
const initrd = join(images, 'initramfs.cpio.gz');

interface Result { boot: number; loop: number; loopCpu: number; dd: number; ddCpu: number; idleCpuPct: number; rssBeyondRamMiB: number }

const peers: Record<string, () => GuestProcess> = {
  ours: () =>
    new GuestProcess(process.execPath, [
      join(root, 'packages', 'monitor-core', 'src', 'machine', 'boot-direct.ts'),
      '--image', kernel, '--initrd', initrd, '--mem', String(memMiB),
    ]),
  qemu: () =>
    new GuestProcess('qemu-system-riscv64', [
      '-M', 'virt', '-bios', 'default', '-smp', '1', '-m', `${memMiB}M`, '-kernel', kernel, '-initrd', initrd,
      '-display', 'none', '-monitor', 'none', '-serial', 'null',
      '-device', 'virtio-serial-device', '-chardev', 'stdio,id=con0,signal=off', '-device', 'virtconsole,chardev=con0',
      '-append', 'console=hvc0',
    ]),
};

async function measure(name: string): Promise<Result> {
  const start = process.hrtime.bigint();
  const guest = peers[name]!();
  try {
    await guest.waitFor(READY_LINE, 300_000);
    const boot = Number(process.hrtime.bigint() - start) / 1e9;
    await guest.run('true', 60_000); // let the shell settle before timing
    // CPU seconds of the emulator process beside wall time: on a shared host they are the steadier figure.
    const loopCpu0 = guest.cpuSeconds();
    const counted = await guest.run(`i=0; while [ $i -lt ${loop} ]; do i=$((i+1)); done; echo $i`, 900_000);
    const loopCpu = guest.cpuSeconds() - loopCpu0;
    if (!counted.output.includes(String(loop))) throw new Error(`${name}: counting loop printed ${counted.output}`);
    const ddCpu0 = guest.cpuSeconds();
    const dd = await guest.run('dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum', 900_000);
    const ddCpu = guest.cpuSeconds() - ddCpu0;
    if (!dd.output.includes('7f614da9329cd3aebf59b91aadc30bf0')) throw new Error(`${name}: md5sum printed ${dd.output}`);
    const cpu0 = guest.cpuSeconds();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpuPct = ((guest.cpuSeconds() - cpu0) / idleSeconds) * 100;
    const rssBeyondRamMiB = (guest.rssBytes() - guest.guestRamResidentBytes(memMiB * 2 ** 20)) / 2 ** 20;
    return { boot, loop: counted.seconds, loopCpu, dd: dd.seconds, ddCpu, idleCpuPct, rssBeyondRamMiB };
  } finally {
    guest.kill();
    await guest.exited;
  }
}

/** The CPU helper's bare-metal loop (test/isa/bench.S) through colinux-bare-metal --stats. */
function bareMetalMips(): string {
  const elf = join(work, 'bench.elf');
  const isa = join(root, 'packages', 'monitor-core', 'test', 'isa');
  execFileSync('riscv64-unknown-elf-gcc', ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-static', '-I', isa, '-T', join(isa, 'link.ld'), '-o', elf, join(isa, 'bench.S')]);
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
const row = (label: string, key: keyof Result, unit: string) =>
  `| ${label} | ${o ? o[key].toFixed(2) : '-'} ${unit} | ${q ? q[key].toFixed(2) : '-'} ${unit} | ${o && q ? (o[key] / q[key]).toFixed(2) : '-'} |`;
console.log(`\nmachine: ${cpus()[0]?.model} x${cpus().length}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| measure | ours | QEMU 7.2 TCG | ratio |\n|---|---|---|---|');
console.log(row('boot to ready line', 'boot', 's'));
console.log(row(`sh counting loop (${loop}), wall`, 'loop', 's'));
console.log(row(`sh counting loop (${loop}), CPU`, 'loopCpu', 's'));
console.log(row('dd 64 MiB \\| md5sum, wall', 'dd', 's'));
console.log(row('dd 64 MiB \\| md5sum, CPU', 'ddCpu', 's'));
console.log(row(`idle host CPU (${idleSeconds} s)`, 'idleCpuPct', '%'));
console.log(row('RSS beyond guest RAM', 'rssBeyondRamMiB', 'MiB'));
rmSync(work, { recursive: true, force: true });
