// The manager: serves the endpoint and owns every monitor, the role coLinux's linux.sys driver
// played. One per user (per runtime dir), guarded by lock.ts.
import fs from 'node:fs';
import { FrameError, FrameKind, ManagerState, PROTOCOL_VERSION, Rc, type Frame, type ManagerStatus, type MonitorInfo } from '@colinux/protocol';
import { runtimeDir, selectTransport, type Connection, type Transport, type TransportName, type TransportServer } from '@colinux/client';
import type pino from 'pino';
import { prepareMachineCache } from './compile-cache.ts';
import { EndpointBusyError, acquireEndpoint, type EndpointLock } from './lock.ts';
import { createManagerLog, type LogListener, type ManagerLog } from './log.ts';
import type { Monitor } from './monitor.ts';
import { handleMessages, handleRequest } from './requests.ts';
import { CLIENT_LIMITS, ClientSession, type ClientLimits } from './session.ts';

export interface ManagerOptions {
  env?: NodeJS.ProcessEnv;
  transport?: TransportName;
  /** Log to stderr as well as to DEBUG_READER clients (default true). */
  logToStderr?: boolean;
  /** Called after a SHUTDOWN request has closed the server (main.ts exits the process). */
  onShutdown?: () => void;
  /** Per-connection limits (session.ts CLIENT_LIMITS); tests shorten the timeouts. */
  limits?: Partial<ClientLimits>;
}

/** How often connections are checked for half-sent frames and idleness. */
const SWEEP_MS = 1000;

/** How often the manager checks that its socket is still where clients look for it. */
export const ENDPOINT_CHECK_MS = 2000;

export class ManagerServer {
  readonly env: NodeJS.ProcessEnv;
  readonly runtimeDir: string;
  readonly log: pino.Logger;
  readonly startedAt = Date.now();
  /** Most recently created first, as coLinux's head-inserted monitor list. */
  readonly monitors = new Map<number, Monitor>();
  private order: Monitor[] = [];
  private readonly sessions = new Set<ClientSession>();
  /** Monitors closed whose workers have not exited yet, so their disk images are still held. */
  private readonly releasing = new Set<Promise<void>>();
  private readonly logHub: ManagerLog;
  private readonly transport: Transport;
  /** Listening servers: the current endpoint's last; earlier ones serve only connections they
   *  accepted before their socket file vanished (node-ipc's stop() would drop those). */
  private servers: TransportServer[] = [];
  private lock: EndpointLock | undefined;
  /** The socket file we listen on (device and inode), to notice it vanishing or being replaced. */
  private endpointId = '';
  private endpointTimer: NodeJS.Timeout | undefined;
  private recreating = false;
  readonly limits: ClientLimits;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Another manager serves our endpoint now: never touch its socket or lock. */
  private orphaned = false;
  private readonly onShutdown: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  private constructor(opts: ManagerOptions) {
    this.env = opts.env ?? process.env;
    this.transport = selectTransport(opts.transport, this.env);
    this.limits = { ...CLIENT_LIMITS, ...opts.limits };
    this.runtimeDir = runtimeDir(this.env);
    this.logHub = createManagerLog({ toStderr: opts.logToStderr });
    this.log = this.logHub.log;
    this.onShutdown = opts.onShutdown;
  }

  /** Takes the endpoint (refusing if another manager serves it, replacing a stale socket) and listens. */
  static async start(opts: ManagerOptions = {}): Promise<ManagerServer> {
    const m = new ManagerServer(opts);
    m.lock = await acquireEndpoint(m.env, m.log);
    try {
      // Before serving: the first CREATE follows the first STATUS at once.
      await prepareMachineCache(m.log);
      await m.listen();
    } catch (err) {
      m.lock.release();
      throw err;
    }
    m.endpointTimer = setInterval(() => void m.checkEndpoint(), ENDPOINT_CHECK_MS);
    m.endpointTimer.unref();
    m.sweepTimer = setInterval(() => m.sweep(), Math.min(SWEEP_MS, m.limits.frameMs, m.limits.idleMs));
    m.sweepTimer.unref();
    m.log.info({ endpoint: m.lock.socketPath, transport: m.transport.name, protocolVersion: PROTOCOL_VERSION }, 'manager serving');
    return m;
  }

  private async listen(): Promise<void> {
    const socketPath = this.lock!.socketPath;
    this.servers.push(await this.transport.listen(socketPath, runtimeDir(this.env), (conn) => this.accept(conn)));
    this.endpointId = fileId(socketPath);
  }

