// Console keystroke latency: the time from a key sent to the guest's hvc0 until the guest's tty
// echoes it back, as a user at colinux-console-nt feels it. Ours: colinux-daemon -d boots the
// bundled guest and this script attaches to its CONSOLE module through the manager protocol
// (what the console helper does); QEMU: the same kernel and initramfs with a virtio console on
// stdio, in the same run. Median and 95th percentile of single keystrokes, typed one after the
// other into the guest shell's command line (erased with ^U between rounds).
//   node_modules/.bin/node bench/console-latency.ts [keys=200]
// Only processes this script started are signalled, by pid; its temp dir is removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ManagerClient } from '@colinux/client';
import { Module } from '@colinux/protocol';
import { qemuConsoleArgs } from './guest-process.ts';

const KEYS = Number(process.argv[2] ?? 200);
const ROOT = join(import.meta.dirname, '..');
const READY = 'colinux-guest: ready';
const work = mkdtempSync(join(tmpdir(), 'colinux-console-latency-'));
const started: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** A byte stream to and from the guest's console: `send` a key, `output` so far. */
interface ConsoleLink {
  send(data: string): void;
  output(): string;
}

async function until(what: string, ms: number, fn: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Fast polling for the echo: resolution well below a millisecond. */
async function untilFast(fn: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for an echo');
    await new Promise((r) => setImmediate(r));
  }
}

async function ours(): Promise<number[]> {
  const rt = join(work, 'rt');
  mkdirSync(rt, { mode: 0o700 });
  const env = { ...process.env, COLINUX_RUNTIME_DIR: rt };
  const idFile = join(rt, 'daemon.id');
  const d = spawn(
    join(ROOT, 'node_modules/.bin/colinux-daemon'),
    ['-d', '-k', '-p', idFile, `kernel=${join(ROOT, 'guest/images/vmlinux')}`, `initrd=${join(ROOT, 'guest/images/initramfs.cpio.gz')}`, 'mem=64'],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  started.push(d);
  let id = 0;
  await until('the monitor id', 60_000, () => {
    try {
      id = Number(readFileSync(idFile, 'utf8').trim());
    } catch {
      return false;
    }
    return id > 0;
  });
  const c = await ManagerClient.connect({ env });
  await c.attach(id, [Module.CONSOLE]);
  let out = '';
  c.on('message', (m: { data: Uint8Array }) => (out += Buffer.from(m.data).toString('latin1')));
  const link: ConsoleLink = { send: (s) => c.send(Module.CONSOLE, Buffer.from(s, 'latin1')), output: () => out };
  await until('the ready line', 120_000, () => readFileSync(join(rt, `monitor-${id}.console.log`), 'latin1').includes(READY));
  const times = await measure(link);
  await c.close();
  d.kill('SIGTERM');
  await new Promise((r) => d.once('exit', r));
  return times;
}

async function qemu(): Promise<number[]> {
  const kernel = join(work, 'Image');
  writeFileSync(kernel, gunzipSync(readFileSync(join(ROOT, 'guest/images/Image.gz'))));
  const q = spawn('qemu-system-riscv64', [...qemuConsoleArgs(kernel, join(ROOT, 'guest/images/initramfs.cpio.gz'), 64), '-append', 'console=hvc0'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  started.push(q);
  q.on('error', (err) => {
    console.error(`qemu-system-riscv64: ${err.message} (Debian package qemu-system-misc)`);
    process.exit(1);
  });
  let out = '';
  q.stdout!.on('data', (b: Buffer) => (out += b.toString('latin1')));
  await until("QEMU's ready line", 120_000, () => out.includes(READY));
  const times = await measure({ send: (s) => q.stdin!.write(s), output: () => out });
  q.kill('SIGKILL');
  return times;
}

/** Keystroke round trips: each key (a letter cycling a..z) waits for its echo, polled every
 *  event-loop turn so the resolution is well below a millisecond. */
async function measure(link: ConsoleLink): Promise<number[]> {
  link.send('echo up-$((6*7))\n');
  await until('the guest shell', 120_000, () => link.output().includes('up-42'));
  await sleep(500);
  const times: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    if (i % 40 === 0) {
      link.send('\x15'); // ^U: erase the line typed so far
      await sleep(100);
    }
    const key = String.fromCharCode(97 + (i % 26));
    const from = link.output().length;
    const t0 = performance.now();
    link.send(key);
    await untilFast(() => link.output().indexOf(key, from) >= 0, 10_000);
    times.push(performance.now() - t0);
  }
  link.send('\x15');
  return times;
}

const row = (label: string, xs: number[]) =>
  console.log(`| ${label} | ${percentile(xs, 0.5).toFixed(2)} ms | ${percentile(xs, 0.95).toFixed(2)} ms | ${xs.length} |`);
const a = await ours();
const b = await qemu();
console.log(
  `\n### Console keystroke echo (${new Date().toISOString().slice(0, 16)} UTC, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`,
);
console.log('| peer | median | 95th percentile | keys |\n|---|---|---|---|');
row('ours (manager protocol, CONSOLE module)', a);
row('QEMU virtio console on stdio', b);
process.exit(0);
