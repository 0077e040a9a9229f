import { execa, type ResultPromise } from 'execa';
import { createInterface } from 'node:readline';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Logger } from '@colinux/client/log';
import type { ModuleId } from '@colinux/protocol';
import { resolveHelperBin } from './bins.ts';
import type { HelperSpec } from './commands.ts';
import { errorLogMessage } from '@colinux/client/log';

/** Whether another connection holds a module of the monitor (a helper run by hand with --force). */
export type ModuleProbe = (module: ModuleId) => Promise<'held' | 'free' | 'gone'>;

export interface SupervisorOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  probe: ModuleProbe;
  /** Called when the console sharing the daemon's terminal starts (true) and exits (false). */
  onConsole?: (attached: boolean) => void;
  backoffCapMs?: number;
  /** Where helper stderr lines go (default: the daemon's stderr). */
  forward?: (line: string) => void;
  /** A problem the user must not miss (a helper's error-level log line, a program that could not
   *  be started): the daemon prints it as an error line instead of forwarding it. */
  onError?: (label: string, text: string) => void;
}

interface Managed {
  spec: HelperSpec;
  child?: ResultPromise;
  exited?: Promise<void>;
  restarts: number;
  backoffMs: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
  lastLine?: string;
}

/** Ends the execN programs if the daemon dies without doing it (see the file for how). */
const EXEC_WATCHDOG = new URL('./exec-watchdog.ts', import.meta.url).pathname;

const FIRST_BACKOFF_MS = 1000;
/** A helper that ran this long before dying starts its backoff from the beginning again. */
const STABLE_MS = 60_000;

/**
 * Starts the helpers and execN programs and keeps the helpers alive. coLinux launched them once and
 * forgot them (docs/colinux.md#launching); here a helper that dies is restarted with exponential backoff and its
 * exit reason is logged, unless another process now holds its module (a copy run by hand with
 * --force took it over, docs/colinux.md#shared-conventions): then it is restarted only once the module is free again.
 */
