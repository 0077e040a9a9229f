// Benchmark: Debian trixie (guest/debian/build) with Debian's kernel and initramfs on our machine
// (`colinux-daemon @debian.conf -d`) and, in the same run, on Debian's qemu-system-riscv64 -M virt:
// boot to the console's login prompt, `apt-get update` and `apt-get install -y hello` against a
// repository served on the host, then coreutils work over ssh on the same 64 MiB files (hashes,
// gzip, zstd, xz), a fork/exec loop and a file-system walk. Per workload: wall, the host CPU
// seconds of every emulator process (ours: every process of the run's runtime dir — daemon,
// manager, monitor process, slirp helper; QEMU: its process), the guest's own user+sys (bash
// `time`), and for ours the translator's statistics (`colinux-ctl --json status`, docs/cpu-core.md
// "jitStats") and the CPU seconds of the machine worker thread and of V8's background threads
// (wasm compilation, GC). Prints JSON lines (with each work's CLOCK_MONOTONIC window, t0/t1 in µs,
// to cut a V8 .cpuprofile to it: docs/cpu-core.md "Profiling") and Markdown tables.
// Run: node_modules/.bin/node bench/debian-vs-qemu.ts [--only apt,md5sum,...] [--parallel]
//      BENCH_ONLY=ours|qemu for one side; the workload names are in WORKLOADS below; --parallel
//      runs the two peers at the same time.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import {
  BOOT_MS,
  CMD_MS,
  bootCopy,
  debianImage,
  freePort,
  qemuArgs,
  serveDebs,
  ssh,
  sshArgs,
  waitForSsh,
  TEST_PACKAGE,
  type DebianImage,
} from '../guest/test/debian-guest.ts';
import { commandOf, processesUnder } from '../packages/daemon/test/helpers.ts';

const root = join(import.meta.dirname, '..');
const DAEMON = join(root, 'packages', 'daemon', 'bin', 'colinux-daemon.js');
const CTL = join(root, 'packages', 'ctl', 'bin', 'colinux-ctl.js');
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts in 1/100 s on Linux
/** The worker posts the translator's statistics once a second (docs/cpu-core.md): wait one post. */
const STATS_POST_MS = 1200;

/** What guest/debian/build installs from (its SUITE, ARCH, MIRROR). */
const SUITE = 'trixie';
const ARCH = 'riscv64';
const MIRROR = 'http://deb.debian.org/debian';
/** Compressors the image lacks, installed from the bench's local repository (their libraries are in the image). */
const BENCH_PACKAGES = ['zstd', 'xz-utils'];

/** The inputs, made in the guest from files both peers' copies of the image hold alike. */
const FILE_MIB = 64;
const PREPARE = [
  'set -e',
  'mkdir -p /root/bench',
  'cd /root/bench',
  'export LC_ALL=C',
  // Incompressible: the kernel's modules are xz-compressed (about 100 MB of them).
  `find /usr/lib/modules -name '*.ko.xz' -print0 | sort -z | xargs -0 cat | head -c ${FILE_MIB}M >random.bin`,
  // Compressible: programs, libraries and data files as they lie on disk.
  `find /usr/bin /usr/sbin /usr/lib/riscv64-linux-gnu /usr/share -type f ! -name '*.gz' ! -name '*.xz' ! -name '*.zst' -print0 | sort -z | xargs -0 cat | head -c ${FILE_MIB}M >text.bin`,
  `test "$(stat -c %s random.bin text.bin)" = "$(printf '%s\\n' ${FILE_MIB * 1048576} ${FILE_MIB * 1048576})"`,
  'find /usr >/dev/null', // the walk below then measures the dentry cache, not the disk
].join('\n');

