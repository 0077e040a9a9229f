// The manager's registry of monitor processes (docs/manager.md "Monitor processes"): it starts
// them, keeps one connection (a link) to each, and finds those a previous manager started when it
// starts itself (their endpoints in the runtime dir, checked by asking them STATUS). A monitor
// leaves the registry when its link closes; why it ended is kept a while for its owner to ask.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManagerState, MonitorState, type MonitorInfo } from '@colinux/protocol';
import { ManagerClient, monitorEndpointPath, monitorIdOfEndpoint, monitorLogName, runtimeDir, type TransportName } from '@colinux/client';
import type pino from 'pino';
import { MONITOR_PROCESS_ENV } from '../machine/monitor-process.ts';
import { managerBinPath } from './bin-path.ts';
import { CREATE_WAIT_MS } from './monitor-host.ts';
import type { ClientLimits } from './session.ts';

/** A found monitor process still waiting for its owner's CREATE is looked at again this often,
 *  for as long as it waits (monitor-server.ts CREATE_WAIT_MS). */
const DISCOVER_AGAIN_MS = 500;
/** How long a starting monitor process gets to answer on its endpoint. */
const START_TIMEOUT_MS = 15_000;
/** How often a starting monitor process's endpoint is tried. */
const START_POLL_MS = 10;
/** A link asks its monitor's STATUS this often, so the listed state stays fresh. */
const KEEPALIVE_MS = 10_000;
/** How long a refresh (MONITOR_LIST, STATUS) waits for one monitor before using what it knew. */
const REFRESH_TIMEOUT_MS = 1000;
/** A monitor process whose link closed gets this long to exit before it is killed. */
const EXIT_WAIT_MS = 3000;
/** A stopping manager gives its monitors this long to close before killing them. */
const STOP_WAIT_MS = 5000;
/** Why monitors ended, kept this long for their owners to ask (MONITOR_STATUS). */
const ENDED_KEEP_MS = 60_000;

export interface MonitorEntry {
  readonly id: number;
  readonly endpoint: string;
  readonly memoryMiB: number;
  /** Last known: from the monitor's STATUS, or what CREATE asked while it starts. */
  info: MonitorInfo;
  /** The monitor process, its memory from its last STATUS. */
  pid: number;
  rssBytes: number;
  link: ManagerClient | undefined;
  /** Set when this manager started the process: its exit status names the reason. */
  child: ChildProcess | undefined;
  /** Resolves with the reason once the monitor has left the registry. */
  gone: Promise<string> | undefined;
  /** Its monitor has ended and its process is exiting: no longer listed or counted. */
  closed: boolean;
}

export class MonitorRegistry {
  private readonly entries = new Map<number, MonitorEntry>();
  private readonly ended = new Map<number, { why: string; at: number }>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly transport: TransportName;
  private readonly log: pino.Logger;
  /** The manager's connection limits where they differ from the defaults (tests): the monitor
   *  processes apply the same. */
  private readonly limits: Partial<ClientLimits>;

  constructor(env: NodeJS.ProcessEnv, transport: TransportName, log: pino.Logger, limits: Partial<ClientLimits> = {}) {
    this.env = env;
    this.transport = transport;
    this.log = log;
    this.limits = limits;
  }

  /** The monitors that exist: starting or running, not closed. */
  private live(): MonitorEntry[] {
    return [...this.entries.values()].filter((e) => !e.closed);
  }

  get size(): number {
    return this.live().length;
  }

  ids(): Set<number> {
    return new Set(this.live().map((e) => e.id));
  }

  get(id: number): MonitorEntry | undefined {
    const e = this.entries.get(id);
    return e && !e.closed ? e : undefined;
  }

