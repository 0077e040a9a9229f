// A newcomer's figures (issue 8), each beside QEMU's, from one run:
//  1. start-up: every program's --help, the daemon's --version and driver switches, with a cold
//     and a warm compile cache; QEMU's --version and --help;
//  2. boot to the guest's ready line through colinux-daemon, with the manager not yet running
//     and already running, broken down by the daemon's and the manager's log times; QEMU booting
//     the same kernel and initramfs;
//  3. proportional memory (PSS) of every process of examples/default.conf (64 MiB guest, slirp,
//     cobd0, the console in a private tmux) after boot, beside QEMU with the same devices.
// Wall and CPU seconds (user+system, from /usr/bin/time or /proc) are printed as Markdown rows.
//   node_modules/.bin/node bench/startup.ts [--rounds 5] [--only startup|boot|pss]
// Only processes this script started are signalled, by pid; its temp dirs are removed at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
const ROUNDS = Number(values.rounds);
const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const READY = 'colinux-guest: ready';
const MEM_MIB = 64;
const MiB = 1024 * 1024;
const QEMU = 'qemu-system-riscv64';
const PROGRAMS = [
  'colinux-daemon',
  'colinux-monitor-core',
  'colinux-console-nt',
  'colinux-slirp-net-daemon',
  'colinux-net-daemon',
  'colinux-bridged-net-daemon',
  'colinux-serial-daemon',
  'colinux-bare-metal',
];

const work = mkdtempSync(join(tmpdir(), 'colinux-startup-bench-'));
const started: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (x: number): string => `${x.toFixed(2)} s`;
const ms = (x: number): string => `${Math.round(x * 1000)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** A fresh runtime dir (0700) with its own compile cache dir inside, as the programs pick it. */
function runtime(name: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = join(work, name);
  mkdirSync(dir, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...process.env, COLINUX_RUNTIME_DIR: dir };
  delete env.NODE_COMPILE_CACHE;
  return { dir, env };
}

/** Wall and CPU seconds of one run of a program (CPU from GNU time: user + system). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): { wall: number; cpu: number; status: number | null } {
  const out = join(work, 'time.txt');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%U %S', cmd, ...args], { env, stdio: 'ignore' });
  const wall = (performance.now() - t0) / 1000;
  const [user, system] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user! + system!, status: r.status };
}

function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in USER_HZ, proc(5)
  } catch {
    return 0;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

function driver(which: string, env: NodeJS.ProcessEnv): void {
  spawnSync(join(BIN, 'colinux-daemon'), [`--${which}-driver`], { env, stdio: 'ignore' });
}

// ---------------------------------------------------------------------------------------------
function startupFigures(): void {
  const rt = runtime('startup');
  console.log('\n### Start-up (median of %d; warm = the compile cache filled by an earlier run)\n', ROUNDS);
  console.log('| command | cold cache, wall / CPU | warm cache, wall / CPU |');
  console.log('|---|---|---|');
  const row = (label: string, cmd: string, args: string[], before?: () => void) => {
    const coldEnv = { ...rt.env, NODE_COMPILE_CACHE: mkdtempSync(join(work, 'cold-')) };
    before?.();
    const cold = timed(cmd, args, coldEnv);
    const warm: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      before?.();
      warm.push(timed(cmd, args, rt.env));
    }
    const w = `${ms(median(warm.map((x) => x.wall)))} / ${ms(median(warm.map((x) => x.cpu)))}`;
    console.log(`| \`${label}\` | ${ms(cold.wall)} / ${ms(cold.cpu)} | ${w} |`);
  };
  timed(join(BIN, 'colinux-daemon'), ['--help'], rt.env); // fill the warm cache
  for (const p of PROGRAMS) row(`${p} --help`, join(BIN, p), ['--help']);
  row('colinux-daemon --version', join(BIN, 'colinux-daemon'), ['--version']);
  row('colinux-daemon --status-driver (no manager)', join(BIN, 'colinux-daemon'), ['--status-driver']);
  row('colinux-daemon --install-driver (no manager)', join(BIN, 'colinux-daemon'), ['--install-driver'], () => driver('remove', rt.env));
  driver('install', rt.env);
  row('colinux-daemon --status-driver (manager running)', join(BIN, 'colinux-daemon'), ['--status-driver']);
  row('colinux-daemon --remove-driver (manager running)', join(BIN, 'colinux-daemon'), ['--remove-driver'], () => driver('install', rt.env));
  driver('remove', rt.env);
  row(`${QEMU} --version`, QEMU, ['--version']);
  row(`${QEMU} --help`, QEMU, ['--help']);
  row('node -e 0 (Node 24 itself)', process.execPath, ['-e', '0']);
}

