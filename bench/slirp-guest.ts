// Slirp through the emulator: colinux-daemon boots the bundled guest from a private copy of its
// ext2 root with a large file added under /www, eth0=slirp redirects a host port to the guest's
// busybox httpd, and the host downloads the file (guest->host through virtio-net, the manager
// and the slirp daemon). Measures what a user sees; the emulated CPU is expected to be the limit.
// Usage: node bench/slirp-guest.ts [megabytes=16]   (COLINUX_TRANSPORT=net|node-ipc picks the
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

const port = await new Promise<number>((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
const d = spawn(process.execPath, [DAEMON, '-d', '-k', `kernel=${ROOT}guest/images/vmlinux`, `initrd=${ROOT}guest/images/initramfs.cpio.gz`,
  'mem=64', `cobd0=${image}`, 'root=/dev/cobd0', `eth0=slirp,,tcp:${port}:80`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
let log = '';
d.stderr.on('data', (b: Buffer) => { log += b.toString(); });
const exited = new Promise((r) => d.once('exit', r));

function fetch(p: string): Promise<{ bytes: number; sha: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http.get({ host: '127.0.0.1', port, path: p, timeout: 5000 }, (res) => {
      const h = crypto.createHash('sha256'); let n = 0;
      res.on('data', (c: Buffer) => { h.update(c); n += c.length; });
      res.on('end', () => resolve({ bytes: n, sha: h.digest('hex'), ms: performance.now() - t0 }));
      res.on('error', reject);
    }).on('error', reject).on('timeout', function (this: http.ClientRequest) { this.destroy(new Error('timeout')); });
  });
}

try {
  const end = Date.now() + 240_000;
  for (;;) {
    try { await fetch('/'); break; } catch { if (Date.now() > end || d.exitCode !== null) throw new Error(`guest httpd never answered:\n${log.slice(-2000)}`); await new Promise((r) => setTimeout(r, 1000)); }
  }
  const r = await fetch('/big.bin').catch((e: Error) => { throw new Error(`${e.message}\n${log.split('\n').filter((l) => l.includes('slirp')).slice(-10).join('\n')}`); });
  if (r.sha !== want) throw new Error(`sha256 mismatch after ${r.bytes} bytes`);
  const rtts: number[] = [];
  for (let i = 0; i < 20; i++) rtts.push((await fetch('/')).ms);
  rtts.sort((a, b) => a - b);
  process.stdout.write(`slirp through the emulator: ${MB} MiB from the guest's busybox httpd to the host\n`);
  process.stdout.write(`| guest->host Mbit/s | sha256 | HTTP GET / median ms (new TCP connection each) |\n|---|---|---|\n`);
  process.stdout.write(`| ${(r.bytes * 8 / r.ms / 1000).toFixed(1)} | ok | ${rtts[10].toFixed(1)} |\n`);
} catch (e) {
  const mlog = path.join(rt, 'manager.log');
  if (fs.existsSync(mlog)) process.stderr.write(`manager.log tail:\n${fs.readFileSync(mlog, 'utf8').split('\n').slice(-15).join('\n')}\n`);
  throw e;
} finally {
  if (d.exitCode === null) d.kill('SIGTERM');
  await exited;
  const stop = spawn(process.execPath, [DAEMON, '--remove-driver'], { env, stdio: 'ignore' });
  await new Promise((r) => stop.once('exit', r));
  fs.rmSync(tmp, { recursive: true, force: true });
}
