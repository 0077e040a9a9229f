// Slirp through the emulator: colinux-daemon boots the bundled guest from a private copy of its
// ext2 root with a large file added under /www, eth0=slirp redirects a host port to the guest's
// busybox httpd, and the host downloads the file (guest->host through virtio-net, the manager
// and the slirp daemon). Measures what a user sees; the emulated CPU is expected to be the limit.
// The same guest image also boots on Debian's QEMU with its user networking (libslirp), side by
// side in the same run. Usage: node bench/slirp-guest.ts [megabytes=16]   (COLINUX_TRANSPORT=net|node-ipc picks the
// manager transport)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';

const MB = Number(process.argv[2] ?? 16);
const ROOT = new URL('../', import.meta.url).pathname;
const DAEMON = path.join(ROOT, 'packages/daemon/bin/colinux-daemon.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slirp-guest-bench-'));
const rt = path.join(tmp, 'rt');
fs.mkdirSync(rt, { mode: 0o700 });
const env = { ...process.env, COLINUX_RUNTIME_DIR: rt };
const image = path.join(tmp, 'root.ext2');
fs.writeFileSync(image, zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'guest/images/root.ext2.gz'))));
const blob = path.join(tmp, 'big.bin');
fs.writeFileSync(blob, crypto.randomBytes(MB * 1024 * 1024));
const want = crypto.createHash('sha256').update(fs.readFileSync(blob)).digest('hex');
execFileSync('resize2fs', [image, `${64 + MB * 2}M`], { stdio: 'ignore' });
execFileSync('debugfs', ['-w', '-R', `write ${blob} /www/big.bin`, image], { stdio: 'ignore' });

async function freePort(): Promise<number> {
  return new Promise<number>((r) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
}

function fetch(port: number, p: string): Promise<{ bytes: number; sha: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: '127.0.0.1', port, path: p, timeout: 5000 }, (res) => {
        const h = crypto.createHash('sha256');
        let n = 0;
        res.on('data', (c: Buffer) => {
          h.update(c);
          n += c.length;
        });
        res.on('end', () => resolve({ bytes: n, sha: h.digest('hex'), ms: performance.now() - t0 }));
        res.on('error', reject);
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

interface Peer {
  port: number;
  exitCode: () => number | null;
  log: () => string;
  stop: () => Promise<void>;
}

/** Ours: colinux-daemon with eth0=slirp redirecting a host port to the guest's httpd. */
async function bootOurs(disk: string): Promise<Peer> {
  const port = await freePort();
  const d = spawn(
    process.execPath,
    [
      DAEMON,
      '-d',
      '-k',
      `kernel=${ROOT}guest/images/vmlinux`,
      `initrd=${ROOT}guest/images/initramfs.cpio.gz`,
      'mem=64',
      `cobd0=${disk}`,
      'root=/dev/cobd0',
      `eth0=slirp,,tcp:${port}:80`,
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  d.stderr.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const exited = new Promise((r) => d.once('exit', r));
  return {
    port,
    exitCode: () => d.exitCode,
    log: () => log,
    stop: async () => {
      if (d.exitCode === null) d.kill('SIGTERM');
      await exited;
      const stop = spawn(process.execPath, [DAEMON, '--remove-driver'], { env, stdio: 'ignore' });
      await new Promise((r) => stop.once('exit', r));
    },
  };
}

/** The peer: Debian's QEMU with its own user networking (libslirp) and the same kernel, initrd
 *  and root image, hostfwd to the guest's httpd. */
async function bootQemu(disk: string): Promise<Peer> {
  const port = await freePort();
  const kernel = path.join(tmp, 'Image');
  fs.writeFileSync(kernel, zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'guest/images/Image.gz'))));
  const q = spawn(
    'qemu-system-riscv64',
    [
      '-M',
      'virt',
      '-bios',
      'default',
      '-smp',
      '1',
      '-m',
      '64M',
      '-kernel',
      kernel,
      '-initrd',
      path.join(ROOT, 'guest/images/initramfs.cpio.gz'),
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'null',
      '-drive',
      `file=${disk},format=raw,if=none,id=d0`,
      '-device',
      'virtio-blk-device,drive=d0,serial=cobd0',
      '-netdev',
      `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:80`,
      '-device',
      'virtio-net-device,netdev=n0',
      '-append',
      'root=/dev/cobd0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  q.stderr.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const exited = new Promise((r) => q.once('exit', r));
  return {
    port,
    exitCode: () => q.exitCode,
    log: () => log,
    stop: async () => {
      if (q.exitCode === null) q.kill('SIGKILL');
      await exited;
    },
  };
}

async function measure(name: string, boot: (disk: string) => Promise<Peer>): Promise<string> {
  const disk = path.join(tmp, `${name}.ext2`);
  fs.copyFileSync(image, disk);
  const peer = await boot(disk);
  try {
    const end = Date.now() + 240_000;
    for (;;) {
      try {
        await fetch(peer.port, '/');
        break;
      } catch {
        if (Date.now() > end || peer.exitCode() !== null) throw new Error(`${name}: guest httpd never answered:\n${peer.log().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const r = await fetch(peer.port, '/big.bin');
    if (r.sha !== want) throw new Error(`${name}: sha256 mismatch after ${r.bytes} bytes`);
    const rtts: number[] = [];
    for (let i = 0; i < 20; i++) rtts.push((await fetch(peer.port, '/')).ms);
    rtts.sort((a, b) => a - b);
    return `| ${name} | ${((r.bytes * 8) / r.ms / 1000).toFixed(1)} | ok | ${rtts[10]!.toFixed(1)} |`;
  } finally {
    await peer.stop();
  }
}

try {
  const rows = [await measure('ours (colinux-slirp-net-daemon)', bootOurs)];
  if (process.env.BENCH_ONLY !== 'ours') rows.push(await measure('QEMU 7.2 user net (libslirp)', bootQemu));
  process.stdout.write(`slirp through the emulated guest: ${MB} MiB from the guest's busybox httpd to the host\n`);
  process.stdout.write(`| peer | guest->host Mbit/s | sha256 | HTTP GET / median ms (new TCP connection each) |\n|---|---|---|---|\n`);
  process.stdout.write(rows.join('\n') + '\n');
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
