// Suspend and resume of a 256 MiB guest (docs/suspend.md), ours beside QEMU's migration to a
// file: the bundled kernel and initramfs, 32 MiB of random bytes and 55 MB of text (seq) put into the
// guest's tmpfs first so there is memory to save. Ours: colinux-daemon, `colinux-ctl suspend`, and
// `colinux-ctl resume` into another runtime dir whose manager already runs; resumed = the serial
// shell answers. QEMU: `migrate "exec:cat > file"` on its monitor until completed, then a new QEMU
// with `-incoming "exec:cat file"` until its console answers. Then the codecs on our RAM image.
//   node_modules/.bin/node bench/suspend.ts        (BENCH_MEM_MIB=256 by default)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { GuestProcess, READY_LINE } from './guest-process.ts';
import { readBundle, bundleState } from '../packages/monitor-core/src/bundle/bundle.ts';
import { PAGE_BYTES, decodeRam } from '../packages/monitor-core/src/bundle/ram.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const memMiB = Number(process.env.BENCH_MEM_MIB ?? 256);
const kernel = path.join(REPO, 'guest/images/vmlinux');
const initrd = path.join(REPO, 'guest/images/initramfs.cpio.gz');
const DAEMON = path.join(REPO, 'packages/daemon/bin/colinux-daemon.js');
const CTL = path.join(REPO, 'packages/ctl/bin/colinux-ctl.js');
const MANAGER = path.join(REPO, 'packages/monitor-core/bin/colinux-monitor-core.js');
const FILL = 'dd if=/dev/urandom of=/tmp/random bs=1M count=32 2>/dev/null; seq 1 7000000 > /tmp/text; sync';
/** Guest memory in use: MemTotal - MemFree (tmpfs and page cache included: they are what is saved). */
const USED = 'awk \'/^MemTotal/ { t = $2 } /^MemFree/ { f = $2 } END { print "used-kib=" t - f }\' /proc/meminfo';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-bench-suspend-'));
/** QEMU boots the raw Image (the ELF's load address would overlap its firmware). */
const qemuKernel = path.join(work, 'Image');
fs.writeFileSync(qemuKernel, zlib.gunzipSync(fs.readFileSync(path.join(REPO, 'guest/images/Image.gz'))));

const cpuOf = (pid: number): number => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (proc(5))
};

/** CPU seconds of every process of a runtime dir (the manager, the monitor process, the daemon,
 *  its helpers: they all have COLINUX_RUNTIME_DIR=<dir>), sampled every 10 ms so that one that
 *  exits (the suspended VM's) counts with its last reading. */
function runtimeCpu(dir: string) {
  const needle = `COLINUX_RUNTIME_DIR=${dir}\0`;
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = () => {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        if (!`${fs.readFileSync(`/proc/${name}/environ`, 'latin1')}\0`.includes(needle)) continue;
        const cpu = cpuOf(Number(name));
        if (!first.has(Number(name))) first.set(Number(name), started ? 0 : cpu);
        last.set(Number(name), cpu);
      } catch {
        // gone meanwhile
      }
    }
  };
  let started = false;
  sample();
  started = true;
  const timer = setInterval(sample, 10);
  return {
    /** CPU seconds since the call, of processes alive then or started since. */
    stop(): number {
      clearInterval(timer);
      sample();
      let sum = 0;
      for (const [pid, cpu] of last) sum += cpu - (first.get(pid) ?? 0);
      return sum;
    },
  };
}