  /**
   * The runtime dir or the socket file was removed (a cleanup of /tmp, `rm -rf` by hand): nobody
   * can connect any more, and the next daemon would start a second manager. Without monitors the
   * manager stops, as after --remove-driver; with monitors it makes the dir, lock and socket
   * again so their consoles and helpers can still reach them.
   */
  private async checkEndpoint(): Promise<void> {
    if (this.closing || this.recreating) return;
    if (!this.orphaned && fileId(this.endpoint) === this.endpointId) return;
    if (this.monitors.size === 0) {
      this.log.warn({ endpoint: this.endpoint }, 'the endpoint vanished and no monitor runs: stopping');
      await this.requestShutdown();
      return;
    }
    if (this.orphaned) return;
    this.recreating = true;
    try {
      this.lock = await acquireEndpoint(this.env, this.log);
      await this.listen();
      this.log.warn({ endpoint: this.endpoint, monitors: this.monitors.size }, 'the endpoint vanished: made it again');
    } catch (err) {
      // Another manager took the endpoint meanwhile: keep serving our connected clients; once
      // our last monitor ends, the next check stops this manager.
      const busy = err instanceof EndpointBusyError;
      this.orphaned = busy;
      this.log.error({ endpoint: this.endpoint, err: (err as Error).message }, busy ? 'the endpoint vanished and another manager serves it now' : 'cannot make the endpoint again');
    } finally {
      this.recreating = false;
    }
  }

  get endpoint(): string {
    return this.lock?.socketPath ?? '';
  }

  subscribeLog(fn: LogListener): () => void {
    return this.logHub.subscribe(fn);
  }

  status(): ManagerStatus {
    const monitors = this.monitorList();
    return {
      protocolVersion: PROTOCOL_VERSION,
      state: ManagerState.INITIALIZED,
      monitorCount: monitors.length,
      pid: process.pid,
      startedAt: this.startedAt,
      rssBytes: process.memoryUsage.rss(),
      monitors,
    };
  }

  monitorList(): MonitorInfo[] {
    return this.order.map((m) => m.info());
  }

  hostmemUsed(): number {
    let used = 0;
    for (const m of this.monitors.values()) used += m.config.memoryMiB * 1024 * 1024;
    return used;
  }

  addMonitor(m: Monitor): void {
    this.monitors.set(m.id, m);
    this.order.unshift(m);
  }

  closeMonitor(m: Monitor, why: string): void {
    if (this.monitors.get(m.id) !== m) return;
    this.monitors.delete(m.id);
    this.order = this.order.filter((x) => x !== m);
    m.close(why);
    const released = m.machineExited();
    this.releasing.add(released);
    void released.finally(() => this.releasing.delete(released));
  }

  /** Resolves once every closed monitor has released its disk images (at most the worker's stop
   *  grace): a VM created right after another ended on the same image is then not refused. */
  async imagesReleased(): Promise<void> {
    await Promise.all(this.releasing);
  }

  /** Stops serving: every monitor is closed (clients get end-of-monitor), the endpoint released. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const monitors = [...this.monitors.values()];
      for (const m of monitors) this.closeMonitor(m, 'the manager is stopping');
      // A worker flushes Node's compile cache into the runtime dir as it exits: wait for them, so
      // that whoever removes the runtime dir after close() does not see it written again.
      await Promise.all(monitors.map((m) => m.machineExited()));
      clearInterval(this.endpointTimer);
      clearInterval(this.sweepTimer);
      for (const s of this.sessions) s.conn.end();
      const servers = this.servers;
      this.servers = [];
      setTimeout(() => {
        for (const s of this.sessions) s.conn.destroy();
      }, 200).unref();
      await Promise.all(servers.map((server) => server.close()));
      if (!this.orphaned) this.lock?.release();
      this.log.info('manager stopped');
    })();
    return this.closing;
  }

  async requestShutdown(): Promise<void> {
    await this.close();
    this.onShutdown?.();
  }

  private accept(conn: Connection): void {
    const session = new ClientSession(conn, this.limits);
    this.makeRoomForUnbound();
    this.sessions.add(session);
    this.log.debug({ client: session.id }, 'client connected');
    conn.onData((chunk) => this.receive(session, chunk));
    conn.onDrain(() => this.serveBacklog(session));
    conn.onClose(() => this.disconnected(session));
  }

  /** At most `limits.unbound` connections tied to no monitor: the longest idle one goes. */
  private makeRoomForUnbound(): void {
    const unbound = [...this.sessions].filter((s) => s.unbound);
    if (unbound.length < this.limits.unbound) return;
    const idlest = unbound.reduce((a, b) => (b.lastActivity < a.lastActivity ? b : a));
    this.log.warn({ client: idlest.id, unbound: unbound.length }, 'too many connections bound to no monitor: closing the longest idle');
    idlest.conn.destroy();
  }

