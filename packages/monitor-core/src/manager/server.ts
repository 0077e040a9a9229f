// The manager: serves the endpoint and brokers the monitors, the role coLinux's linux.sys driver
// played. One per user (per runtime dir), guarded by lock.ts. Each monitor runs in a process of
// its own (monitor-server.ts) that the manager starts and lists (registry.ts); CREATE and ATTACH
// answer with that process's endpoint, where the client goes on (docs/manager.md).
import {
  BodyError,
  BodyReader,
  FrameError,
  ManagerState,
  PROTOCOL_VERSION,
  Rc,
  Requests,
  decodeRecords,
  type Frame,
  type ManagerStatus,
  type MonitorInfo,
} from '@colinux/protocol';
import { runtimeDir } from '@colinux/client';
import { prepareMachineCache } from './compile-cache.ts';
import { EndpointServer, type EndpointOptions } from './endpoint-server.ts';
import { hostmemLimit } from './hostmem.ts';
import { acquireEndpoint, type EndpointLock } from './lock.ts';
import { MonitorRegistry } from './registry.ts';
import { admit } from './rules.ts';
import type { ClientSession } from './session.ts';

export { ENDPOINT_CHECK_MS } from './endpoint-server.ts';

export interface ManagerOptions extends EndpointOptions {
  /** Called after a SHUTDOWN request has closed the server (main.ts exits the process). */
  onShutdown?: () => void;
}

/** Control requests that name their monitor first (u32 id): passed to its process. */
const CONTROL_REQUESTS = new Set<number>(
  [Requests.MONITOR_STATUS, Requests.POWER, Requests.SYSRQ, Requests.DISK_SNAPSHOT, Requests.FORWARD, Requests.SUSPEND].map((r) => r.code),
);

export class ManagerServer extends EndpointServer {
  readonly runtimeDir: string;
  readonly monitors: MonitorRegistry;
  private readonly onShutdown: (() => void) | undefined;

  private constructor(opts: ManagerOptions) {
    super(opts, 'colinux-monitor-core');
    this.runtimeDir = runtimeDir(this.env);
    this.monitors = new MonitorRegistry(this.env, this.transport.name, this.log, opts.limits);
    this.onShutdown = opts.onShutdown;
  }

  /** Takes the endpoint (refusing if another manager serves it, replacing a stale socket), finds
   *  the monitors a previous manager started, and listens. */
  static async start(opts: ManagerOptions = {}): Promise<ManagerServer> {
    const m = new ManagerServer(opts);
    // Before serving: the first CREATE follows the first STATUS at once.
    await Promise.all([prepareMachineCache(m.log), m.monitors.discover()]);
    await m.serve();
    m.log.info({ endpoint: m.endpoint, transport: m.transport.name, protocolVersion: PROTOCOL_VERSION, monitors: m.monitors.size }, 'manager serving');
    return m;
  }

  protected acquire(): Promise<EndpointLock> {
    return acquireEndpoint(this.env, this.log);
  }

  protected get busy(): boolean {
    return this.monitors.size > 0;
  }