function ctlAsync(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CTL, '--json', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    c.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Record<string, number | string>) : reject(new Error(`colinux-ctl ${args.join(' ')}: exit ${code}`)),
    );
  });
}
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** A shell on the guest's ttyS0 through a Unix socket the serial helper connects to. */
function serialShell(file: string) {
  let text = '';
  let n = 0;
  let socket: net.Socket | undefined;
  const server = net.createServer((s) => {
    socket = s;
    s.on('data', (b) => {
      text += b.toString('latin1');
    });
  });
  server.listen(file);
  const wait = async (ok: () => boolean, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out: ${what}; serial: ${text.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    close: () => {
      socket?.destroy();
      server.close();
    },
    async run(cmd: string, ms = 600_000): Promise<string> {
      await wait(() => socket !== undefined, ms, 'the serial helper');
      const mark = `<<${++n}>>`;
      const from = text.length;
      socket!.write(`${cmd}; echo "<<$((${n}*1))>>"\n`);
      await wait(() => text.indexOf(mark, from) >= 0, ms, cmd);
      return text.slice(from, text.indexOf(mark, from));
    },
    async ready(ms: number): Promise<void> {
      await wait(() => socket !== undefined, ms, 'the serial helper');
      const end = Date.now() + ms;
      while (!text.includes('up-42')) {
        if (Date.now() > end) throw new Error('no shell on ttyS0');
        socket!.write('echo up-$((6*7))\n');
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
  };
}

function ctl(env: NodeJS.ProcessEnv, ...args: string[]): Record<string, number | string> {
  return JSON.parse(execFileSync(process.execPath, [CTL, '--json', ...args], { env, encoding: 'utf8' })) as Record<string, number | string>;
}

function usedKiB(out: string): number {
  return Number(/used-kib=(\d+)/.exec(out)?.[1] ?? NaN);
}

async function ours() {
  const env1 = { ...process.env, COLINUX_RUNTIME_DIR: path.join(work, 'run1'), COLINUX_LOG_LEVEL: 'warn' };
  const env2 = { ...process.env, COLINUX_RUNTIME_DIR: path.join(work, 'run2'), COLINUX_LOG_LEVEL: 'warn' };
  const s1 = serialShell(path.join(work, 's1.sock'));
  const daemon = spawn(process.execPath, [DAEMON, '-d', '-k', `kernel=${kernel}`, `initrd=${initrd}`, `mem=${memMiB}`, `ttys0=${path.join(work, 's1.sock')}`], {
    env: env1,
    stdio: 'ignore',
  });
  await s1.ready(300_000);
  await s1.run(FILL);
  const used = usedKiB(await s1.run(USED));
  const bundle = path.join(work, 'vm.bundle');
  const cpu1 = runtimeCpu(env1.COLINUX_RUNTIME_DIR);
  const t0 = process.hrtime.bigint();
  const s = await ctlAsync(env1, 'suspend', String(daemon.pid), bundle);
  const suspendWall = seconds(t0);
  await new Promise((r) => setTimeout(r, 1000)); // the daemon and the monitor process end
  const suspendCpu = cpu1.stop();
  s1.close();
  execFileSync(process.execPath, [DAEMON, '--remove-driver'], { env: env1 });
  // The second manager is started first: a resume on a host where none runs also pays its start.
  execFileSync(process.execPath, [MANAGER, '--install-driver'], { env: env2 });
  const s2 = serialShell(path.join(work, 's2.sock'));
  const cpu2 = runtimeCpu(env2.COLINUX_RUNTIME_DIR);
  const t1 = process.hrtime.bigint();
  const r = await ctlAsync(env2, 'resume', bundle, `ttys0=${path.join(work, 's2.sock')}`);
  await s2.run('true');
  const resumeWall = seconds(t1);
  const resumeCpu = cpu2.stop();
  const check = await s2.run('md5sum /tmp/text | cut -c1-8');
  ctl(env2, 'poweroff', String(r.id));
  s2.close();
  await new Promise((res) => setTimeout(res, 4000));
  execFileSync(process.execPath, [DAEMON, '--remove-driver'], { env: env2 });
  return {
    used,
    bundle,
    bytes: Number(s.bytes),
    managerMs: Number(s.ms),
    resumeMs: Number(r.ms),
    suspendWall,
    suspendCpu,
    resumeWall,
    resumeCpu,
    check: check.trim().split('\n').pop(),
  };
}

function hmp(sock: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let out = '';
    c.on('data', (b) => {
      out += b.toString();
      if (out.split('(qemu)').length >= 3) {
        c.end();
        resolve(out);
      }
    });
    c.on('error', reject);
    c.write(`${command}\n`);
  });
}

async function qemu() {
  const args = (monitor: string) => [
    '-M',
    'virt',
    '-bios',
    'default',
    '-smp',
    '1',
    '-m',
    `${memMiB}M`,
    '-kernel',
    qemuKernel,
    '-initrd',
    initrd,
    '-display',
    'none',
    '-monitor',
    `unix:${monitor},server,nowait`,
    '-serial',
    'null',
    '-device',
    'virtio-serial-device',
    '-chardev',
    'stdio,id=con0,signal=off',
    '-device',
    'virtconsole,chardev=con0',
    '-append',
    'console=hvc0',
  ];
  const m1 = path.join(work, 'q1.mon');
  const g = new GuestProcess('qemu-system-riscv64', args(m1));
  await g.waitFor(READY_LINE, 300_000);
  await g.run(FILL, 600_000);
  const used = usedKiB((await g.run(USED, 60_000)).output);
  const state = path.join(work, 'qemu.state');
  const cpu0 = g.cpuSeconds();
  const t0 = process.hrtime.bigint();
  await hmp(m1, `migrate "exec:cat > ${state}"`);
  while (!/Migration status: completed/.test(await hmp(m1, 'info migrate'))) await new Promise((r) => setTimeout(r, 20));
  const suspendWall = seconds(t0);
  const suspendCpu = g.cpuSeconds() - cpu0;
  g.kill();
  const t1 = process.hrtime.bigint();
  const h = new GuestProcess('qemu-system-riscv64', [...args(path.join(work, 'q2.mon')), '-incoming', `exec:cat ${state}`]);
  await h.run('true', 120_000);
  const resumeWall = seconds(t1);
  const resumeCpu = h.cpuSeconds();
  const check = (await h.run('md5sum /tmp/text | cut -c1-8', 120_000)).output;
  h.kill();
  return { used, bytes: fs.statSync(state).size, suspendWall, suspendCpu, resumeWall, resumeCpu, check: check.trim().split('\n').pop() };
}

/** Our RAM image compressed as bundle/ram.ts does (1 MiB chunks of non-zero pages) with each codec. */
function codecs(bundle: string) {
  const ram = new Uint8Array(memMiB * 1024 * 1024);
  decodeRam(bundleState(readBundle(bundle)).ram, ram, bundle);
  const buf = Buffer.from(ram.buffer);
  const zero = Buffer.alloc(PAGE_BYTES);
  const chunks: Buffer[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length) chunks.push(buf.subarray(run[0]! * PAGE_BYTES, (run[run.length - 1]! + 1) * PAGE_BYTES));
    run = [];
  };
  for (let p = 0; p < ram.length / PAGE_BYTES; p++) {
    const isZero = buf.compare(zero, 0, PAGE_BYTES, p * PAGE_BYTES, (p + 1) * PAGE_BYTES) === 0;
    if (isZero || run.length === 256 || (run.length && run[run.length - 1] !== p - 1)) flush();
    if (!isZero) run.push(p);
  }
  flush();
  const raw = chunks.reduce((n, c) => n + c.length, 0);
  const z = zlib.constants;
  const kinds: Array<[string, (b: Buffer) => Buffer, (b: Buffer, n: number) => Buffer]> = [
    ['deflate 1', (b) => zlib.deflateRawSync(b, { level: 1 }), (b) => zlib.inflateRawSync(b)],
    ['deflate 6', (b) => zlib.deflateRawSync(b, { level: 6 }), (b) => zlib.inflateRawSync(b)],
    ['brotli 1', (b) => zlib.brotliCompressSync(b, { params: { [z.BROTLI_PARAM_QUALITY]: 1 } }), (b) => zlib.brotliDecompressSync(b)],
    ['brotli 5', (b) => zlib.brotliCompressSync(b, { params: { [z.BROTLI_PARAM_QUALITY]: 5 } }), (b) => zlib.brotliDecompressSync(b)],
    ['zstd 1', (b) => zlib.zstdCompressSync(b, { params: { [z.ZSTD_c_compressionLevel]: 1 } }), (b) => zlib.zstdDecompressSync(b)],
    ['zstd 3', (b) => zlib.zstdCompressSync(b, { params: { [z.ZSTD_c_compressionLevel]: 3 } }), (b) => zlib.zstdDecompressSync(b)],
  ];
  return {
    raw,
    rows: kinds.map(([name, pack, unpack]) => {
      const t0 = process.hrtime.bigint();
      const packed = chunks.map(pack);
      const packS = seconds(t0);
      const t1 = process.hrtime.bigint();
      for (const p of packed) unpack(p, 0);
      return { name, bytes: packed.reduce((n, p) => n + p.length, 0), packS, unpackS: seconds(t1) };
    }),
  };
}

