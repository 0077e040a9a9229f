// Drives a guest whose console is a child process's stdin/stdout (our machine through
// boot-direct, or QEMU with a virtio console on stdio), so both are measured the same way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateCompileCache } from '@colinux/client/program';
import { MONITOR_PROCESS_ENV } from '../packages/monitor-core/src/machine/monitor-process.ts';

export const READY_LINE = 'colinux-guest: ready';
/** The developer tool that boots a kernel on the machine worker without the manager. */
export const BOOT_DIRECT = join(import.meta.dirname, '..', 'packages', 'monitor-core', 'tools', 'boot-direct.ts');
const MACHINE_WORKER = join(import.meta.dirname, '..', 'packages', 'monitor-core', 'src', 'machine', 'worker.ts');

/**
 * The environment boot-direct runs with in the benches: a monitor process's (machine/
 * monitor-process.ts, as the manager starts one) and the compile cache the programs use
 * (packages/client/src/program.js; none with NODE_DISABLE_COMPILE_CACHE). Both threads' modules
 * are put into that cache first, as the manager does for its workers (manager/compile-cache.ts):
 * a thread that strips one module's types itself keeps Node's TypeScript transformer (~12 MB)
 * loaded for its life, which a monitor started by the manager does not.
 */
let preparedEnv: Record<string, string> | undefined;
export function bootDirectEnv(): Record<string, string> {
  if (preparedEnv) return preparedEnv;
  const cache = privateCompileCache();
  // This process's own environment wins, as the manager's does for its monitor processes.
  const env: Record<string, string> = { ...(cache ? { NODE_COMPILE_CACHE: cache } : {}) };
  for (const [name, value] of Object.entries(MONITOR_PROCESS_ENV)) env[name] = process.env[name] ?? value;
  const run = (args: string[]) => spawnSync(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  run([BOOT_DIRECT]); // without --image it loads its modules and exits
  run(['--input-type=module', '-e', `await import(${JSON.stringify(MACHINE_WORKER)})`]);
  preparedEnv = env;
  return env;
}

/** Wall and CPU seconds of one timed guest command. */
export interface Step {
  wall: number;
  cpu: number;
}

export class GuestProcess {
  readonly child: ChildProcess;
  private out = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  private marker = 0;

  private stats: Record<string, number> | undefined;

  /** `env`: added to this process's environment (BOOT_DIRECT_STATS=1 makes boot-direct print the
   *  worker's stats lines on stderr; lastStats() returns the latest). */
  constructor(command: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => {
      err += d;
      const lines = err.split('\n');
      err = lines.pop()!;
      for (const line of lines) if (line.startsWith('[stats] ')) this.stats = JSON.parse(line.slice(8)) as Record<string, number>;
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      this.out += d;
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves with the output from `from` once `text` appears after it. */
  async waitFor(text: string, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.out.indexOf(text, from);
      if (at >= 0) return this.out.slice(from, at);
      if (Date.now() > deadline) throw new Error(`timed out waiting for '${text}'`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
    }
  }

  /** Runs a shell command in the guest and returns its output and the wall time it took. The
   *  end marker is computed by the guest shell so the echoed command line never matches it. */
  async run(command: string, timeoutMs: number): Promise<{ output: string; seconds: number }> {
    const n = ++this.marker;
    const from = this.out.length;
    const start = process.hrtime.bigint();
    this.child.stdin!.write(`${command}; echo __done_$((${n} + 1000))__\n`);
    const output = await this.waitFor(`__done_${n + 1000}__`, timeoutMs, from);
    return { output, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  }

  /** Runs a command whose output `check` accepts (else throws); its wall and CPU seconds. */
  async timed(command: string, check: (out: string) => boolean, timeoutMs = 1_800_000): Promise<Step> {
    const cpu0 = this.cpuSeconds();
    const r = await this.run(command, timeoutMs);
    const cpu = this.cpuSeconds() - cpu0;
    if (!check(r.output)) throw new Error(`"${command}" printed ${r.output}`);
    return { wall: r.seconds, cpu };
  }

  lastStats(): Record<string, number> | undefined {
    return this.stats;
  }

  /** User+system CPU seconds of the process (all threads) from /proc. */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (proc(5))
  }

  rssBytes(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
    return Number(m![1]) * 1024;
  }

  /** Resident bytes of the mapping that holds guest RAM: the largest anonymous mapping at least
   *  `ramBytes` long that is readable, writable and not executable (the accessible part of the
   *  wasm memory for us: the core's tables and guest RAM; the RAM block for QEMU), from smaps.
   *  V8's reservations around the wasm memory (PROT_NONE) and for wasm code (rwx) are larger
   *  and have little resident: an earlier version picked those, so guest RAM counted as memory
   *  beyond it. */
  guestRamResidentBytes(ramBytes: number): number {
    let best = { size: 0, rss: 0 };
    let current = { size: 0, rss: 0, candidate: false };
    for (const line of readFileSync(`/proc/${this.child.pid}/smaps`, 'utf8').split('\n')) {
      const range = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
      if (range) {
        const anonymous = range[4] === '0' && !range[5];
        current = { size: parseInt(range[2]!, 16) - parseInt(range[1]!, 16), rss: 0, candidate: anonymous && range[3]!.startsWith('rw-') };
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss && current.candidate && current.size >= ramBytes && current.size > best.size) {
        best = { size: current.size, rss: Number(rss[1]) * 1024 };
      }
    }
    return best.rss;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * The start of Debian's qemu-system-riscv64 command line for the bundled guest, as the benches run
 * it beside ours: -M virt with OpenSBI, one hart, `memMiB`, the kernel and initramfs, no display,
 * and the guest's console (hvc0) on a virtio console on stdio. Each bench adds its devices and
 * `-append`.
 */
export function qemuConsoleArgs(kernel: string, initrd: string, memMiB: number): string[] {
  return [
    ['-M', 'virt', '-bios', 'default', '-smp', '1', '-m', `${memMiB}M`, '-kernel', kernel, '-initrd', initrd],
    ['-display', 'none', '-monitor', 'none', '-serial', 'null'],
    ['-device', 'virtio-serial-device', '-chardev', 'stdio,id=con0,signal=off', '-device', 'virtconsole,chardev=con0'],
  ].flat();
}
