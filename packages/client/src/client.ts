// The client side of the manager protocol: what coLinux's user-mode libraries did with
// DeviceIoControl + ReadFile/WriteFile on \\.\CoLinuxDriver, over one stream connection.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import {
  AttachFlag,
  EndReason,
  FrameDecoder,
  FrameError,
  FrameKind,
  LINUX_MESSAGE_HEADER_SIZE,
  LOAD_CHUNK,
  MAX_PENDING_BYTES,
  MAX_RECORD_DATA,
  ManagerError,
  Module,
  MonitorOps,
  PROTOCOL_VERSION,
  Rc,
  Requests,
  decodeRecords,
  decodeStatusVersion,
  decodeText,
  encodeFrame,
  encodeRecords,
  encodeText,
  recordToLinux,
  toMessage,
  type ConsoleScreen,
  type ForwardOp,
  type Frame,
  type ManagerInfo,
  type ManagerStatus,
  type Message,
  type ModuleId,
  type MonitorConfig,
  type MonitorInfo,
  type MonitorOpSpec,
  type MonitorStatus,
  type PowerAction,
  type RequestSpec,
  type RunResult,
} from '@colinux/protocol';
import { endpointPath } from './endpoint.ts';
import { selectTransport, type Connection, type Transport, type TransportName } from './transport/index.ts';

export type EndCause = 'monitor-closed' | 'taken-over' | 'disconnected';

export interface ConnectOptions {
  env?: NodeJS.ProcessEnv;
  transport?: TransportName;
  timeoutMs?: number;
  /** Another endpoint than the manager's (the manager's link to a monitor process). */
  endpoint?: string;
  /** Unsent bytes beyond which message records are dropped (default MAX_PENDING_BYTES). */
  maxPendingBytes?: number;
}

interface Pending {
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  /** Negative rcs that are answers, not errors ('any': every rc, for relay). */
  okRcs?: readonly Rc[] | 'any';
  what: string;
  conn: Connection;
}

/** Where a request goes: the manager's endpoint (`home`), or the monitor's once CREATE or ATTACH
 *  named it (docs/manager.md "Monitor processes"). */
type Route = 'home' | 'monitor';

/** How long a client whose monitor connection broke waits for the manager to say why. */
const WHY_ENDED_MS = 5000;

/** LOAD_INITRD frames sent before waiting for a reply (a streamed initrd holds this many chunks). */
const INITRD_FRAMES_IN_FLIGHT = 4;

export class ManagerClient extends EventEmitter {
  private readonly transport: Transport;
  /** The endpoint connect() was given (the manager's), and the connection to it: closed once the
   *  client follows its monitor, made again when a manager request comes later. */
  private readonly homePath: string;
  private home: Connection | undefined;
  private homeConnecting: Promise<Connection> | undefined;
  /** The connection to the monitor's own process, once CREATE or ATTACH named its endpoint. */
  private monitorConn: Connection | undefined;
  /** Set once a monitor was followed: the manager's connection is then made again on demand. */
  private followed = false;
  /** Connections this client ended on purpose: their closing is no news. */
  private readonly retired = new WeakSet<Connection>();
  private readonly pending = new Map<number, Pending>();
  private readonly logListeners = new Map<number, (line: string | null) => void>();
  private readonly callHandlers = new Map<number, (body: Uint8Array) => Promise<string>>();
  private nextSeq = 1;
  private closing = false;
  private ended = false;
  /** The monitor this connection created or attached to. */
  monitorId: number | undefined;

  /** Message records not sent because the peer was not reading (send(), power()). */
  droppedMessages = 0;
  private readonly maxPendingBytes: number;

  private constructor(transport: Transport, homePath: string, conn: Connection, maxPendingBytes: number) {
    super();
    this.transport = transport;
    this.homePath = homePath;
    this.maxPendingBytes = maxPendingBytes;
    this.home = conn;
    this.listen(conn);
  }

  static async connect(opts: ConnectOptions = {}): Promise<ManagerClient> {
    const env = opts.env ?? process.env;
    const transport = selectTransport(opts.transport, env);
    const homePath = opts.endpoint ?? endpointPath(env);
    const conn = await transport.connect(homePath, opts.timeoutMs ?? 5000);
    return new ManagerClient(transport, homePath, conn, opts.maxPendingBytes ?? MAX_PENDING_BYTES);
  }