/** `optional`: only with --only (xz -0 alone takes about 30 CPU seconds on QEMU, over 100 on ours). */
interface Workload {
  name: string;
  label: string;
  command: string;
  packages?: string[];
  optional?: true;
}
const FORKS = 300;
const WORKLOADS: Workload[] = [
  { name: 'md5sum', label: `\`md5sum\` ${FILE_MIB} MiB`, command: 'md5sum text.bin' },
  { name: 'sha256sum', label: `\`sha256sum\` ${FILE_MIB} MiB`, command: 'sha256sum text.bin' },
  { name: 'gzip-text', label: `\`gzip -c\` ${FILE_MIB} MiB compressible`, command: 'gzip -c text.bin | wc -c' },
  { name: 'gzip-random', label: `\`gzip -c\` ${FILE_MIB} MiB incompressible`, command: 'gzip -c random.bin | wc -c' },
  { name: 'zstd-text', label: `\`zstd -c\` ${FILE_MIB} MiB compressible`, command: 'zstd -q -c text.bin | wc -c', packages: ['zstd'] },
  { name: 'zstd-random', label: `\`zstd -c\` ${FILE_MIB} MiB incompressible`, command: 'zstd -q -c random.bin | wc -c', packages: ['zstd'] },
  { name: 'xz-text', label: `\`xz -0 -c\` ${FILE_MIB} MiB compressible`, command: 'xz -0 -T1 -c text.bin | wc -c', packages: ['xz-utils'], optional: true },
  { name: 'forkexec', label: `${FORKS} × fork/exec \`/bin/true\` (bash loop)`, command: `for i in $(seq ${FORKS}); do /bin/true; done` },
  { name: 'find', label: '`find /usr | wc -l` (cached)', command: 'find /usr | wc -l' },
];
/** Not in WORKLOADS: boot (always) and apt (update, then install). */
const ALL_NAMES = ['apt', ...WORKLOADS.map((w) => w.name)];

function parseOnly(): Set<string> {
  const i = process.argv.indexOf('--only');
  if (i < 0) return new Set(['apt', ...WORKLOADS.filter((w) => !w.optional).map((w) => w.name)]);
  const names = (process.argv[i + 1] ?? '').split(',').filter(Boolean);
  const bad = names.filter((n) => !ALL_NAMES.includes(n));
  if (names.length === 0 || bad.length) {
    console.error(`bench/debian-vs-qemu.ts: --only takes a comma-separated list of ${ALL_NAMES.join(', ')}${bad.length ? ` (not: ${bad.join(', ')})` : ''}`);
    process.exit(2);
  }
  return new Set(names);
}

/**
 * The .debs of BENCH_PACKAGES for the image's suite, downloaded once by the host's apt-get with a
 * private state directory (per run, so two runs never share one) and kept in the cache.
 */
function benchDebs(): string[] {
  const dir = join(process.env.COLINUX_CACHE ?? join(homedir(), '.cache', 'colinux'), 'debian', 'bench-debs');
  mkdirSync(dir, { recursive: true });
  const have = () => readdirSync(dir).filter((f) => f.endsWith('.deb'));
  const missing = BENCH_PACKAGES.filter((p) => !have().some((f) => f.startsWith(`${p}_`)));
  if (missing.length) {
    const s = mkdtempSync(join(tmpdir(), 'colinux-bench-apt-'));
    try {
      mkdirSync(join(s, 'lists', 'partial'), { recursive: true });
      mkdirSync(join(s, 'cache', 'archives', 'partial'), { recursive: true });
      mkdirSync(join(s, 'debs'));
      writeFileSync(join(s, 'sources.list'), `deb [arch=${ARCH}] ${MIRROR} ${SUITE} main\n`);
      writeFileSync(join(s, 'status'), '');
      const opts = [
        `Dir::State::Lists=${s}/lists`,
        `Dir::Cache=${s}/cache`,
        `Dir::Etc::SourceList=${s}/sources.list`,
        'Dir::Etc::SourceParts=/dev/null',
        `Dir::State::status=${s}/status`,
        `APT::Architecture=${ARCH}`,
        `APT::Architectures=${ARCH}`,
        'Debug::NoLocking=1',
        'APT::Sandbox::User=root',
      ].flatMap((o) => ['-o', o]);
      console.error(`bench: downloading ${missing.join(' ')} (${SUITE} ${ARCH}) into ${dir}`);
      execFileSync('apt-get', [...opts, '-q', 'update'], { stdio: ['ignore', 'ignore', 'inherit'] });
      execFileSync('apt-get', [...opts, 'download', ...missing], { cwd: join(s, 'debs'), stdio: ['ignore', 'ignore', 'inherit'] });
      for (const f of readdirSync(join(s, 'debs'))) {
        copyFileSync(join(s, 'debs', f), join(dir, `${f}.partial`));
        renameSync(join(dir, `${f}.partial`), join(dir, f));
      }
    } finally {
      rmSync(s, { recursive: true, force: true });
    }
  }
  return have().map((f) => join(dir, f));
}

