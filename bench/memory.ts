// Memory of monitor-core (the manager and one process per monitor, docs/manager.md "Monitor
// processes") beyond guest RAM, and the idle CPU cost of a guest. Starts the real colinux-daemon
// one, two, three times (each creates a monitor through the same manager, started on demand) with
// a fresh runtime dir, waits for each guest's shell, and prints the RSS, Anonymous,
// guest-RAM-resident and "beyond guest RAM" figures of all monitor-core processes per step.
//   node bench/memory.ts [--monitors 3] [--mem 64] [--idle-seconds 10]
// The manager inherits this environment: NODE_COMPILE_CACHE=<dir> (run twice) shows a manager
// whose own thread starts from a warm compile cache (docs/manager.md "Memory").
// Only processes this script started are signalled, by pid; the runtime dir is removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({
  options: {
    monitors: { type: 'string', default: '3' },
    mem: { type: 'string', default: '64' },
    'idle-seconds': { type: 'string', default: '10' },
  },
});
const MONITORS = Number(values.monitors);
const MEM_MIB = Number(values.mem);
const IDLE_S = Number(values['idle-seconds']);

const root = fileURLToPath(new URL('..', import.meta.url));
const daemonBin = path.join(root, 'node_modules/.bin/colinux-daemon');
const READY = 'colinux-guest: ready';
const MiB = 1024 * 1024;

const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-membench-'));
const env = { ...process.env, COLINUX_RUNTIME_DIR: runtime };
const daemons: ChildProcess[] = [];
let managerPid = 0;

interface Figures {
  rss: number;
  anonymous: number;
  sharedClean: number;
  guestRam: number;
  guestMappings: number;
  /** Anonymous memory by kind: malloc's main heap (brk), malloc's per-thread arenas (mappings
   *  starting on a 64 MiB boundary, glibc's HEAP_MAX_SIZE), executable (compiled JS and wasm
   *  code), and the rest (V8 heap pages, thread stacks). */
  brk: number;
  arenas: number;
  code: number;
  other: number;
}

function kb(line: string | undefined): number {
  return line ? Number(/(\d+) kB/.exec(line)![1]) * 1024 : 0;
}

/** smaps_rollup totals, plus the resident pages of every guest RAM mapping: a read-write
 *  anonymous mapping between mem= and mem= + 16 MiB long (the wasm memory: RAM above the core's
 *  own tables), which nothing else in the process comes near in size. */
function figures(pid: number): Figures {
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n');
  const field = (name: string) => kb(rollup.find((l) => l.startsWith(`${name}:`)));
  const f: Figures = {
    rss: field('Rss'),
    anonymous: field('Anonymous'),
    sharedClean: field('Shared_Clean'),
    guestRam: 0,
    guestMappings: 0,
    brk: 0,
    arenas: 0,
    code: 0,
    other: 0,
  };
  let kind: 'guest' | 'brk' | 'arenas' | 'code' | 'other' | 'file' = 'file';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (range) {
      const start = parseInt(range[1]!, 16);
      const size = parseInt(range[2]!, 16) - start;
      const perms = range[3]!;
      const anonymous = range[4] === '0' && !range[5];
      if (range[5] === '[heap]') kind = 'brk';
      else if (!anonymous) kind = 'file';
      else if (perms.startsWith('rw') && size >= MEM_MIB * MiB && size <= (MEM_MIB + 16) * MiB) kind = 'guest';
      else if (perms.includes('x')) kind = 'code';
      else if (start % (64 * MiB) === 0) kind = 'arenas';
      else kind = 'other';
      if (kind === 'guest') f.guestMappings++;
      continue;
    }
    if (kind === 'guest' && line.startsWith('Rss:')) f.guestRam += kb(line);
    else if (kind !== 'guest' && kind !== 'file' && line.startsWith('Anonymous:')) f[kind] += kb(line);
  }
  return f;
}

function cpuSeconds(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in USER_HZ, proc(5)
}