  private listen(conn: Connection): void {
    const decoder = new FrameDecoder();
    conn.onData((chunk) => this.receive(conn, decoder, chunk));
    conn.onClose(() => void this.closed(conn));
  }

  // ---- typed events --------------------------------------------------------------------------
  /** 'message': guest output for a module we hold or watch. 'end': our attachment ended.
   *  'refused': the manager refused something we sent without a request (e.g. a spoofed `from`). */
  override on(ev: 'message', fn: (m: Message) => void): this;
  override on(ev: 'end', fn: (cause: EndCause, detail?: string) => void): this;
  override on(ev: 'refused', fn: (err: ManagerError) => void): this;
  override on(ev: string | symbol, fn: (...args: any[]) => void): this;
  override on(ev: string | symbol, fn: (...args: any[]) => void): this {
    return super.on(ev, fn);
  }

  // ---- manager ioctls ---------------------------------------------------------------------
  /** STATUS of the manager, or of the monitor's own process once this client follows one (its
   *  pid and memory are the VM's; the answer also comes after all the output it sent before). */
  async status(): Promise<ManagerStatus> {
    const spec = Requests.STATUS;
    const f = await this.request(spec.code, spec.request.encode(PROTOCOL_VERSION), spec.name, [Rc.VERSION_MISMATCHED], 'monitor');
    // The version comes first in the reply, so a mismatch is readable whatever else changed.
    const theirs = f.body.length >= 4 ? decodeStatusVersion(f.body) : -1;
    if (f.rc === Rc.VERSION_MISMATCHED || theirs !== PROTOCOL_VERSION) {
      throw new ManagerError(
        Rc.VERSION_MISMATCHED,
        `manager speaks protocol version ${theirs}, this program speaks ${PROTOCOL_VERSION}: stop the manager (colinux-daemon --remove-driver) and use matching programs`,
      );
    }
    return spec.reply.decode(f.body);
  }

  async list(): Promise<MonitorInfo[]> {
    return this.call(Requests.MONITOR_LIST, undefined);
  }

  async info(): Promise<ManagerInfo> {
    return this.call(Requests.INFO, undefined);
  }

  /** CREATE at the manager, which starts the monitor's process and names its endpoint; the
   *  same CREATE there makes this client the owner. */
  async create(id: number, config: MonitorConfig): Promise<void> {
    // A connection that follows a monitor already belongs to it: its process refuses.
    await this.createOrAttach(Requests.CREATE, { id, config });
    this.monitorId = id;
  }

  /** `watch`: read-only observer of the modules' output (console-nt --read-only). */
  async attach(id: number, modules: ModuleId[], opts: { force?: boolean; watch?: boolean } = {}): Promise<void> {
    const flags = (opts.force ? AttachFlag.FORCE : 0) | (opts.watch ? AttachFlag.WATCH : 0);
    // Before the request: an END may arrive in the same read as the answer (taken over at once),
    // and is dispatched before this function resumes; it must not be overwritten here.
    const before = { monitorId: this.monitorId, ended: this.ended };
    this.monitorId = id;
    this.ended = false;
    try {
      await this.createOrAttach(Requests.ATTACH, { id, flags, modules });
    } catch (err) {
      // Refused or unreachable: the client is attached as it was before.
      this.monitorId = before.monitorId;
      this.ended = before.ended;
      throw err;
    }
  }

  /**
   * CREATE or ATTACH (`spec`), whose answer may name an endpoint (a socket in the runtime dir): the
   * monitor's own process, where the same request is made again and all further monitor traffic
   * goes. The connection to the manager is then closed (it would only count as idle there).
   */
  private async createOrAttach<Req>(spec: RequestSpec<Req, string>, value: Req): Promise<void> {
    const code = spec.code;
    const what = spec.name;
    const body = spec.request.encode(value);
    const answer = await this.request(code, body, what, undefined, this.monitorConn ? 'monitor' : 'home');
    const endpoint = spec.reply.decode(answer.body);
    if (!endpoint) return;
    if (path.dirname(endpoint) !== path.dirname(this.homePath))
      throw new ManagerError(Rc.ERROR, `${what}: the manager named an endpoint outside the runtime dir: ${endpoint}`);
    const conn = await this.transport.connect(endpoint, 5000);
    this.listen(conn);
    const previous = this.monitorConn;
    this.monitorConn = conn;
    try {
      await this.requestWithSeq(this.allocSeq(), code, body, what, undefined, 'monitor');
    } catch (err) {
      this.monitorConn = previous;
      conn.destroy();
      throw err;
    }
    this.followed = true;
    this.retire(previous);
    const home = this.home;
    this.home = undefined;
    this.retire(home);
  }