  async status(): Promise<ManagerStatus> {
    const monitors = await this.monitorList();
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

  async monitorList(): Promise<MonitorInfo[]> {
    await this.monitors.refresh();
    return this.monitors.list();
  }

  protected async stopWork(): Promise<void> {
    await this.monitors.stopAll();
  }

  async requestShutdown(): Promise<void> {
    await this.close();
    this.onShutdown?.();
  }

  protected sessionClosed(): void {
    // A connection to the manager holds nothing: monitors are owned at their own endpoints.
  }

  /** Records need a monitor: they go to its endpoint, never through the manager. */
  protected handleMessages(session: ClientSession, frame: Frame): void {
    for (const _ of decodeRecords(frame.body)) session.notice(Rc.MONITOR_NOT_LOADED, 'message refused: this connection is not attached to a monitor');
  }

  protected async handleRequest(session: ClientSession, req: Frame): Promise<void> {
    try {
      if (CONTROL_REQUESTS.has(req.code)) return await this.control(session, req);
      switch (req.code) {
        case Requests.STATUS.code:
          return await this.statusRequest(session, req);
        case Requests.INFO.code:
          return session.reply(req, Rc.OK, Requests.INFO.reply.encode({ hostmemLimit: hostmemLimit(this.env), hostmemUsed: this.monitors.hostmemUsed() }));
        case Requests.MONITOR_LIST.code:
          return session.reply(req, Rc.OK, Requests.MONITOR_LIST.reply.encode(await this.monitorList()));
        case Requests.CREATE.code:
          return await this.create(session, req);
        case Requests.ATTACH.code:
          return this.attach(session, req);
        case Requests.MONITOR.code:
        case Requests.RESUME.code: // the owner's, at its monitor's process
          return session.replyError(req, Rc.MONITOR_NOT_LOADED, 'this connection has not created or attached a monitor');
        case Requests.DEBUG.code:
          // CO_MANAGER_IOCTL_DEBUG: a client appends a line to the manager's log.
          this.log.info({ client: session.id, debug: Requests.DEBUG.request.decode(req.body) }, 'client debug line');
          return session.reply(req, Rc.OK);
        case Requests.DEBUG_READER.code:
          return this.debugReader(session, req);
        case Requests.SHUTDOWN.code:
          return this.shutdown(session, req);
        default:
          return session.replyError(req, Rc.ERROR, `unknown manager ioctl 0x${req.code.toString(16)}`);
      }
    } catch (err) {
      if (err instanceof BodyError || err instanceof FrameError) return session.replyError(req, Rc.INVALID_PARAMETER, err.message);
      this.log.error({ err }, 'request failed');
      session.replyError(req, Rc.ERROR, `internal error: ${(err as Error).message}`);
    }
  }

  private async statusRequest(session: ClientSession, req: Frame): Promise<void> {
    const theirs = Requests.STATUS.request.decode(req.body);
    const body = Requests.STATUS.reply.encode(await this.status());
    if (theirs !== PROTOCOL_VERSION) {
      this.log.error(
        { client: session.id, clientVersion: theirs, managerVersion: PROTOCOL_VERSION },
        `client speaks protocol version ${theirs}, this manager speaks ${PROTOCOL_VERSION}`,
      );
      return session.reply(req, Rc.VERSION_MISMATCHED, body);
    }
    session.reply(req, Rc.OK, body);
  }

  /** CREATE: admitted here (id, count, host memory), then the monitor's process is started and
   *  named in the reply; the client CREATEs again there and becomes the owner. */
  private async create(session: ClientSession, req: Frame): Promise<void> {
    const { id, config } = Requests.CREATE.request.decode(req.body);
    const refused = admit(id, config.memoryMiB, { ids: this.monitors.ids(), usedBytes: this.monitors.hostmemUsed() }, hostmemLimit(this.env));
    if (refused) return session.replyError(req, refused.rc, refused.text);
    let endpoint: string;
    try {
      endpoint = (await this.monitors.start(id, config.memoryMiB)).endpoint;
    } catch (err) {
      this.log.error({ monitor: id, err: (err as Error).message }, 'monitor process did not start');
      return session.replyError(req, Rc.ERROR, (err as Error).message);
    }
    this.log.info({ monitor: id, client: session.id, memoryMiB: config.memoryMiB, endpoint }, 'monitor created');
    session.reply(req, Rc.OK, Requests.CREATE.reply.encode(endpoint));
  }

  /** ATTACH: the monitor's endpoint, where the client attaches (and the rules apply). */
  private attach(session: ClientSession, req: Frame): void {
    const a = Requests.ATTACH.request.decode(req.body);
    const entry = this.monitors.get(a.id);
    if (!entry?.link) return session.replyError(req, Rc.ERROR, `no monitor ${a.id}`);
    session.reply(req, Rc.OK, Requests.ATTACH.reply.encode(entry.endpoint));
  }

  /** Control requests name their monitor first (u32 id): passed to its process, its answer back.
   *  For a monitor that has ended: NOT_FOUND with why (its owner asks when its link broke). */
  private async control(session: ClientSession, req: Frame): Promise<void> {
    const id = new BodyReader(req.body, 'control request').u32('monitor id');
    const link = this.monitors.get(id)?.link;
    const answer = await link?.relay(req.code, req.body).catch(() => undefined);
    if (answer) return session.reply(req, answer.rc, answer.body);
    const why = await this.monitors.endedReason(id);
    session.replyError(req, Rc.NOT_FOUND, why ? `monitor ${id} ended: ${why}` : `no monitor ${id}`);
  }

  private debugReader(session: ClientSession, req: Frame): void {
    session.logReader = true;
    session.reply(req, Rc.OK);
    const unsubscribe = this.subscribeLog((line) => session.logLine(req.seq, line));
    session.onClose(unsubscribe);
  }

  private shutdown(session: ClientSession, req: Frame): void {
    if (this.monitors.size > 0) return session.replyError(req, Rc.ERROR, 'monitors are running, cannot remove driver');
    session.reply(req, Rc.OK);
    this.log.info({ client: session.id }, 'shutdown requested');
    setImmediate(() => void this.requestShutdown());
  }
}
