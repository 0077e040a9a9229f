// Benchmark: the cofs (virtio-9p) share on our machine against QEMU's 9p (-fsdev local,
// security_model=none, virtio-9p-device) in the same run, the bundled kernel and initramfs on
// both, the guest mounting with the kernel's default options (`mount -t 9p -o trans=virtio`).
// Measures, each as wall seconds and the emulator process's CPU seconds: reading a 64 MiB file
// from the share, writing one to it, and creating, listing and removing 1,000 small files.
// Run: node_modules/.bin/node bench/ninep.ts   (env BENCH_MIB, default 64; BENCH_ONLY=ours|qemu)
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BOOT_DIRECT, GuestProcess, READY_LINE, type Step, bootDirectEnv, qemuConsoleArgs } from './guest-process.ts';

const root = join(import.meta.dirname, '..');
const images = join(root, 'guest', 'images');
const mib = Number(process.env.BENCH_MIB ?? 64);
const memMiB = 256;
const FILES = 1000;
const work = mkdtempSync(join(tmpdir(), 'colinux-bench-9p-'));
const kernel = join(work, 'Image');
writeFileSync(kernel, gunzipSync(readFileSync(join(images, 'Image.gz'))));
const initrd = join(images, 'initramfs.cpio.gz');
process.on('exit', () => rmSync(work, { recursive: true, force: true })); // also when a step fails
const data = randomBytes(mib << 20);
const dataSha = createHash('sha256').update(data).digest('hex');

const peers: Record<string, (share: string) => GuestProcess> = {
  ours: (share) =>
    new GuestProcess(process.execPath, [BOOT_DIRECT, '--image', kernel, '--initrd', initrd, '--mem', String(memMiB), '--share', share], bootDirectEnv()),
  qemu: (share) =>
    new GuestProcess('qemu-system-riscv64', [
      ...qemuConsoleArgs(kernel, initrd, memMiB),
      '-fsdev',
      `local,id=fs0,path=${share},security_model=none`,
      '-device',
      'virtio-9p-device,fsdev=fs0,mount_tag=cofs0',
      '-append',
      'console=hvc0',
    ]),
};

interface Result {
  read: Step;
  write: Step;
  files: Step;
}

async function measure(name: string): Promise<Result> {
  const share = join(work, `share-${name}`);
  mkdirSync(share);
  writeFileSync(join(share, 'in.bin'), data);
  const guest = peers[name]!(share);
  try {
    await guest.waitFor(READY_LINE, 300_000);
    await guest.run('mkdir -p /mnt && mount -t 9p -o trans=virtio cofs0 /mnt && cat /proc/mounts | grep cofs0', 60_000);
    const read = await guest.timed('dd if=/mnt/in.bin of=/dev/null bs=1M', (o) => o.includes(`${mib}+0 records out`));
    const write = await guest.timed(`dd if=/dev/zero of=/mnt/out.bin bs=1M count=${mib}; sync`, (o) => o.includes(`${mib}+0 records out`));
    const files = await guest.timed(
      `mkdir /mnt/many && cd /mnt/many && i=0; while [ $i -lt ${FILES} ]; do echo $i > f$i; i=$((i+1)); done; ls -l | wc -l; cd /; rm -r /mnt/many`,
      (o) => new RegExp(`^${FILES}\\s*$`, 'm').test(o),
    );
    const check = await guest.run('sha256sum /mnt/in.bin', 600_000);
    if (!check.output.includes(dataSha)) throw new Error(`${name}: sha256 of the read file differs`);
    return { read, write, files };
  } finally {
    guest.kill();
    await guest.exited;
  }
}

const results: Record<string, Result> = {};
for (const name of Object.keys(peers)) {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== name) continue;
  results[name] = await measure(name);
  console.log(JSON.stringify({ peer: name, ...results[name] }));
}

const o = results.ours;
const q = results.qemu;
const cell = (s: Step | undefined, key: keyof Step) => (s ? `${s[key].toFixed(2)} s` : '-');
const row = (label: string, step: keyof Result, key: keyof Step) =>
  `| ${label} | ${cell(o?.[step], key)} | ${cell(q?.[step], key)} | ${o && q ? (o[step][key] / q[step][key]).toFixed(2) : '-'} |`;
const rate = (s: Step | undefined) => (s ? `${(mib / s.wall).toFixed(1)} MiB/s` : '-');
console.log(`\nmachine: ${cpus()[0]?.model} x${cpus().length}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| measure | ours | QEMU TCG | ratio |\n|---|---|---|---|');
console.log(row(`read ${mib} MiB (dd bs=1M), wall`, 'read', 'wall'));
console.log(row(`read ${mib} MiB, CPU`, 'read', 'cpu'));
console.log(row(`write ${mib} MiB (dd bs=1M + sync), wall`, 'write', 'wall'));
console.log(row(`write ${mib} MiB, CPU`, 'write', 'cpu'));
console.log(row(`${FILES} files created, ls -l, rm -r, wall`, 'files', 'wall'));
console.log(row(`${FILES} files, CPU`, 'files', 'cpu'));
console.log(`read: ours ${rate(o?.read)}, QEMU ${rate(q?.read)}; write: ours ${rate(o?.write)}, QEMU ${rate(q?.write)}`);