export class Supervisor {
  private readonly managed: Managed[] = [];
  private stopping = false;
  private readonly opts: SupervisorOptions;
  /** Started with the first execN program; its stdin is our end of the pipe it watches. */
  private watchdog?: ChildProcess;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
  }

  /** Starts one process; returns false (after logging) if it could not be found or spawned. */
  launch(spec: HelperSpec): boolean {
    const m: Managed = { spec, restarts: 0, backoffMs: FIRST_BACKOFF_MS, startedAt: 0 };
    this.managed.push(m);
    return this.spawn(m);
  }

  pids(): Array<{ label: string; pid: number }> {
    return this.managed.flatMap((m) => (m.child?.pid !== undefined && m.exited ? [{ label: m.spec.label, pid: m.child.pid }] : []));
  }

  private spawn(m: Managed): boolean {
    const { spec } = m;
    const env = this.opts.env ?? process.env;
    let file: string;
    let args: string[];
    if (spec.kind === 'exec') {
      file = spec.program;
      args = spec.args;
    } else {
      const bin = resolveHelperBin(spec.program, env);
      if (!bin) {
        this.opts.log.warn({ helper: spec.label, program: spec.program }, `error launching ${spec.label}: ${spec.program} not found`);
        return false;
      }
      file = process.execPath;
      args = [bin, ...spec.args];
    }
    const onTerminal = spec.kind === 'console';
    // Everything but the console gets its own process group, so a Ctrl-C typed at the daemon's
    // terminal reaches only the daemon, which then shuts the guest down in order.
    const child = execa(file, args, {
      env,
      extendEnv: false,
      reject: false,
      buffer: false,
      cleanup: false,
      detached: !onTerminal,
      stdin: onTerminal ? 'inherit' : 'ignore',
      stdout: onTerminal ? 'inherit' : 'inherit',
      stderr: onTerminal ? 'inherit' : 'pipe',
    });
    m.child = child;
    const pid = child.pid;
    if (spec.kind === 'exec' && pid !== undefined) this.tellWatchdog(`+${pid}`);
    m.startedAt = Date.now();
    m.lastLine = undefined;
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        m.lastLine = line;
        const error = this.opts.onError && errorLogMessage(line);
        if (error) this.opts.onError!(spec.label, error);
        else (this.opts.forward ?? ((l: string) => void process.stderr.write(`${l}\n`)))(line);
      });
    }
    this.opts.log.info({ helper: spec.label, helperPid: child.pid, cmd: [spec.program, ...spec.args].join(' ') }, `launched ${spec.label}`);
    if (onTerminal) this.opts.onConsole?.(true);
    m.exited = child.then((result) => {
      if (onTerminal) this.opts.onConsole?.(false);
      m.exited = undefined;
      if (spec.kind === 'exec' && pid !== undefined) this.tellWatchdog(`-${pid}`);
      if (result.failed && result.exitCode === undefined && !result.signal) {
        this.opts.onError?.(spec.label, `cannot run ${spec.program}: ${result.code ?? result.originalMessage}`);
      }
      const reason = result.signal
        ? `signal ${result.signal}`
        : result.exitCode !== undefined
          ? `exit code ${result.exitCode}`
          : (result.shortMessage ?? 'failed to start');
      if (this.stopping) return;
      this.afterExit(m, reason, result.exitCode);
    });
    return child.pid !== undefined;
  }

  /**
   * execN programs lead a process group each (detached), and the watchdog, a small process in a
   * session of its own, learns every group; when its stdin pipe closes because the daemon ended or
   * was killed, it terminates the groups still alive (exec-watchdog.ts).
   */
  private tellWatchdog(line: string): void {
    if (!this.watchdog) {
      const env = this.opts.env ?? process.env;
      // node:child_process, not execa: execa's subprocess cannot be unref'd.
      const watchdog = spawn(process.execPath, [EXEC_WATCHDOG], { env, detached: true, stdio: ['pipe', 'ignore', 'inherit'] });
      watchdog.on('error', (err) => this.opts.log.warn({ err }, 'cannot start the execN watchdog'));
      watchdog.stdin!.on('error', (err) => this.opts.log.warn({ err }, 'the execN watchdog is gone'));
      // Neither the watchdog nor the pipe keeps the daemon alive: it exits as it would without them.
      watchdog.unref();
      (watchdog.stdin as Socket).unref();
      this.watchdog = watchdog;
    }
    this.watchdog.stdin!.write(`${line}\n`);
  }

  private afterExit(m: Managed, reason: string, exitCode: number | undefined): void {
    const { spec, lastLine } = m;
    const log = this.opts.log;
    const detail = lastLine ? { reason, lastMessage: lastLine } : { reason };
    if (spec.kind === 'exec') {
      log.info({ helper: spec.label, ...detail }, `${spec.label} '${spec.program}' ended`);
      return;
    }
    if (spec.kind === 'console' && exitCode === 0) {
      log.info({ helper: spec.label }, 'console detached');
      return;
    }
    if (Date.now() - m.startedAt > STABLE_MS) m.backoffMs = FIRST_BACKOFF_MS;
    const delay = m.backoffMs;
    m.backoffMs = Math.min(m.backoffMs * 2, this.opts.backoffCapMs ?? 30_000);
    log.warn({ helper: spec.label, ...detail, restartInMs: delay }, `${spec.label} helper exited (${reason})`);
    m.timer = setTimeout(() => void this.restartWhenFree(m), delay);
  }

  private async restartWhenFree(m: Managed): Promise<void> {
    m.timer = undefined;
    if (this.stopping) return;
    const state = m.spec.module === undefined ? 'free' : await this.opts.probe(m.spec.module).catch(() => 'free' as const);
    if (this.stopping || state === 'gone') return;
    if (state === 'held') {
      this.opts.log.info({ helper: m.spec.label }, `${m.spec.label} is held by another process (taken over); not restarting while it holds it`);
      m.timer = setTimeout(() => void this.restartWhenFree(m), Math.min(m.backoffMs, 5000));
      return;
    }
    m.restarts++;
    this.opts.log.info({ helper: m.spec.label, restarts: m.restarts }, `restarting ${m.spec.label}`);
    this.spawn(m);
  }

  /** From now on exits are expected (the monitor is being closed): nothing is restarted. */
  beginStop(): void {
    this.stopping = true;
    for (const m of this.managed) if (m.timer) clearTimeout(m.timer);
  }

  /**
   * Final stop (docs/colinux.md#run-loop): execN programs are terminated at once; helpers normally exit
   * by themselves on end-of-monitor, and any still running after `graceMs` is terminated, then killed.
   */
  async stopAll(graceMs: number): Promise<void> {
    this.beginStop();
    const running = this.managed.filter((m) => m.exited !== undefined && m.child !== undefined);
    for (const m of running) if (m.spec.kind === 'exec') killGroup(m.child!.pid!, 'SIGTERM');
    // The watchdog sends SIGKILL to a group that is still there after its grace period.
    this.watchdog?.stdin!.end();
    await Promise.race([allExited(running), delay(graceMs)]);
    const left = running.filter((m) => m.exited !== undefined);
    for (const m of left) {
      this.opts.log.warn({ helper: m.spec.label, helperPid: m.child!.pid }, `${m.spec.label} still running after the monitor ended; terminating it`);
      m.child!.kill('SIGTERM');
    }
    await Promise.race([allExited(left), delay(2000)]);
    for (const m of left) if (m.exited !== undefined) m.child!.kill('SIGKILL');
    await Promise.race([allExited(left), delay(1000)]);
  }
}

/** Resolves when every one of `helpers` has exited (`exited` is cleared once it has). */
function allExited(helpers: Managed[]): Promise<void[]> {
  return Promise.all(helpers.map((m) => m.exited ?? Promise.resolve()));
}

/** execN programs are detached: each leads a process group, which gets the signal as a whole. */
function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is empty already
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