  /** Most recently created first, as coLinux's head-inserted monitor list. */
  list(): MonitorInfo[] {
    return this.live()
      .map((e) => e.info)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  hostmemUsed(): number {
    let used = 0;
    for (const e of this.live()) used += e.memoryMiB * 1024 * 1024;
    return used;
  }

  /** Monitor processes a previous manager started: every `monitor-<id>.sock` of the runtime dir
   *  that answers STATUS is registered; one nobody answers on is a dead process's, removed. */
  async discover(): Promise<void> {
    const dir = runtimeDir(this.env);
    const ids = fs
      .readdirSync(dir)
      .map(monitorIdOfEndpoint)
      .filter((id): id is number => id !== undefined);
    await Promise.all(
      ids.map(async (id) => {
        if ((await this.discoverOne(id)) === 'starting') this.discoverLater(id, Date.now() + CREATE_WAIT_MS);
      }),
    );
  }

  /** Monitor `id`'s endpoint: registered when its process serves its monitor ('found'); a stale
   *  socket is removed ('gone'); a process still waiting for its owner's CREATE is 'starting'. */
  private async discoverOne(id: number): Promise<'found' | 'gone' | 'starting' | undefined> {
    const endpoint = monitorEndpointPath(this.env, id);
    const link = await this.connect(endpoint, REFRESH_TIMEOUT_MS).catch(() => undefined);
    const status = await link?.status().catch(() => undefined);
    const info = status?.monitors.find((m) => m.id === id);
    if (!link || !status || !info || this.entries.has(id)) {
      await link?.close();
      if (link) return status?.state === ManagerState.INITIALIZED && !info ? 'starting' : undefined;
      this.log.warn({ endpoint }, 'removing the endpoint of a monitor process that is gone');
      fs.rmSync(endpoint, { force: true });
      return 'gone';
    }
    const entry: MonitorEntry = {
      id,
      endpoint,
      memoryMiB: info.memoryMiB,
      info,
      pid: status.pid,
      rssBytes: status.rssBytes,
      link: undefined,
      child: undefined,
      gone: undefined,
      closed: false,
    };
    this.entries.set(id, entry);
    this.adopt(entry, link);
    this.log.info({ monitor: id, pid: status.pid }, 'found a running monitor');
    return 'found';
  }

  /** A monitor process that answered before its owner's CREATE: registered once it lists its
   *  monitor, forgotten when it stops (it does without a CREATE, monitor-server.ts). */
  private discoverLater(id: number, until: number): void {
    const timer = setTimeout(() => {
      if (this.entries.has(id)) return;
      void this.discoverOne(id).then((found) => {
        if (found === 'starting' && Date.now() < until) this.discoverLater(id, until);
      });
    }, DISCOVER_AGAIN_MS);
    timer.unref();
  }

  /** Starts monitor `id`'s process and resolves once it answers on its endpoint; throws one line
   *  when it does not. Its owner then CREATEs it there. */
  async start(id: number, memoryMiB: number): Promise<MonitorEntry> {
    const dir = runtimeDir(this.env);
    const endpoint = monitorEndpointPath(this.env, id);
    const entry: MonitorEntry = {
      id,
      endpoint,
      memoryMiB,
      info: { id, state: MonitorState.INITIALIZED, memoryMiB, createdAt: Date.now() },
      pid: 0,
      rssBytes: 0,
      link: undefined,
      child: undefined,
      gone: undefined,
      closed: false,
    };
    this.entries.set(id, entry);
    this.ended.delete(id);
    const logFile = path.join(dir, monitorLogName(id));
    const logFd = fs.openSync(logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      // detached: its own session and process group, so that the manager's death (or a signal to
      // the manager's group) does not take the VM.
      const limits = Object.keys(this.limits).length ? ['--limits', JSON.stringify(this.limits)] : [];
      child = spawn(process.execPath, [managerBinPath(this.env), '--monitor', String(id), '--transport', this.transport, ...limits], {
        env: { ...MONITOR_PROCESS_ENV, ...this.env },
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
    } finally {
      fs.closeSync(logFd);
    }
    child.unref();
    entry.child = child;
    entry.pid = child.pid ?? 0;
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exited with code ${code}`));
    child.once('error', (err) => (exited = err.message));
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const link = await this.connect(endpoint, REFRESH_TIMEOUT_MS).catch(() => undefined);
      if (link) {
        this.adopt(entry, link);
        this.log.info({ monitor: id, pid: entry.pid, log: logFile }, 'monitor process started');
        return entry;
      }
      if (exited !== undefined || Date.now() > deadline) {
        if (exited === undefined) child.kill('SIGKILL');
        this.entries.delete(id);
        throw new Error(`monitor ${id}: its process ${exited ?? `did not answer within ${START_TIMEOUT_MS} ms`}; see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, START_POLL_MS));
    }
  }

  private connect(endpoint: string, timeoutMs: number): Promise<ManagerClient> {
    return ManagerClient.connect({ env: this.env, transport: this.transport, endpoint, timeoutMs });
  }

  /** The link to a monitor process: a DEBUG_READER there (so never closed as idle; the lines are
   *  its own log's and are not needed here), and its closing is the monitor leaving. */
  private adopt(entry: MonitorEntry, link: ManagerClient): void {
    entry.link = link;
    void (async () => {
      for await (const _ of link.debugLog()) {
        // read and let go: the monitor process writes its log to monitor-<id>.log
      }
    })().catch(() => undefined);
    const keepalive = setInterval(() => void this.refreshOne(entry), KEEPALIVE_MS);
    keepalive.unref();
    link.on('end', () => {
      clearInterval(keepalive);
      if (entry.link === link) entry.gone ??= this.drop(entry);
    });
  }