  private retire(conn: Connection | undefined): void {
    if (!conn) return;
    this.retired.add(conn);
    conn.end();
  }

  /** A request passed on as it is, its answer whatever the rc (the manager's link to a monitor). */
  async relay(code: number, body: Uint8Array): Promise<{ rc: Rc; body: Uint8Array }> {
    const f = await this.requestWithSeq(this.allocSeq(), code, body, `request 0x${code.toString(16)}`, 'any', 'home');
    return { rc: f.rc, body: f.body };
  }

  /** Stops the manager (our SHUTDOWN ioctl); refused while monitors run. */
  async shutdownManager(): Promise<void> {
    await this.call(Requests.SHUTDOWN, undefined);
  }

  /** DEBUG_READER: the manager's structured (pino JSON) log lines, live, until close(). */
  debugLog(): AsyncIterable<string> {
    const seq = this.allocSeq();
    const queue: Array<string | null> = [];
    let wake: (() => void) | undefined;
    this.logListeners.set(seq, (line) => {
      queue.push(line);
      wake?.();
    });
    const spec = Requests.DEBUG_READER;
    const started = this.requestWithSeq(seq, spec.code, spec.request.encode(), spec.name, undefined, 'home');
    started.catch((err: Error) => {
      queue.push(null);
      wake?.();
      return err;
    });
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (queue.length === 0) await new Promise<void>((r) => (wake = r));
            const line = queue.shift();
            if (line === null || line === undefined) break;
            yield line;
          }
          await started;
        } finally {
          self.logListeners.delete(seq);
        }
      },
    };
  }

  // ---- control requests (control.ts): by monitor id, no attachment needed ------------------
  async monitorStatus(id: number): Promise<MonitorStatus> {
    return this.call(Requests.MONITOR_STATUS, id);
  }

  /** The graceful power request of `action` to monitor `id`. */
  async powerMonitor(id: number, action: PowerAction): Promise<void> {
    await this.call(Requests.POWER, { id, value: action });
  }

  /** Magic SysRq `key` (one ASCII character) in monitor `id`'s guest. */
  async sysrq(id: number, key: string): Promise<void> {
    await this.call(Requests.SYSRQ, { id, value: key.length === 1 ? key.charCodeAt(0) : 0 });
  }

  /** cobd<unit> of monitor `id` continues on a new qcow2 overlay; resolves with its path. */
  async diskSnapshot(id: number, unit: number, file?: string): Promise<string> {
    return this.call(Requests.DISK_SNAPSHOT, file === undefined ? { id, unit } : { id, unit, file });
  }

  /** Run-time port forwards of network unit `unit`, answered by its helper. */
  async forward(id: number, unit: number, op: ForwardOp, spec = ''): Promise<string> {
    return this.call(Requests.FORWARD, { id, unit, op, spec });
  }

  /** Suspend monitor `id` into the bundle `file` (absolute); resolves with the manager's JSON summary. */
  async suspend(id: number, file: string): Promise<string> {
    return this.call(Requests.SUSPEND, { id, file });
  }

  /** This connection's monitor (just created) takes over the bundle `file`; resolves with a JSON
   *  summary. Made at the monitor's own process, where this client is the owner. */
  async resume(file: string): Promise<string> {
    return this.call(Requests.RESUME, file, undefined, 'monitor');
  }

  /** Serves the manager's CALLs (FrameKind.CALL) of `spec`: the handler's text answers with OK,
   *  a thrown error with its rc (ManagerError) or ERROR. Unserved codes answer ERROR. */
  serveCalls<Req>(spec: RequestSpec<Req, string>, handler: (request: Req) => Promise<string>): void {
    this.callHandlers.set(spec.code, async (body) => handler(spec.request.decode(body)));
  }

  // ---- monitor ops ------------------------------------------------------------------------
  async loadSection(offset: number, size: number, data?: Uint8Array): Promise<void> {
    if (!data) {
      await this.monitorOp(MonitorOps.LOAD_SECTION, { offset, size });
      return;
    }
    if (data.length !== size) throw new RangeError(`loadSection: size ${size} but ${data.length} data bytes`);
    // Sections can be larger than one frame; chunks are independent loads at increasing offsets.
    const parts: Array<Promise<void>> = [];
    for (let at = 0; at < size || (size === 0 && at === 0); at += LOAD_CHUNK) {
      const chunk = data.subarray(at, Math.min(size, at + LOAD_CHUNK));
      parts.push(this.monitorOp(MonitorOps.LOAD_SECTION, { offset: offset + at, size: chunk.length, data: chunk }));
      if (size === 0) break;
    }
    await Promise.all(parts);
  }

  async loadInitrd(data: Uint8Array): Promise<void> {
    await this.loadInitrdFrom(data.length, (offset, length) => data.subarray(offset, offset + length));
  }

  /**
   * Sends an initrd of `total` bytes in LOAD_CHUNK pieces asked from `read`, a few frames in flight
   * at a time, so a caller streaming from a file never holds the whole initrd.
   */
  async loadInitrdFrom(total: number, read: (offset: number, length: number) => Uint8Array): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    for (let at = 0; at < total || (total === 0 && at === 0); at += LOAD_CHUNK) {
      const data = read(at, Math.min(LOAD_CHUNK, total - at));
      const p = this.monitorOp(MonitorOps.LOAD_INITRD, { total, offset: at, data });
      inFlight.add(p);
      void p.then(
        () => inFlight.delete(p),
        () => inFlight.delete(p),
      );
      if (inFlight.size >= INITRD_FRAMES_IN_FLIGHT) await Promise.race(inFlight);
      if (total === 0) break;
    }
    await Promise.all(inFlight);
  }

  async start(entryOffset: number): Promise<void> {
    await this.monitorOp(MonitorOps.START, entryOffset);
  }

  /** Long-poll: resolves when the guest terminates, or after a few seconds with RUNNING. */
  async run(): Promise<RunResult> {
    return this.monitorOp(MonitorOps.RUN, undefined, [Rc.INSTANCE_TERMINATED]);
  }

  async getState(): Promise<RunResult> {
    return this.monitorOp(MonitorOps.GET_STATE, undefined);
  }

  async getConsole(): Promise<Uint8Array> {
    return (await this.getConsoleScreen()).data;
  }

  async getConsoleScreen(): Promise<ConsoleScreen> {
    return this.monitorOp(MonitorOps.GET_CONSOLE, undefined);
  }

  async reset(): Promise<void> {
    await this.monitorOp(MonitorOps.RESET, undefined);
  }

  async closeMonitor(): Promise<void> {
    await this.monitorOp(MonitorOps.CLOSE, undefined);
    this.monitorId = undefined;
    // The monitor's process is done with this client (the owner's CLOSE ends it).
    const conn = this.monitorConn;
    this.monitorConn = undefined;
    this.retire(conn);
  }

  // ---- messages ---------------------------------------------------------------------------
  /** Bytes for the guest from module `from` (to = LINUX, wrapped in co_linux_message_t). */
  send(from: ModuleId, data: Uint8Array): void {
    if (data.length > MAX_RECORD_DATA - LINUX_MESSAGE_HEADER_SIZE)
      throw new RangeError(`message of ${data.length} bytes exceeds ${MAX_RECORD_DATA - LINUX_MESSAGE_HEADER_SIZE}`);
    const conn = this.monitorConn ?? this.home;
    if (!conn) return;
    // A stalled peer (a stopped monitor process, a manager that does not read) must not grow this
    // process without bound: past the limit records are dropped and counted, as the manager does
    // with guest output to a slow client. Guest input is a stream the guest tolerates losing
    // (frames, keystrokes), and requests are never dropped: each waits for its reply.
    if (conn.pendingBytes > this.maxPendingBytes) {
      this.droppedMessages++;
      return;
    }
    conn.write(encodeFrame(FrameKind.MESSAGES, 0, 0, Rc.OK, encodeRecords([recordToLinux(from, data)])));
  }

  /** Bytes written towards the peer that it has not taken yet (what the drop limit looks at). */
  get unsentBytes(): number {
    return (this.monitorConn ?? this.home)?.pendingBytes ?? 0;
  }

  /** Graceful power request (docs/colinux.md#power), from = DAEMON. */
  power(action: PowerAction): void {
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setUint32(0, action, true);
    this.send(Module.DAEMON, payload);
  }

  async close(): Promise<void> {
    this.closing = true;
    const conns = [this.monitorConn, this.home, await this.homeConnecting?.catch(() => undefined)].filter((c): c is Connection => c !== undefined && !c.closed);
    await Promise.all(
      conns.map(
        (conn) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              conn.destroy();
              resolve();
            }, 2000);
            conn.onClose(() => {
              clearTimeout(timer);
              resolve();
            });
            conn.end();
          }),
      ),
    );
  }

  // ---- plumbing ---------------------------------------------------------------------------
  private allocSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0xffffffff ? 1 : this.nextSeq + 1;
    return seq;
  }

  /** Sends `value` as request `spec` and resolves with its decoded reply. */
  private async call<Req, Reply>(spec: RequestSpec<Req, Reply>, value: Req, okRcs?: readonly Rc[], route: Route = 'home'): Promise<Reply> {
    return spec.reply.decode((await this.request(spec.code, spec.request.encode(value), spec.name, okRcs, route)).body);
  }

  /** A MONITOR operation: to the monitor's process once followed. */
  private async monitorOp<Req, Reply>(spec: MonitorOpSpec<Req, Reply>, value: Req, okRcs?: readonly Rc[]): Promise<Reply> {
    const monitor = Requests.MONITOR;
    const f = await this.request(monitor.code, monitor.request.encode({ op: spec.op, tail: spec.request.encode(value) }), spec.name, okRcs, 'monitor');
    return spec.reply.decode(monitor.reply.decode(f.body));
  }

  /** Manager requests go home; monitor requests to the monitor's process once followed. */
  private request(code: number, body: Uint8Array, what: string, okRcs?: readonly Rc[], route: Route = 'home'): Promise<Frame> {
    return this.requestWithSeq(this.allocSeq(), code, body, what, okRcs, route);
  }

  private async requestWithSeq(
    seq: number,
    code: number,
    body: Uint8Array,
    what: string,
    okRcs: readonly Rc[] | 'any' | undefined,
    route: Route,
  ): Promise<Frame> {
    const conn = route === 'monitor' ? (this.monitorConn ?? this.home) : await this.homeConnection(what);
    if (!conn || conn.closed) throw new ManagerError(Rc.BROKEN_PIPE, `${what}: manager connection is closed`);
    return await new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, okRcs, what, conn });
      conn.write(encodeFrame(FrameKind.REQUEST, code, seq, Rc.OK, body));
    });
  }

  /** The connection to the manager, made again when it was closed after following a monitor. */
  private async homeConnection(what: string): Promise<Connection | undefined> {
    if (this.home && !this.home.closed) return this.home;
    if (!this.followed || this.closing) return this.home;
    this.homeConnecting ??= this.transport
      .connect(this.homePath, 5000)
      .then((conn) => {
        this.listen(conn);
        this.home = conn;
        return conn;
      })
      .finally(() => (this.homeConnecting = undefined));
    try {
      return await this.homeConnecting;
    } catch (err) {
      throw new ManagerError(Rc.BROKEN_PIPE, `${what}: cannot reach the manager: ${(err as Error).message}`);
    }
  }

  private receive(conn: Connection, decoder: FrameDecoder, chunk: Uint8Array): void {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      this.emit('protocol-error', err as FrameError);
      conn.destroy();
      return;
    }
    for (const f of frames) this.dispatch(conn, f);
  }

  private dispatch(conn: Connection, f: Frame): void {
    switch (f.kind) {
      case FrameKind.REPLY: {
        if (f.seq === 0 && f.rc < 0) {
          // A refusal not tied to a request, e.g. a message whose `from` we do not hold.
          this.emit('refused', new ManagerError(f.rc, decodeText(f.body)));
          return;
        }
        const p = this.pending.get(f.seq);
        if (!p) return;
        this.pending.delete(f.seq);
        if (f.rc >= 0 || p.okRcs === 'any' || p.okRcs?.includes(f.rc)) p.resolve(f);
        else p.reject(new ManagerError(f.rc, `${p.what}: ${decodeText(f.body) || 'refused by the manager'}`));
        return;
      }
      case FrameKind.MESSAGES: {
        let records;
        try {
          records = decodeRecords(f.body);
        } catch (err) {
          this.emit('protocol-error', err);
          conn.destroy();
          return;
        }
        for (const r of records) this.emit('message', toMessage(r) satisfies Message);
        return;
      }
      case FrameKind.END: {
        const cause: EndCause = f.code === EndReason.TAKEN_OVER ? 'taken-over' : 'monitor-closed';
        if (cause === 'monitor-closed') this.monitorId = undefined;
        this.ended = true;
        // Emitted after the pending promise jobs: an END in the same read as the ATTACH answer
        // reaches listeners the attaching code adds as soon as attach() resolves.
        const detail = decodeText(f.body);
        setImmediate(() => this.emit('end', cause, detail));
        return;
      }
      case FrameKind.LOG:
        this.logListeners.get(f.seq)?.(decodeText(f.body));
        return;
      case FrameKind.CALL:
        void this.answerCall(conn, f);
        return;
      default:
        return;
    }
  }

  private async answerCall(conn: Connection, f: Frame): Promise<void> {
    const handler = this.callHandlers.get(f.code);
    let rc: Rc = Rc.OK;
    let text: string;
    try {
      if (!handler) throw new ManagerError(Rc.ERROR, `this helper does not serve request 0x${f.code.toString(16)}`);
      text = await handler(f.body);
    } catch (err) {
      rc = err instanceof ManagerError ? err.rc : Rc.ERROR;
      text = err instanceof ManagerError ? err.message.replace(/ \([A-Z_0-9]+\)$/, '') : (err as Error).message;
    }
    if (!conn.closed) conn.write(encodeFrame(FrameKind.ANSWER, f.code, f.seq, rc, encodeText(text)));
  }

  /**
   * A connection closed. The manager's, once the client follows a monitor, says nothing about
   * the monitor. The monitor's, unasked and without END, means its process ended: the manager
   * (which started it) is asked why, so that what was pending and the 'end' event carry it.
   */
  private async closed(conn: Connection): Promise<void> {
    const isMonitor = conn === this.monitorConn;
    if (conn === this.home) this.home = undefined;
    if (isMonitor) this.monitorConn = undefined;
    const expected = this.retired.has(conn) || this.closing || (!isMonitor && this.followed);
    let why: string | undefined;
    if (isMonitor && !expected && !this.ended && this.monitorId !== undefined) why = await this.whyEnded(this.monitorId);
    for (const [seq, p] of this.pending) {
      if (p.conn !== conn) continue;
      this.pending.delete(seq);
      p.reject(new ManagerError(Rc.BROKEN_PIPE, `${p.what}: ${why ?? 'manager connection closed'}`));
    }
    if (expected && !this.closing) return;
    for (const [, fn] of this.logListeners) fn(null);
    if (!this.closing && !this.ended) {
      this.ended = true;
      this.emit('end', 'disconnected', why ?? 'the manager closed the connection');
    }
  }

  /** Asks the manager why monitor `id` ended (its MONITOR_STATUS answers NOT_FOUND with it). */
  private async whyEnded(id: number): Promise<string> {
    const fallback = `the connection to monitor ${id} closed`;
    let c: ManagerClient | undefined;
    try {
      c = await ManagerClient.connect({ transport: this.transport.name, endpoint: this.homePath, timeoutMs: WHY_ENDED_MS });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((r) => (timer = setTimeout(() => r(fallback), WHY_ENDED_MS)));
      const asked = c.monitorStatus(id).then(
        () => `${fallback} (the monitor still runs)`,
        (err: Error) =>
          err instanceof ManagerError && err.rc === Rc.NOT_FOUND ? err.message.replace(/^MONITOR_STATUS: /, '').replace(/ \(NOT_FOUND\)$/, '') : fallback,
      );
      const why = await Promise.race([asked, late]);
      clearTimeout(timer);
      return why;
    } catch {
      return fallback;
    } finally {
      await c?.close();
    }
  }
}
