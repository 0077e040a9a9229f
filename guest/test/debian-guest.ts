// Shared by the Debian tests (ours and QEMU): the image from guest/debian/build (built once, then
// reused from the cache while its key is unchanged), a private copy to boot, a local apt repository
// served on the host, and the checks run over ssh. Guest/README.md "Debian" describes the image.
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { basename, join, normalize } from 'node:path';
import type { Test } from 'tap';
import { requireTool } from '../../test/tools.ts';

export const REPO = join(import.meta.dirname, '..', '..');
const RECIPE = join(REPO, 'guest', 'debian', 'build');
/** The first build downloads ~150 .debs and installs them under qemu-user: 10-25 minutes here. */
export const BUILD_MS = 45 * 60_000;
/** Boot to `running` on a shared 2-core host: generous, the figures are in bench/RESULTS.md. */
export const BOOT_MS = 15 * 60_000;
export const CMD_MS = 5 * 60_000;

export interface DebianImage {
  dir: string;
  image: string;
  kernel: string;
  initrd: string;
  conf: string;
  sshKey: string;
  debs: string;
}

/** The programs the Debian tests start (the recipe's own are checked by the recipe, naming their packages). */
export function requireDebianTools(): void {
  // the recipe's
  requireTool('mmdebstrap');
  requireTool('qemu-riscv64-static');
  requireTool('update-binfmts');
  requireTool('arch-test');
  requireTool('mke2fs');
  requireTool('ssh-keygen');
  // the tests'
  requireTool('cp');
  requireTool('apt-ftparchive');
  requireTool('ssh');
}

/** Runs the recipe (a no-op when the cached image has the current key) and reads its MANIFEST. */
export async function debianImage(log: (line: string) => void): Promise<DebianImage> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn(RECIPE, [], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
      for (const l of b.toString().split('\n')) if (l.startsWith('==>') || l.startsWith('guest/debian/build')) log(l);
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`guest/debian/build exited ${code}:\n${tail}`))));
  });
  const out = execFileSync(RECIPE, ['--print-out'], { encoding: 'utf8' }).trim();
  const manifest = readFileSync(join(out, 'MANIFEST'), 'utf8');
  const field = (k: string) => {
    const m = new RegExp(`^${k} (.+)$`, 'm').exec(manifest);
    if (!m) throw new Error(`${out}/MANIFEST has no '${k}' line`);
    return m[1]!;
  };
  return {
    dir: out,
    image: join(out, 'debian.img'),
    kernel: join(out, 'vmlinux'),
    initrd: join(out, 'initrd.img'),
    conf: join(out, 'debian.conf'),
    sshKey: field('ssh-key'),
    debs: field('debs'),
  };
}

/**
 * Debian's qemu-system-riscv64 -M virt command line for the image (the independent peer of the
 * test and the bench): 512 MiB, one hart, the console on ttyS0 (stdio), the disk copy on
 * virtio-blk, user networking with ssh forwarded from the host's loopback `sshPort`.
 * systemd.default_device_timeout_sec as in debian.conf: on a loaded host udev's coldplug takes
 * longer than systemd's 90 s, and the ttyS0 getty's device job then fails (no login prompt).
 */
export function qemuArgs(img: DebianImage, disk: string, sshPort: number): string[] {
  return [
    ['-M', 'virt', '-bios', 'default', '-smp', '1', '-m', '512M'],
    ['-display', 'none', '-monitor', 'none', '-serial', 'stdio'],
    ['-kernel', img.kernel, '-initrd', img.initrd],
    ['-drive', `file=${disk},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0'],
    ['-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`, '-device', 'virtio-net-device,netdev=n0'],
    ['-append', 'root=LABEL=debian-root rw console=ttyS0 net.ifnames=0 systemd.default_device_timeout_sec=600'],
  ].flat();
}

/** A private copy of the image (sparse): a boot writes to it (machine id, host keys, journal). */
export function bootCopy(img: DebianImage, dir: string): string {
  const copy = join(dir, 'debian.img');
  execFileSync('cp', ['--sparse=always', img.image, copy]);
  return copy;
}

export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export const TEST_PACKAGE = 'hello';

/**
 * An unsigned flat apt repository (apt-ftparchive) with the test package's cached .deb, served over
 * HTTP on the host's loopback; the guest reaches it at 10.0.2.2 (slirp and QEMU's user network).
 */
export async function serveRepository(img: DebianImage, dir: string): Promise<{ port: number; server: Server }> {
  const deb = readdirSync(img.debs).find((f) => f.startsWith(`${TEST_PACKAGE}_`) && f.endsWith('.deb'));
  if (!deb) throw new Error(`no ${TEST_PACKAGE}_*.deb in ${img.debs}: rerun guest/debian/build --force`);
  return serveDebs(dir, [join(img.debs, deb)]);
}

/** The same repository for any .debs (paths): the bench adds the compressors it times. */
export async function serveDebs(dir: string, debs: string[]): Promise<{ port: number; server: Server }> {
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  for (const deb of debs) symlinkSync(deb, join(repo, basename(deb)));
  writeFileSync(join(repo, 'Packages'), execFileSync('apt-ftparchive', ['packages', '.'], { cwd: repo }));
  writeFileSync(join(repo, 'Release'), execFileSync('apt-ftparchive', ['release', '.'], { cwd: repo }));
  const server = createServer((req, res) => {
    const path = normalize(join(repo, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
    if (!path.startsWith(repo) || !existsSync(path) || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200);
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

/** The ssh command line that runs `command` as root in the guest (key login, no host key kept). */
export function sshArgs(img: DebianImage, port: number, command: string): string[] {
  return [
    '-i',
    img.sshKey,
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=20',
    '-o',
    'ServerAliveInterval=30',
    'root@127.0.0.1',
    command,
  ];
}

export function ssh(img: DebianImage, port: number, command: string, timeoutMs = CMD_MS): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('ssh', sshArgs(img, port, command), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Polls until ssh logs in (sshd is up and the host key exists). */
export async function waitForSsh(img: DebianImage, port: number, timeoutMs = BOOT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await ssh(img, port, 'true', 60_000);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`no ssh login within ${timeoutMs / 1000} s: ${r.out.trim()}`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

/** The checks both machines must pass, run over ssh; `t` is a tap test. */
export async function guestChecks(t: Test, img: DebianImage, sshPort: number, repoPort: number): Promise<void> {
  const running = await ssh(img, sshPort, 'systemctl is-system-running --wait', BOOT_MS);
  t.equal(running.out.trim(), 'running', 'systemctl is-system-running says running');
  const failed = await ssh(img, sshPort, 'systemctl list-units --failed --plain --no-legend');
  t.equal(failed.out.trim(), '', 'no failed unit');
  const uname = await ssh(img, sshPort, 'uname -a');
  t.match(uname.out, /^Linux debian .* riscv64 GNU\/Linux$/m, 'uname -a over ssh');
  const list = `deb [trusted=yes] http://10.0.2.2:${repoPort}/ ./`;
  const apt = await ssh(
    img,
    sshPort,
    [
      'set -e',
      'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*',
      `echo '${list}' >/etc/apt/sources.list.d/colinux-test.list`,
      'apt-get update -q',
      `DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${TEST_PACKAGE}`,
      TEST_PACKAGE,
    ].join('; '),
    CMD_MS * 2,
  );
  t.equal(apt.code, 0, `apt-get update + install ${TEST_PACKAGE} from the host's repository`);
  t.match(apt.out, /Hello, world!/, `${TEST_PACKAGE} runs`);
}