  /** The link closed: the process is ending or has ended. One that still serves its monitor (a
   *  link broken some other way) is linked again. */
  private async drop(entry: MonitorEntry): Promise<string> {
    entry.link = undefined;
    // Unlisted at once: a process whose monitor has ended closes its link as it exits.
    const wasClosed = entry.closed;
    entry.closed = true;
    const again = wasClosed ? undefined : await this.connect(entry.endpoint, REFRESH_TIMEOUT_MS).catch(() => undefined);
    const status = await again?.status().catch(() => undefined);
    if (again && status?.state === ManagerState.INITIALIZED && status.monitors.some((m) => m.id === entry.id)) {
      this.log.warn({ monitor: entry.id }, 'the link to a monitor process broke: linked again');
      entry.closed = false;
      entry.gone = undefined;
      this.adopt(entry, again);
      return '';
    }
    await again?.close();
    const why = await this.exitOf(entry);
    this.entries.delete(entry.id);
    this.ended.set(entry.id, { why, at: Date.now() });
    for (const [id, e] of this.ended) if (Date.now() - e.at > ENDED_KEEP_MS) this.ended.delete(id);
    this.log.info({ monitor: entry.id, pid: entry.pid, why }, 'monitor process ended');
    return why;
  }

  /** Why a monitor process ended: its exit status when this manager started it, else only that
   *  it is gone (a process that is not our child cannot be waited for). */
  private async exitOf(entry: MonitorEntry): Promise<string> {
    const child = entry.child;
    const deadline = Date.now() + EXIT_WAIT_MS;
    if (child) {
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      if (child.signalCode) return `its process (pid ${entry.pid}) was killed by ${child.signalCode}`;
      if (child.exitCode !== null) return `its process (pid ${entry.pid}) exited with code ${child.exitCode}`;
    } else {
      // Not our child (a previous manager started it): its parent now is whoever reaps orphans.
      // While it is a zombie, /proc still has its exit status.
      while (pidAlive(entry.pid) && !zombieStatus(entry.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const status = zombieStatus(entry.pid);
      if (status) return `its process (pid ${entry.pid}) ${status}`;
      if (!pidAlive(entry.pid)) return `its process (pid ${entry.pid}) ended`;
    }
    this.log.error({ monitor: entry.id, pid: entry.pid }, 'a monitor process that closed its link did not exit: killing it');
    kill(entry.pid, 'SIGKILL');
    return `its process (pid ${entry.pid}) stopped answering and was killed`;
  }

  /** Why monitor `id` ended, once it has (waiting for a leaving one), or undefined. */
  async endedReason(id: number): Promise<string | undefined> {
    const entry = this.entries.get(id);
    if (entry?.gone) return (await entry.gone) || undefined;
    return this.ended.get(id)?.why;
  }

  /** Asks every monitor for its state (MONITOR_LIST, STATUS); one that does not answer in time
   *  keeps what was known. */
  async refresh(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => this.refreshOne(e)));
  }

  private async refreshOne(entry: MonitorEntry): Promise<void> {
    const link = entry.link;
    if (!link) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), REFRESH_TIMEOUT_MS)));
    const status = await Promise.race([link.status().catch(() => undefined), late]);
    clearTimeout(timer);
    if (!status) return;
    // A process whose monitor has ended says NOT_INITIALIZED (monitor-server.ts) until it exits.
    if (status.state !== ManagerState.INITIALIZED) {
      entry.closed = true;
      return;
    }
    const info = status.monitors.find((m) => m.id === entry.id);
    if (!info) return;
    entry.info = info;
    entry.pid = status.pid;
    entry.rssBytes = status.rssBytes;
  }

  /** The manager is stopping (SIGTERM, tests): every monitor process is asked to stop (its owner
   *  and helpers get end-of-monitor) and waited for; one that does not stop in time is killed. */
  async stopAll(): Promise<void> {
    const entries = [...this.entries.values()];
    for (const e of entries) kill(e.pid, 'SIGTERM');
    const deadline = Date.now() + STOP_WAIT_MS;
    while (entries.some((e) => pidAlive(e.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const e of entries) if (pidAlive(e.pid)) kill(e.pid, 'SIGKILL');
    await Promise.all(
      entries.map(async (e) => {
        if (e.gone) await e.gone;
        else await e.link?.close();
      }),
    );
  }
}

/** A zombie's exit status from /proc/<pid>/stat (proc(5): state, field 3; exit_code, field 52,
 *  the wait status), or undefined when the process is not a zombie. */
function zombieStatus(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] !== 'Z') return undefined;
  const wait = Number(fields[49]);
  const signal = wait & 0x7f;
  if (!Number.isInteger(wait)) return 'ended';
  if (signal === 0) return `exited with code ${(wait >> 8) & 0xff}`;
  const name = Object.entries(os.constants.signals).find(([, n]) => n === signal)?.[0] ?? `signal ${signal}`;
  return `was killed by ${name}`;
}

function pidAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