try {
  const o = await ours();
  console.log(JSON.stringify({ peer: 'ours', ...o }));
  const q = await qemu();
  console.log(JSON.stringify({ peer: 'qemu', ...q }));
  const c = codecs(o.bundle);
  console.log(JSON.stringify({ codecs: c }));
  const MiB = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  console.log(`\n| ${memMiB} MiB guest | ours | QEMU | ratio |\n|---|---|---|---|`);
  console.log(`| used memory in the guest (free) | ${MiB(o.used * 1024)} | ${MiB(q.used * 1024)} | |`);
  console.log(
    `| suspend, wall (colinux-ctl; QEMU migrate until completed) | ${o.suspendWall.toFixed(2)} s | ${q.suspendWall.toFixed(2)} s | ${(o.suspendWall / q.suspendWall).toFixed(2)} |`,
  );
  console.log(
    `| suspend, CPU (every process of the runtime dir: manager, monitor, daemon, colinux-ctl; QEMU process) | ${o.suspendCpu.toFixed(2)} s | ${q.suspendCpu.toFixed(2)} s | ${(o.suspendCpu / q.suspendCpu).toFixed(2)} |`,
  );
  console.log(`| file | ${MiB(o.bytes)} | ${MiB(q.bytes)} | ${(o.bytes / q.bytes).toFixed(2)} |`);
  console.log(
    `| resume to an answering console, wall | ${o.resumeWall.toFixed(2)} s | ${q.resumeWall.toFixed(2)} s | ${(o.resumeWall / q.resumeWall).toFixed(2)} |`,
  );
  console.log(
    `| resume, CPU (every process of the runtime dir: manager, monitor, daemon, serial helper, colinux-ctl; QEMU process) | ${o.resumeCpu.toFixed(2)} s | ${q.resumeCpu.toFixed(2)} s | ${(o.resumeCpu / q.resumeCpu).toFixed(2)} |`,
  );
  console.log(`| md5 of the text after resume | ${o.check} | ${q.check} | |`);
  console.log(
    `\nmanager: suspend ${o.managerMs} ms, resume ${o.resumeMs} ms. RAM codecs on our image (${MiB(c.raw)} of non-zero pages):\n| codec | size | compress | decompress |\n|---|---|---|---|`,
  );
  for (const r of c.rows) console.log(`| ${r.name} | ${MiB(r.bytes)} | ${r.packS.toFixed(2)} s | ${r.unpackS.toFixed(2)} s |`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