/** The manager and every monitor process of this run (their environment names our runtime dir). */
function coreProcesses(): number[] {
  const needle = `COLINUX_RUNTIME_DIR=${runtime}\0`;
  const monitors = fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return (
          fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').includes('\0--monitor\0') && `${fs.readFileSync(`/proc/${p}/environ`, 'latin1')}\0`.includes(needle)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
  return [managerPid, ...monitors];
}

function sum(all: Figures[]): Figures {
  const total: Figures = { rss: 0, anonymous: 0, sharedClean: 0, guestRam: 0, guestMappings: 0, brk: 0, arenas: 0, code: 0, other: 0 };
  for (const f of all) for (const k of Object.keys(total) as Array<keyof Figures>) total[k] += f[k];
  return total;
}

const mb = (n: number) => (n / MiB).toFixed(1).padStart(6);

function print(step: string, f: Figures): void {
  const beyond = f.anonymous - f.guestRam;
  console.log(
    `${step.padEnd(12)} RSS ${mb(f.rss)} MiB  shared-clean ${mb(f.sharedClean)}  Anonymous ${mb(f.anonymous)}  guest RAM resident ${mb(f.guestRam)} (${f.guestMappings} mapping${f.guestMappings === 1 ? '' : 's'})  beyond guest RAM ${mb(beyond)} MiB`,
  );
  console.log(
    `${''.padEnd(12)} beyond guest RAM: malloc heap ${mb(f.brk)}  malloc arenas ${mb(f.arenas)}  code ${mb(f.code)}  V8 heaps, stacks ${mb(f.other)}`,
  );
}

async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function startMonitor(n: number): Promise<void> {
  const pidFile = path.join(runtime, `daemon-${n}.id`);
  const child = spawn(daemonBin, ['-d', '-k', '-p', pidFile, 'kernel=guest/images/vmlinux', 'initrd=guest/images/initramfs.cpio.gz', `mem=${MEM_MIB}`], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  daemons.push(child);
  child.once('exit', (code) => {
    if (code !== null && code !== 0) console.error(`daemon ${n} exited with status ${code}`);
  });
  const id = await until(`monitor ${n} id`, 30_000, () => readText(pidFile)?.trim() || undefined);
  await until(`monitor ${id} shell`, 120_000, () => (readText(path.join(runtime, `monitor-${id}.console.log`))?.includes(READY) ? true : undefined));
  if (!managerPid) managerPid = await until('manager lock', 5000, () => Number(readText(path.join(runtime, 'manager.lock'))?.trim()) || undefined);
}

async function cleanUp(): Promise<void> {
  for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGTERM');
  await Promise.all(daemons.filter((d) => d.exitCode === null && d.signalCode === null).map((d) => new Promise((r) => d.once('exit', r))));
  // The manager was started on demand by our first daemon: ask it to stop the way the daemon's
  // --remove-driver does, then make sure of it by pid.
  await new Promise((r) => spawn(daemonBin, ['--remove-driver'], { cwd: root, env, stdio: 'ignore' }).once('exit', r));
  if (managerPid) {
    try {
      process.kill(managerPid, 0);
      process.kill(managerPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(runtime, { recursive: true, force: true });
}

try {
  for (let n = 1; n <= MONITORS; n++) {
    await startMonitor(n);
    await new Promise((r) => setTimeout(r, 3000)); // let the boot's garbage go
    const pids = coreProcesses();
    print(`${n} monitor${n === 1 ? '' : 's'}`, sum(pids.map(figures)));
    console.log(
      `${''.padEnd(12)} ${pids.length} processes; the manager alone: RSS ${mb(figures(managerPid).rss)} MiB, Anonymous ${mb(figures(managerPid).anonymous)} MiB`,
    );
    if (n === 1) {
      const cpu = () => pids.reduce((a, p) => a + cpuSeconds(p), 0);
      const c0 = cpu();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, IDLE_S * 1000));
      const share = (cpu() - c0) / ((performance.now() - t0) / 1000);
      console.log(`idle         one idle guest costs ${(share * 100).toFixed(2)} % of a core (manager and monitor process, ${IDLE_S} s)`);
    }
  }
} finally {
  await cleanUp();
}