// ---------------------------------------------------------------------------------------------
interface Boot {
  wall: number;
  cpu: number;
  phases: Record<string, number>;
}

/** Log lines (pino JSON) with their time relative to t0, by message. */
function logTimes(text: string, t0: number, into: Record<string, number>, names: Record<string, string>): void {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as { time: number; msg: string };
      const name = names[j.msg];
      if (name && !(name in into)) into[name] = (j.time - t0) / 1000;
    } catch {
      // not a log line
    }
  }
}

async function bootThroughDaemon(rt: { dir: string; env: NodeJS.ProcessEnv }): Promise<Boot> {
  const idFile = join(rt.dir, 'daemon.id');
  rmSync(idFile, { force: true });
  const env = { ...rt.env, COLINUX_LOG_LEVEL: 'debug' };
  const managerLog = join(rt.dir, 'manager.log');
  const logFrom = readText(managerLog)?.length ?? 0; // this boot's lines only
  const t0 = Date.now();
  const d = spawn(
    join(BIN, 'colinux-daemon'),
    ['-d', '-k', '-p', idFile, 'kernel=guest/images/vmlinux', 'initrd=guest/images/initramfs.cpio.gz', `mem=${MEM_MIB}`],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started.push(d);
  const phases: Record<string, number> = {};
  let stdout = '';
  let stderr = '';
  d.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString();
    if (!('image loaded' in phases) && stdout.includes('PID: ')) phases['image loaded'] = (Date.now() - t0) / 1000;
    if (!('start sent' in phases) && stdout.includes('colinux: booting')) phases['start sent'] = (Date.now() - t0) / 1000;
  });
  d.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const id = await until('the monitor id', 60_000, () => readText(idFile)?.trim() || undefined);
  await until('the ready line', 120_000, () => (readText(join(rt.dir, `monitor-${id}.console.log`))?.includes(READY) ? true : undefined));
  const wall = (Date.now() - t0) / 1000;
  const managerPid = Number(readText(join(rt.dir, 'manager.lock'))?.trim());
  const cpu = cpuOf(d.pid!) + cpuOf(managerPid);
  logTimes(stderr, t0, phases, { configuration: 'daemon parsed, kernel read', 'manager not running; starting it': 'manager spawn' });
  logTimes((readText(managerLog) ?? '').slice(logFrom), t0, phases, { 'manager serving': 'manager serving', 'monitor created': 'monitor created' });
  phases.ready = wall;
  d.kill('SIGTERM');
  await exited(d);
  return { wall, cpu, phases };
}