/** utime + stime of each process, in seconds. */
function cpuOf(pids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(pid, (Number(f[11]) + Number(f[12])) / TICKS); // utime, stime (fields 14, 15)
    } catch {
      // exited
    }
  }
  return m;
}
/**
 * utime + stime of each thread of each process, in seconds, keyed `process/thread`: the machine
 * worker ("WorkerThread"), V8's background threads ("V8Worker": wasm compilation, GC), the main
 * threads (proc(5) /proc/<pid>/task/<tid>/stat, comm = the thread's name).
 */
function threadCpuOf(pids: number[], processName: (pid: number) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // exited
    }
    const proc = processName(pid);
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const key = `${proc}/${comm}`;
        m.set(key, (m.get(key) ?? 0) + (Number(f[11]) + Number(f[12])) / TICKS);
      } catch {
        // exited
      }
    }
  }
  return m;
}
const total = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0);

async function until<T>(fn: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The translator's counters (colinux-ctl status "jit"); absent on a build without them. */
interface Jit {
  instructions: number;
  entries: number;
  insns: number;
  translated: number;
  dropped: number;
  codeWrites: number;
  regions?: number;
  lookups?: number;
  decodeMisses?: number;
  compileMs: number;
}

interface Peer {
  /** CPU seconds of each of the peer's emulator processes, by a short name. */
  cpu(): Map<string, number>;
  /** CPU seconds by process and thread name (threadCpuOf). */
  threads(): Map<string, number>;
  jit(): Promise<Jit | undefined>;
  console(): string;
  alive(): boolean;
  stop(): void;
}

function startOurs(img: DebianImage, disk: string, sshPort: number, dir: string): Peer {
  const runtimeDir = join(dir, 'run');
  const env = { ...process.env, COLINUX_RUNTIME_DIR: runtimeDir };
  const d = spawn(process.execPath, [DAEMON, '-d', `@${img.conf}`, `cobd0=${disk}`, `eth0=slirp,,tcp:${sshPort}:22`], { env, stdio: 'ignore' });
  const program = (pid: number) => {
    const c = commandOf(pid);
    return /colinux-[a-z-]+/.exec(c)?.[0] ?? c.split(' ')[0]!;
  };
  const name = (pid: number) => `${program(pid)}[${pid}]`;
  return {
    cpu: () => new Map([...cpuOf(processesUnder(runtimeDir))].map(([pid, s]) => [name(pid), s])),
    threads: () => threadCpuOf(processesUnder(runtimeDir), program),
    jit: async () => {
      try {
        const { stdout } = await promisify(execFile)(process.execPath, [CTL, '--json', 'status', String(d.pid)], { env });
        const s = JSON.parse(stdout) as { instructions: number; jit?: Omit<Jit, 'instructions'> };
        return s.jit ? { instructions: s.instructions, ...s.jit } : undefined;
      } catch {
        return undefined;
      }
    },
    console: () => {
      const log = join(runtimeDir, `monitor-${d.pid}.console.log`);
      return existsSync(log) ? readFileSync(log, 'latin1') : '';
    },
    alive: () => processesUnder(runtimeDir).length > 0,
    stop: () => {
      d.kill('SIGTERM');
      // The manager outlives its daemon: ask it (and anything else of this run) to go.
      setTimeout(() => {
        for (const pid of processesUnder(runtimeDir)) process.kill(pid, 'SIGTERM');
      }, 5000).unref();
    },
  };
}

function startQemu(img: DebianImage, disk: string, sshPort: number): Peer {
  const q = spawn('qemu-system-riscv64', qemuArgs(img, disk, sshPort), { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  q.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  return {
    cpu: () => new Map([...cpuOf([q.pid!])].map(([pid, s]) => [`qemu-system-riscv64[${pid}]`, s])),
    threads: () => threadCpuOf([q.pid!], () => 'qemu-system-riscv64'),
    jit: () => Promise.resolve(undefined),
    console: () => out,
    alive: () => q.exitCode === null && q.signalCode === null,
    stop: () => q.kill('SIGTERM'),
  };
}

interface Measure {
  work: string;
  wall: number;
  cpu: number;
  /** CPU seconds by process. */
  processes: Record<string, number>;
  /** CPU seconds by process and thread name, where more than 0. */
  threads?: Record<string, number>;
  /** CLOCK_MONOTONIC microseconds at the start and end (to cut a V8 .cpuprofile to the work). */
  t0?: number;
  t1?: number;
  /** The guest's own user + sys seconds (bash `time`), where measured. */
  guest?: number;
  jit?: Jit;
  /** The workload's output (a digest, a size, a count): the same on both peers. */
  out?: string;
}

function cpuDelta(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of b) d[k] = +(v - (a.get(k) ?? 0)).toFixed(2);
  return d;
}
function jitDelta(a: Jit | undefined, b: Jit | undefined): Jit | undefined {
  if (!a || !b) return undefined;
  const d: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) d[k] = v - ((a as unknown as Record<string, number>)[k] ?? 0);
  return d as unknown as Jit;
}

/**
 * Runs `command` in the guest (bash, in /root/bench) and measures only the command: the session
 * first prints a mark and waits for a line on stdin, so ssh's login is outside the host's CPU
 * and wall readings; bash's `time` reports the guest's own user and sys seconds.
 */
async function timedInGuest(img: DebianImage, port: number, peer: Peer, work: string, command: string): Promise<Measure> {
  const script = [
    'exec 2>&1',
    'cd /root/bench 2>/dev/null || cd',
    'echo @ready',
    'read -r _',
    "TIMEFORMAT='@guest %3U %3S %3R'",
    `time { ${command} ; }`,
    'echo "@exit $?"',
  ].join('\n');
  const p = spawn('ssh', sshArgs(img, port, script), { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => p.kill('SIGKILL'), CMD_MS * 2);
  let out = '';
  p.stderr.on('data', (b: Buffer) => (out += b.toString()));
  let before: { cpu: Map<string, number>; threads: Map<string, number>; jit: Jit | undefined; t: number; mono: number } | undefined;
  let after: { cpu: Map<string, number>; threads: Map<string, number>; t: number; mono: number } | undefined;
  const mono = () => Number(process.hrtime.bigint() / 1000n);
  let code: number | undefined;
  let guest: number | undefined;
  for await (const line of createInterface({ input: p.stdout })) {
    if (line === '@ready') {
      await sleep(STATS_POST_MS);
      const jit = await peer.jit();
      before = { cpu: peer.cpu(), threads: peer.threads(), jit, t: Date.now(), mono: mono() };
      p.stdin.write('go\n');
    } else if (line.startsWith('@exit ')) {
      after = { cpu: peer.cpu(), threads: peer.threads(), t: Date.now(), mono: mono() };
      code = Number(line.slice(6));
    } else if (line.startsWith('@guest ')) {
      const [u, s] = line.split(' ').slice(1).map(Number);
      guest = u! + s!;
    } else out += `${line}\n`;
  }
  clearTimeout(timer);
  if (!before || !after || code !== 0) throw new Error(`'${command}' failed (exit ${code}): ${out}`);
  await sleep(STATS_POST_MS);
  const jit = jitDelta(before.jit, await peer.jit());
  const processes = cpuDelta(before.cpu, after.cpu);
  const threads = Object.fromEntries(Object.entries(cpuDelta(before.threads, after.threads)).filter(([, v]) => v > 0));
  // The last line says what the work produced (a digest, a size, a count; apt's last step).
  return {
    work,
    wall: (after.t - before.t) / 1000,
    cpu: Object.values(processes).reduce((a, b) => a + b, 0),
    processes,
    ...(Object.keys(threads).length ? { threads } : {}),
    t0: before.mono,
    t1: after.mono,
    guest,
    jit,
    out: out.trim().split('\n').pop(),
  };
}

async function measure(name: 'ours' | 'qemu', img: DebianImage, only: Set<string>, debs: string[]): Promise<Measure[]> {
  const dir = mkdtempSync(join(tmpdir(), `colinux-bench-debian-${name}-`));
  const repo = await serveDebs(dir, debs);
  const disk = bootCopy(img, dir);
  const sshPort = await freePort();
  const begun = Date.now();
  const peer = name === 'ours' ? startOurs(img, disk, sshPort, dir) : startQemu(img, disk, sshPort);
  const results: Measure[] = [];
  const record = (m: Measure) => {
    results.push(m);
    console.log(JSON.stringify({ peer: name, ...m }));
  };
  try {
    await until(() => (/^debian login: /m.test(peer.console()) ? true : undefined), BOOT_MS);
    const processes = Object.fromEntries([...peer.cpu()].map(([k, v]) => [k, +v.toFixed(2)]));
    const threads = Object.fromEntries([...peer.threads()].filter(([, v]) => v > 0).map(([k, v]) => [k, +v.toFixed(2)]));
    record({
      work: 'boot',
      wall: (Date.now() - begun) / 1000,
      cpu: total(peer.cpu()),
      processes,
      ...(Object.keys(threads).length ? { threads } : {}),
      jit: await peer.jit(),
    });
    await waitForSsh(img, sshPort);
    await ssh(img, sshPort, 'systemctl is-system-running --wait');
    // Where the boot time goes, for bench/RESULTS.md (docs/debian.md compares the two).
    console.error(`--- ${name}: systemd-analyze\n${(await ssh(img, sshPort, 'systemd-analyze; systemd-analyze blame | head -n 15')).out}`);
    await ssh(
      img,
      sshPort,
      `rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; echo 'deb [trusted=yes] http://10.0.2.2:${repo.port}/ ./' >/etc/apt/sources.list.d/bench.list`,
    );
    const chosen = WORKLOADS.filter((w) => only.has(w.name));
    // The inputs first, from the image as built: what apt installs next would change them.
    if (chosen.length) {
      const r = await ssh(img, sshPort, PREPARE, CMD_MS * 2);
      if (r.code !== 0) throw new Error(`${name}: preparing the inputs failed: ${r.out}`);
    }
    if (only.has('apt')) {
      record(await timedInGuest(img, sshPort, peer, 'apt-update', 'apt-get update -q'));
      record(await timedInGuest(img, sshPort, peer, 'apt-install', `DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${TEST_PACKAGE}`));
    }
    const packages = [...new Set(chosen.flatMap((w) => w.packages ?? []))];
    if (packages.length) {
      const r = await ssh(
        img,
        sshPort,
        `${only.has('apt') ? '' : 'apt-get update -q && '}DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${packages.join(' ')}`,
        CMD_MS * 2,
      );
      if (r.code !== 0) throw new Error(`${name}: installing ${packages.join(' ')} failed: ${r.out}`);
    }
    for (const w of chosen) record(await timedInGuest(img, sshPort, peer, w.name, w.command));
    await ssh(img, sshPort, 'poweroff');
    return results;
  } finally {
    peer.stop();
    repo.server.close();
    // The emulator (our manager, which owns the runtime dir) must be gone before its dir is removed.
    await until(() => (peer.alive() ? undefined : true), 60_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const only = parseOnly();
const img = await debianImage((l) => console.error(l));
const hello = readdirSync(img.debs).find((f) => f.startsWith(`${TEST_PACKAGE}_`) && f.endsWith('.deb'));
if (!hello) throw new Error(`no ${TEST_PACKAGE}_*.deb in ${img.debs}: rerun guest/debian/build --force`);
const debs = [join(img.debs, hello), ...benchDebs()];
console.error(
  `bench: load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the start`,
);
const results: Partial<Record<'ours' | 'qemu', Measure[]>> = {};
const run = async (name: 'ours' | 'qemu') => {
  results[name] = await measure(name, img, only, debs);
  console.error(
    `bench: load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} after ${name}`,
  );
};
const peers = (['ours', 'qemu'] as const).filter((name) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY === name);
// --parallel: both peers at once (half the time; on a host loaded anyway, the CPU seconds are the figure).
if (process.argv.includes('--parallel')) await Promise.all(peers.map(run));
else for (const name of peers) await run(name);

const LABELS: Record<string, string> = {
  boot: 'boot to the console login prompt',
  'apt-update': '`apt-get update` (local repository)',
  'apt-install': `\`apt-get install -y ${TEST_PACKAGE}\``,
  ...Object.fromEntries(WORKLOADS.map((w) => [w.name, w.label])),
};
/** A work's label as a Markdown table cell (a `|` in a command would end the cell). */
const cell = (w: string) => (LABELS[w] ?? w).replaceAll('|', '\\|');
const works = [...new Set([...(results.ours ?? []), ...(results.qemu ?? [])].map((m) => m.work))];
const get = (peer: 'ours' | 'qemu', work: string) => results[peer]?.find((m) => m.work === work);
const s = (v: number | undefined) => (v === undefined ? '' : `${v.toFixed(1)} s`);
const ratio = (o: number | undefined, q: number | undefined) => (o !== undefined && q !== undefined && q > 0 ? (o / q).toFixed(2) : '');
console.log(
  [
    '| work | wall ours | wall QEMU | CPU ours | CPU QEMU | CPU ratio | guest user+sys ours | QEMU | ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...works.map((w) => {
      const o = get('ours', w);
      const q = get('qemu', w);
      return `| ${cell(w)} | ${s(o?.wall)} | ${s(q?.wall)} | ${s(o?.cpu)} | ${s(q?.cpu)} | ${ratio(o?.cpu, q?.cpu)} | ${s(o?.guest)} | ${s(q?.guest)} | ${ratio(o?.guest, q?.guest)} |`;
    }),
  ].join('\n'),
);
/** The machine worker thread's and V8's background threads' CPU seconds in a thread map. */
function threadSplit(threads: Record<string, number> | undefined): string {
  if (!threads) return '';
  const sum = (re: RegExp) => Object.entries(threads).reduce((a, [k, v]) => a + (re.test(k) ? v : 0), 0);
  return `${sum(/\/WorkerThread$/).toFixed(1)} / ${sum(/\/V8Worker$/).toFixed(1)}`;
}
const jitRows = works.map((w) => [w, get('ours', w)?.jit] as const).filter((r): r is readonly [string, Jit] => r[1] !== undefined);
if (jitRows.length) {
  const M = (v: number) => (v / 1e6).toFixed(1);
  console.log(
    [
      '',
      '| ours: translator (jitStats) | instructions (M) | run translated | instructions per entry | lookups found compiled | blocks translated (regions) | given up | code writes | decode misses per M instructions | compile ms | CPU s machine worker / V8 background |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...jitRows.map(
        ([w, j]) =>
          `| ${cell(w)} | ${M(j.instructions)} | ${((100 * j.insns) / j.instructions).toFixed(1)} % | ${(j.insns / Math.max(1, j.entries)).toFixed(0)} | ${j.lookups ? `${((100 * j.entries) / j.lookups).toFixed(1)} %` : ''} | ${j.translated}${j.regions === undefined ? '' : ` (${j.regions})`} | ${j.dropped} | ${j.codeWrites} | ${j.decodeMisses === undefined ? '' : ((1e6 * j.decodeMisses) / j.instructions).toFixed(0)} | ${j.compileMs} | ${threadSplit(get('ours', w)?.threads)} |`,
      ),
    ].join('\n'),
  );
}
process.exit(0);
