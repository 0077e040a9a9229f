// What every endpoint of ours does with its connections, the manager's (manager.sock) and each
// monitor process's (monitor-<id>.sock) alike: listen, frame decoding per connection, the
// per-connection limits (session.ts), the endpoint vanishing, close. What the frames mean is the
// subclass's: the manager brokers (server.ts), a monitor process serves its one monitor
// (monitor-server.ts).
import fs from 'node:fs';
import path from 'node:path';
import { FrameError, FrameKind, Rc, type Frame } from '@colinux/protocol';
import { selectTransport, type Connection, type Transport, type TransportName, type TransportServer } from '@colinux/client';
import type pino from 'pino';
import { EndpointBusyError, type EndpointLock } from './lock.ts';
import { createManagerLog, type LogListener, type ManagerLog } from './log.ts';
import { CLIENT_LIMITS, ClientSession, type ClientLimits } from './session.ts';

export interface EndpointOptions {
  env?: NodeJS.ProcessEnv;
  transport?: TransportName;
  /** Log to stderr as well as to DEBUG_READER clients (default true). */
  logToStderr?: boolean;
  /** Per-connection limits (session.ts CLIENT_LIMITS); tests shorten the timeouts. */
  limits?: Partial<ClientLimits>;
}

/** How often connections are checked for half-sent frames and idleness. */
const SWEEP_MS = 1000;

/** How often a server checks that its socket is still where clients look for it. */
export const ENDPOINT_CHECK_MS = 2000;

export abstract class EndpointServer {
  readonly env: NodeJS.ProcessEnv;
  readonly log: pino.Logger;
  readonly startedAt = Date.now();
  readonly limits: ClientLimits;
  protected readonly sessions = new Set<ClientSession>();
  protected readonly transport: Transport;
  private readonly logHub: ManagerLog;
  /** Listening servers: the current endpoint's last; earlier ones serve only connections they
   *  accepted before their socket file vanished (node-ipc's stop() would drop them). */
  private servers: TransportServer[] = [];
  protected lock: EndpointLock | undefined;
  /** The socket file we listen on (device and inode), to notice it vanishing or being replaced. */
  private endpointId = '';
  private endpointTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private recreating = false;
  /** Another server took our endpoint: never touch its socket or lock. */
  protected orphaned = false;
  protected closing: Promise<void> | undefined;

  protected constructor(opts: EndpointOptions, logName: string) {
    this.env = opts.env ?? process.env;
    this.transport = selectTransport(opts.transport, this.env);
    this.limits = { ...CLIENT_LIMITS, ...opts.limits };
    this.logHub = createManagerLog({ toStderr: opts.logToStderr, name: logName });
    this.log = this.logHub.log;
  }

  /** Takes the endpoint (refusing when another process serves it). */
  protected abstract acquire(): Promise<EndpointLock>;
  /** A REQUEST frame; its reply is the subclass's to write. */
  protected abstract handleRequest(session: ClientSession, req: Frame): Promise<void>;
  /** A MESSAGES frame (records to the guest). */
  protected abstract handleMessages(session: ClientSession, frame: Frame): void;
  /** A connection has closed. */
  protected abstract sessionClosed(session: ClientSession): void;
  /** Whether anything would be lost if this server stopped (its endpoint vanishing). */
  protected abstract get busy(): boolean;
  /** Stops the server's own work before its connections and endpoint go (close()). */
  protected abstract stopWork(): Promise<void>;
  /** Nobody can reach the server any more and it holds nothing: close and exit. */
  abstract requestShutdown(): Promise<void>;

  /** Acquires the endpoint and listens; then the sweeps and endpoint checks run. */
  protected async serve(): Promise<void> {
    this.lock = await this.acquire();
    try {
      await this.listen();
    } catch (err) {
      this.lock.release();
      throw err;
    }
    this.endpointTimer = setInterval(() => void this.checkEndpoint(), ENDPOINT_CHECK_MS);
    this.endpointTimer.unref();
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(SWEEP_MS, this.limits.frameMs, this.limits.idleMs));
    this.sweepTimer.unref();
  }

  private async listen(): Promise<void> {
    const socketPath = this.lock!.socketPath;
    this.servers.push(await this.transport.listen(socketPath, path.dirname(socketPath), (conn) => this.accept(conn)));
    // The 0700 runtime dir already keeps other users out; the socket itself is the owner's only
    // too (bind(2) leaves it to the umask).
    fs.chmodSync(socketPath, 0o600);
    this.endpointId = fileId(socketPath);
  }

  get endpoint(): string {
    return this.lock?.socketPath ?? '';
  }

  subscribeLog(fn: LogListener): () => void {
    return this.logHub.subscribe(fn);
  }

  /**
   * The runtime dir or the socket file was removed (a cleanup of /tmp, `rm -rf` by hand): nobody
   * can connect any more, and the next daemon would start a second manager. With nothing to keep
   * the server stops, as after --remove-driver; otherwise it makes the dir and endpoint again so
   * consoles and helpers can still reach it.
   */
  private async checkEndpoint(): Promise<void> {
    if (this.closing || this.recreating) return;
    if (!this.orphaned && fileId(this.endpoint) === this.endpointId) return;
    if (!this.busy) {
      this.log.warn({ endpoint: this.endpoint }, 'the endpoint vanished and nothing runs here: stopping');
      await this.requestShutdown();
      return;
    }
    if (this.orphaned) return;
    this.recreating = true;
    try {
      this.lock = await this.acquire();
      await this.listen();
      this.log.warn({ endpoint: this.endpoint }, 'the endpoint vanished: made it again');
    } catch (err) {
      // Another server took the endpoint meanwhile: keep serving our connected clients; once
      // nothing is left to serve, the next check stops this one.
      const busy = err instanceof EndpointBusyError;
      this.orphaned = busy;
      this.log.error(
        { endpoint: this.endpoint, err: (err as Error).message },
        busy ? 'the endpoint vanished and another process serves it now' : 'cannot make the endpoint again',
      );
    } finally {
      this.recreating = false;
    }
  }

  /** Stops serving: the subclass's work first, then every connection and the endpoint. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stopWork();
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
      this.log.info('stopped');
    })();
    return this.closing;
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
   * (or has many requests being served) is not read from until it drains, so what the server
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
        void this.handleRequest(session, f).finally(() => {
          session.inFlight--;
          this.serveBacklog(session);
        });
      } else if (f.kind === FrameKind.MESSAGES) this.handleMessages(session, f);
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
    this.sessionClosed(session);
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