async function bootQemu(kernel: string, extra: string[] = [], append = 'console=hvc0'): Promise<Boot & { child: ChildProcess }> {
  const t0 = Date.now();
  const q = spawn(
    QEMU,
    [
      '-M',
      'virt',
      '-bios',
      'default',
      '-smp',
      '1',
      '-m',
      `${MEM_MIB}M`,
      '-kernel',
      kernel,
      '-initrd',
      join(ROOT, 'guest/images/initramfs.cpio.gz'),
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'null',
      '-device',
      'virtio-serial-device',
      '-chardev',
      'stdio,id=con0,signal=off',
      '-device',
      'virtconsole,chardev=con0',
      ...extra,
      '-append',
      append,
    ],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  started.push(q);
  let out = '';
  q.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await until("QEMU's ready line", 120_000, () => (out.includes(READY) ? true : undefined));
  const wall = (Date.now() - t0) / 1000;
  return { wall, cpu: cpuOf(q.pid!), phases: { ready: wall }, child: q };
}

async function bootFigures(): Promise<void> {
  const kernel = join(work, 'Image');
  writeFileSync(kernel, gunzipSync(readFileSync(join(ROOT, 'guest/images/Image.gz'))));
  const rt = runtime('boot');
  const first = await bootThroughDaemon(rt); // cold compile cache
  driver('remove', rt.env);
  const cold: Boot[] = [];
  const warm: Boot[] = [];
  const qemu: Boot[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so the three see the same load.
    cold.push(await bootThroughDaemon(rt));
    driver('remove', rt.env);
    driver('install', rt.env);
    warm.push(await bootThroughDaemon(rt));
    driver('remove', rt.env);
    const q = await bootQemu(kernel);
    q.child.kill('SIGKILL');
    await exited(q.child);
    qemu.push(q);
  }
  console.log('\n### Boot to `%s` (64 MiB, bundled kernel and initramfs; median of %d, interleaved)\n', READY, ROUNDS);
  console.log('| how | wall | CPU (daemon + manager, or QEMU) |');
  console.log('|---|---|---|');
  const line = (label: string, runs: Boot[]) => console.log(`| ${label} | ${s(median(runs.map((r) => r.wall)))} | ${s(median(runs.map((r) => r.cpu)))} |`);
  console.log(`| colinux-daemon, manager not running, cold compile cache (first run) | ${s(first.wall)} | ${s(first.cpu)} |`);
  line('colinux-daemon, manager not running', cold);
  line('colinux-daemon, manager already running', warm);
  line(`${QEMU} -M virt -bios default (OpenSBI)`, qemu);
  const phaseNames = ['daemon parsed, kernel read', 'manager spawn', 'manager serving', 'monitor created', 'image loaded', 'start sent', 'ready'];
  console.log('\nWhere the time goes (seconds since the daemon was spawned, median):\n');
  console.log(`| | ${phaseNames.join(' | ')} |`);
  console.log(`|---|${phaseNames.map(() => '---').join('|')}|`);
  for (const [label, runs] of [
    ['manager not running', cold],
    ['manager running', warm],
  ] as const) {
    const cells = phaseNames.map((p) => {
      const xs = runs.map((r) => r.phases[p]).filter((x): x is number => x !== undefined);
      return xs.length ? median(xs).toFixed(2) : '–';
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}

// ---------------------------------------------------------------------------------------------
interface Memory {
  pss: number;
  anon: number;
  guestRam: number;
}

/** Pss and Pss_Anon from smaps_rollup, and the resident pages of guest RAM: every read-write
 *  anonymous mapping between mem= and mem= + 16 MiB long (the wasm memory for us, the RAM block
 *  for QEMU; nothing else in either process comes near that size), as bench/memory.ts counts it. */
function memoryOf(pid: number): Memory {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0) * 1024;
  let guestRam = 0;
  let inGuest = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (range) {
      const size = parseInt(range[2]!, 16) - parseInt(range[1]!, 16);
      inGuest = range[4] === '0' && !range[5] && range[3]!.startsWith('rw') && size >= MEM_MIB * MiB && size <= (MEM_MIB + 16) * MiB;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && inGuest) guestRam += Number(rss[1]) * 1024;
  }
  return { pss: field('Pss'), anon: field('Pss_Anon'), guestRam };
}

function processesUnder(dir: string): { pid: number; program: string }[] {
  const needle = `COLINUX_RUNTIME_DIR=${dir}\0`;
  const found: { pid: number; program: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!`${readFileSync(`/proc/${name}/environ`, 'latin1')}\0`.includes(needle)) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
      const program = /colinux-[a-z-]+/.exec(argv.slice(0, 3).join(' '))?.[0];
      // colinux-monitor-core runs as the manager (--serve) and as one process per VM (--monitor).
      const role = argv.includes('--serve') ? ' --serve (manager)' : argv.includes('--monitor') ? ' --monitor (the VM)' : '';
      if (program) found.push({ pid: Number(name), program: `${program}${role}` });
    } catch {
      // gone
    }
  }
  return found;
}

