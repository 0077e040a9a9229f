// Benchmark: virtio-blk throughput in the guest on a raw image and on a qcow2 image, ours against
// QEMU (virtio-blk-device on the same kind of file) in the same run, the bundled kernel and
// initramfs on both. Each peer and format boots a fresh guest (so reads start uncached) with one
// disk of 2 × BENCH_MIB: the first half holds random data (raw: the file; qcow2: made by
// `qemu-img convert`, so fully allocated), the second half is empty (qcow2: unallocated, so the
// write allocates clusters). Measures, as wall and emulator-process CPU seconds: reading the first
// half (`dd bs=1M` to /dev/null) and writing the second (`dd if=/dev/zero bs=1M` + `sync`). The
// guest's md5 of the first half is checked against the host's.
// Run: node_modules/.bin/node bench/disk.ts   (env BENCH_MIB, default 64; BENCH_ONLY=ours|qemu)
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BOOT_DIRECT, GuestProcess, READY_LINE, type Step, bootDirectEnv, qemuConsoleArgs } from './guest-process.ts';

const root = join(import.meta.dirname, '..');
const images = join(root, 'guest', 'images');
const mib = Number(process.env.BENCH_MIB ?? 64);
const memMiB = 256;
const work = mkdtempSync(join(tmpdir(), 'colinux-bench-disk-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const kernel = join(work, 'Image');
writeFileSync(kernel, gunzipSync(readFileSync(join(images, 'Image.gz'))));
const initrd = join(images, 'initramfs.cpio.gz');
const data = randomBytes(mib << 20);
const dataMd5 = createHash('md5').update(data).digest('hex');

type Format = 'raw' | 'qcow2';
/** A fresh disk of the format: random first half, empty second half. */
function disk(name: string, format: Format): string {
  const raw = join(work, `${name}.raw`);
  writeFileSync(raw, Buffer.concat([data, Buffer.alloc(mib << 20)]));
  if (format === 'raw') return raw;
  const q = join(work, `${name}.qcow2`);
  // Only the first half is allocated: qemu-img convert leaves zero clusters out.
  execFileSync('qemu-img', ['convert', '-O', 'qcow2', raw, q]);
  rmSync(raw);
  return q;
}

const peers: Record<string, (image: string, format: Format) => GuestProcess> = {
  ours: (image) =>
    new GuestProcess(process.execPath, [BOOT_DIRECT, '--image', kernel, '--initrd', initrd, '--mem', String(memMiB), '--disk', image], bootDirectEnv()),
  qemu: (image, format) =>
    new GuestProcess('qemu-system-riscv64', [
      ...qemuConsoleArgs(kernel, initrd, memMiB),
      '-drive',
      `file=${image},format=${format},if=none,id=d0`,
      '-device',
      'virtio-blk-device,drive=d0',
      '-append',
      'console=hvc0',
    ]),
};

interface Result {
  read: Step;
  write: Step;
}

async function measure(peer: string, format: Format): Promise<Result> {
  const guest = peers[peer]!(disk(`${peer}-${format}`, format), format);
  try {
    await guest.waitFor(READY_LINE, 300_000);
    const read = await guest.timed(`dd if=/dev/vda of=/dev/null bs=1M count=${mib}`, (o) => o.includes(`${mib}+0 records out`));
    const write = await guest.timed(`dd if=/dev/zero of=/dev/vda bs=1M seek=${mib} count=${mib}; sync`, (o) => o.includes(`${mib}+0 records out`));
    const sum = await guest.run(`echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=1M count=${mib} 2>/dev/null | md5sum`, 600_000);
    if (!sum.output.includes(dataMd5)) throw new Error(`${peer} ${format}: md5 of the first half differs: ${sum.output}`);
    return { read, write };
  } finally {
    guest.kill();
    await guest.exited;
  }
}

const results: Record<string, Result> = {};
for (const format of ['raw', 'qcow2'] as const) {
  for (const peer of Object.keys(peers)) {
    if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== peer) continue;
    results[`${peer}-${format}`] = await measure(peer, format);
    console.log(JSON.stringify({ peer, format, ...results[`${peer}-${format}`] }));
  }
}

const cell = (s: Step | undefined, key: keyof Step) => (s ? `${s[key].toFixed(2)} s` : '-');
const rate = (s: Step | undefined) => (s ? ` (${(mib / s.wall).toFixed(1)} MiB/s)` : '');
console.log(`\nmachine: ${cpus()[0]?.model} x${cpus().length}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| measure | ours | QEMU TCG | ratio |\n|---|---|---|---|');
for (const format of ['raw', 'qcow2'] as const) {
  const o = results[`ours-${format}`];
  const q = results[`qemu-${format}`];
  for (const [step, label] of [
    ['read', `read ${mib} MiB`],
    ['write', `write ${mib} MiB + sync`],
  ] as const) {
    for (const key of ['wall', 'cpu'] as const) {
      const ratio = o && q ? (o[step][key] / q[step][key]).toFixed(2) : '-';
      console.log(
        `| ${format}: ${label}, ${key === 'wall' ? 'wall' : 'CPU'} | ${cell(o?.[step], key)}${key === 'wall' ? rate(o?.[step]) : ''} | ${cell(q?.[step], key)}${key === 'wall' ? rate(q?.[step]) : ''} | ${ratio} |`,
      );
    }
  }
}
