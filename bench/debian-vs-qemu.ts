// Benchmark: Debian trixie (guest/debian/build) with Debian's kernel and initramfs on our machine
// (`colinux-daemon @debian.conf -d`) and, in the same run, on Debian's qemu-system-riscv64 -M virt:
// boot to the console's login prompt, then `apt-get update` and `apt-get install -y hello` against
// a repository served on the host. Wall seconds and the emulator process's CPU seconds (ours: the
// manager process, whose worker thread runs the machine). Prints JSON lines and a Markdown table.
// Run: node_modules/.bin/node bench/debian-vs-qemu.ts   (BENCH_ONLY=ours|qemu for one side)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_MS, CMD_MS, bootCopy, debianImage, freePort, serveRepository, ssh, waitForSsh, TEST_PACKAGE, type DebianImage } from '../guest/test/debian-guest.ts';

const root = join(import.meta.dirname, '..');
const DAEMON = join(root, 'packages', 'daemon', 'bin', 'colinux-daemon.js');
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts in 1/100 s on Linux

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime (fields 14, 15)
}

async function until<T>(fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Peer { emulatorPid(): number; console(): string; stop(): void }

function startOurs(img: DebianImage, disk: string, sshPort: number, dir: string): Peer {
  const runtimeDir = join(dir, 'run');
  const env = { ...process.env, COLINUX_RUNTIME_DIR: runtimeDir };
  const d = spawn(process.execPath, [DAEMON, '-d', `@${img.conf}`, `cobd0=${disk}`, `eth0=slirp,,tcp:${sshPort}:22`], { env, stdio: 'ignore' });
  const manager = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('colinux-monitor-core')
        && readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`COLINUX_RUNTIME_DIR=${runtimeDir}`);
    } catch {
      return false;
    }
  });
  return {
    emulatorPid: () => manager() ?? -1,
    console: () => {
      const log = join(runtimeDir, `monitor-${d.pid}.console.log`);
      return existsSync(log) ? readFileSync(log, 'latin1') : '';
    },
    stop: () => {
      d.kill('SIGTERM');
      const m = manager();
      if (m) setTimeout(() => process.kill(m, 'SIGTERM'), 5000).unref();
    },
  };
}

function startQemu(img: DebianImage, disk: string, sshPort: number): Peer {
  const q = spawn('qemu-system-riscv64', [
    '-M', 'virt', '-bios', 'default', '-smp', '1', '-m', '512M', '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
    '-kernel', img.kernel, '-initrd', img.initrd,
    '-drive', `file=${disk},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0',
    '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`, '-device', 'virtio-net-device,netdev=n0',
    '-append', 'root=LABEL=debian-root rw console=ttyS0 net.ifnames=0',
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  q.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  return { emulatorPid: () => q.pid!, console: () => out, stop: () => q.kill('SIGTERM') };
}

interface Result { login: number; loginCpu: number; update: number; updateCpu: number; install: number; installCpu: number }

async function measure(name: 'ours' | 'qemu', img: DebianImage): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `colinux-bench-debian-${name}-`));
  const repo = await serveRepository(img, dir);
  const disk = bootCopy(img, dir);
  const sshPort = await freePort();
  const begun = Date.now();
  const peer = name === 'ours' ? startOurs(img, disk, sshPort, dir) : startQemu(img, disk, sshPort);
  try {
    await until(() => (/^debian login: /m.test(peer.console()) ? true : undefined), BOOT_MS);
    const login = (Date.now() - begun) / 1000;
    const loginCpu = cpuSeconds(peer.emulatorPid());
    await waitForSsh(img, sshPort);
    await ssh(img, sshPort, 'systemctl is-system-running --wait');
    // Where the boot time goes, for bench/RESULTS.md (docs/debian.md compares the two).
    console.error(`--- ${name}: systemd-analyze\n${(await ssh(img, sshPort, 'systemd-analyze; systemd-analyze blame | head -n 15')).out}`);
    await ssh(img, sshPort, `rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; echo 'deb [trusted=yes] http://10.0.2.2:${repo.port}/ ./' >/etc/apt/sources.list.d/bench.list`);
    const timed = async (command: string) => {
      const c0 = cpuSeconds(peer.emulatorPid());
      const t0 = Date.now();
      const r = await ssh(img, sshPort, command, CMD_MS * 2);
      if (r.code !== 0) throw new Error(`${name}: '${command}' failed: ${r.out}`);
      return [(Date.now() - t0) / 1000, cpuSeconds(peer.emulatorPid()) - c0] as const;
    };
    const [update, updateCpu] = await timed('apt-get update -q');
    const [install, installCpu] = await timed(`DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${TEST_PACKAGE}`);
    await ssh(img, sshPort, 'poweroff');
    return { login, loginCpu, update, updateCpu, install, installCpu };
  } finally {
    peer.stop();
    repo.server.close();
    // The emulator (our manager, which owns the runtime dir) must be gone before its dir is removed.
    await until(() => (peer.emulatorPid() === -1 || !existsSync(`/proc/${peer.emulatorPid()}/stat`) ? true : undefined), 60_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const img = await debianImage((l) => console.error(l));
const results: Partial<Record<'ours' | 'qemu', Result>> = {};
for (const name of ['ours', 'qemu'] as const) {
  if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== name) continue;
  results[name] = await measure(name, img);
  console.log(JSON.stringify({ peer: name, ...results[name] }));
}
const row = (label: string, key: keyof Result) => {
  const o = results.ours?.[key];
  const q = results.qemu?.[key];
  const f = (v: number | undefined) => (v === undefined ? '' : `${v.toFixed(1)} s`);
  return `| ${label} | ${f(o)} | ${f(q)} | ${o !== undefined && q !== undefined ? (o / q).toFixed(2) : ''} |`;
};
console.log(['| measure | ours | QEMU | ratio |', '|---|---|---|---|',
  row('boot to the console login prompt, wall', 'login'), row('same, CPU', 'loginCpu'),
  row('`apt-get update` (local repository), wall', 'update'), row('same, CPU', 'updateCpu'),
  row(`\`apt-get install -y ${TEST_PACKAGE}\`, wall`, 'install'), row('same, CPU', 'installCpu')].join('\n'));
process.exit(0);