async function pssFigures(): Promise<void> {
  const rt = runtime('pss');
  const disk = join(rt.dir, 'root.ext2');
  writeFileSync(disk, gunzipSync(readFileSync(join(ROOT, 'guest/images/root.ext2.gz'))));
  const idFile = join(rt.dir, 'daemon.id');
  const tmuxSocket = `colinux-bench-${process.pid}`;
  // The console needs a terminal: the daemon runs in a private tmux server, as a user would.
  const port = 20000 + (process.pid % 20000); // host ports for the redirections, ours and QEMU's
  const daemonCmd = [
    join(BIN, 'colinux-daemon'),
    '@examples/default.conf',
    `cobd0=${disk}`,
    `eth0=slirp,,tcp:${port}:22/tcp:${port + 1}:80`,
    '-p',
    idFile,
  ].join(' ');
  const boot = async () => {
    rmSync(idFile, { force: true });
    await exited(
      spawn('tmux', ['-L', tmuxSocket, 'new-session', '-d', '-x', '80', '-y', '25', `cd ${ROOT} && env COLINUX_RUNTIME_DIR=${rt.dir} ${daemonCmd}`], {
        stdio: 'ignore',
      }),
    );
    const id = await until('the monitor id', 60_000, () => readText(idFile)?.trim() || undefined, 50);
    await until('the ready line', 120_000, () => (readText(join(rt.dir, `monitor-${id}.console.log`))?.includes(READY) ? true : undefined), 50);
    await sleep(5000); // helpers settle, boot garbage collected
  };
  const stop = async () => {
    const daemon = processesUnder(rt.dir).find((p) => p.program === 'colinux-daemon');
    if (daemon) process.kill(daemon.pid, 'SIGTERM');
    await until('the daemon to stop', 60_000, () => (processesUnder(rt.dir).some((p) => p.program === 'colinux-daemon') ? undefined : true), 100).catch(
      () => undefined,
    );
    driver('remove', rt.env);
    spawnSync('tmux', ['-L', tmuxSocket, 'kill-server'], { stdio: 'ignore' });
  };
  try {
    // Once to fill the compile cache (as every run after a user's first one finds it), then measured.
    await boot();
    await stop();
    await boot();
    const rows = processesUnder(rt.dir)
      .map((p) => ({ ...p, ...memoryOf(p.pid) }))
      .sort((a, b) => b.pss - a.pss);
    const kernel = join(work, 'Image-pss');
    writeFileSync(kernel, gunzipSync(readFileSync(join(ROOT, 'guest/images/Image.gz'))));
    const qdisk = join(work, 'root-qemu.ext2');
    copyFileSync(disk, qdisk);
    const q = await bootQemu(
      kernel,
      [
        '-drive',
        `file=${qdisk},format=raw,if=none,id=cobd0`,
        '-device',
        'virtio-blk-device,drive=cobd0',
        '-netdev',
        `user,id=n0,hostfwd=tcp:127.0.0.1:${port + 2}-:22,hostfwd=tcp:127.0.0.1:${port + 3}-:80`,
        '-device',
        'virtio-net-device,netdev=n0',
      ],
      'console=hvc0 root=/dev/cobd0',
    );
    await sleep(5000);
    const qm = memoryOf(q.child.pid!);
    q.child.kill('SIGKILL');
    await exited(q.child);
    console.log('\n### Proportional memory after boot (`examples/default.conf`: 64 MiB guest, slirp, cobd0, console in tmux)\n');
    console.log('| process | PSS | of it anonymous | of it guest RAM | beyond guest RAM |');
    console.log('|---|---|---|---|---|');
    const mb = (x: number) => `${(x / MiB).toFixed(1)} MB`;
    const cells = (m: Memory) => `${mb(m.pss)} | ${mb(m.anon)} | ${mb(m.guestRam)}`;
    for (const r of rows) console.log(`| ${r.program} | ${cells(r)} | ${mb(r.pss - r.guestRam)} |`);
    const total = rows.reduce((a, r) => ({ pss: a.pss + r.pss, anon: a.anon + r.anon, guestRam: a.guestRam + r.guestRam }), { pss: 0, anon: 0, guestRam: 0 });
    console.log(`| **all of ours** | ${cells(total)} | **${mb(total.pss - total.guestRam)}** |`);
    console.log(`| ${QEMU} (same devices, user networking) | ${cells(qm)} | **${mb(qm.pss - qm.guestRam)}** |`);
  } finally {
    await stop();
  }
}

const only = values.only;
console.log(
  `# bench/startup.ts, ${new Date().toISOString()}, Node ${process.versions.node}, ${spawnSync(QEMU, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`,
);
console.log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
if (!existsSync(join(BIN, 'colinux-daemon'))) throw new Error('run `npm run build` first');
if (!only || only === 'startup') startupFigures();
if (!only || only === 'boot') await bootFigures();
if (!only || only === 'pss') await pssFigures();
console.log(`load average at end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