  /** Half-sent frames and idle connections bound to nothing are closed. */
  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions) {
      if (s.partialSince && !s.paused && now - s.partialSince > this.limits.frameMs) {
        this.log.warn({ client: s.id, buffered: s.decoder.buffered }, `a frame was not completed within ${this.limits.frameMs} ms: closing the connection`);
        s.conn.destroy();
      } else if (s.unbound && s.inFlight === 0 && now - s.lastActivity > this.limits.idleMs) {
        this.log.info({ client: s.id }, `connection bound to no monitor idle for ${this.limits.idleMs} ms: closing it`);
        s.conn.destroy();
      }
    }
  }

  private receive(session: ClientSession, chunk: Uint8Array): void {
    if (session.rejected) return;
    session.lastActivity = Date.now();
    let frames: Frame[];
    try {
      frames = session.decoder.push(chunk);
    } catch (err) {
      // The stream is out of step: nothing after this can be trusted, close the connection.
      this.log.warn({ client: session.id, err: (err as Error).message }, 'bad frame, closing connection');
      session.conn.destroy();
      return;
    }
    if (session.decoder.buffered === 0) session.partialSince = 0;
    else if (frames.length > 0 || session.partialSince === 0) session.partialSince = session.lastActivity;
    session.backlog.push(...frames);
    this.serveBacklog(session);
  }

  /**
   * Serves decoded frames in order while the client keeps up: one that does not read its replies
   * (or has many requests being served) is not read from until it drains, so what the manager
   * holds for it stays bounded (the client's further writes wait in the OS).
   */
  private serveBacklog(session: ClientSession): void {
    while (session.backlog.length > 0 && !session.rejected) {
      if (session.saturated) {
        session.paused = true;
        session.conn.pause();
        return;
      }
      this.serveFrame(session, session.backlog.shift()!);
    }
    if (!session.paused) return;
    session.paused = false;
    if (session.partialSince) session.partialSince = Date.now();
    session.conn.resume();
  }

  private serveFrame(session: ClientSession, f: Frame): void {
    try {
      if (f.kind === FrameKind.REQUEST) {
        session.inFlight++;
        void handleRequest(this, session, f).finally(() => {
          session.inFlight--;
          this.serveBacklog(session);
        });
      } else if (f.kind === FrameKind.MESSAGES) handleMessages(this, session, f);
      else if (f.kind === FrameKind.ANSWER) session.answered(f);
      else session.notice(Rc.INVALID_PARAMETER, `frame kind ${f.kind} is not accepted from clients`);
    } catch (err) {
      // Bad records (FrameError) or a bug: either way only this connection pays for it.
      const known = err instanceof FrameError;
      if (known) this.log.warn({ client: session.id, err: (err as Error).message }, 'bad message records, closing connection');
      else this.log.error({ client: session.id, err }, 'internal error on a client frame, closing connection');
      session.notice(Rc.INVALID_PARAMETER, known ? (err as Error).message : 'internal error');
      session.rejected = true;
      session.backlog.length = 0;
      session.conn.end();
    }
  }

  private disconnected(session: ClientSession): void {
    this.sessions.delete(session);
    session.runCloseHooks();
    session.dropCalls();
    const m = session.monitor;
    if (m) {
      if (m.owner === session) this.closeMonitor(m, 'its owner disconnected');
      else m.detach(session);
    }
    if (session.droppedMessages || session.droppedLogLines) {
      this.log.info({ client: session.id, droppedMessages: session.droppedMessages, droppedLogLines: session.droppedLogLines }, 'client left with drops');
    }
    this.log.debug({ client: session.id }, 'client disconnected');
  }
}

/** "dev:ino" of a file, '' when it is gone. */
function fileId(file: string): string {
  try {
    const st = fs.lstatSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return '';
  }
}
