// One client connection (coLinux's co_manager_open_desc_t): its framing, what it holds, and a
// bounded outgoing queue so a slow or stuck client never stalls a guest (coLinux slept the VM
// when a descriptor held > 1024 messages, docs/colinux.md#routing; here frames are dropped and counted).
import {
  FrameDecoder,
  FrameKind,
  MAX_PENDING_BYTES,
  Rc,
  decodeText,
  encodeFrame,
  encodeRecords,
  encodeText,
  recordFromLinux,
  type EndReason,
  type Frame,
  type ModuleId,
  type RequestSpec,
} from '@colinux/protocol';
import { type Connection } from '@colinux/client';

/** MAX_PENDING_BYTES (protocol frame.ts): a client with that much unsent loses guest output and
 *  its further requests wait (it is not reading its replies). */
export { MAX_PENDING_BYTES };

/** A helper's ANSWER to a CALL; rc undefined: none came (timeout, or the helper went away). */
export interface CallAnswer {
  rc: Rc | undefined;
  text: string;
}

/** What one connection may cost the manager; ManagerOptions.limits overrides (tests). */
export interface ClientLimits {
  /** Unsent bytes beyond which guest output is dropped and requests are not read. */
  pendingBytes: number;
  /** Requests being served at once (GET_CONSOLE, RUN, CLOSE wait); more wait unread. */
  requestsInFlight: number;
  /** A frame must be complete this long after its first byte arrived (a half-sent frame parks
   *  up to the frame limit of memory). */
  frameMs: number;
  /** A connection bound to no monitor (not owner, attacher or log reader) that sends nothing for
   *  this long is closed. */
  idleMs: number;
  /** Connections bound to no monitor at once; a new one closes the longest idle of them, so idle
   *  connections never lock out consoles and helper restarts. */
  unbound: number;
  /** Watch-only connections per monitor (console-nt --read-only); the owner and module holders
   *  (its helpers) are never counted, so they always find room. */
  watchers: number;
}

export const CLIENT_LIMITS: ClientLimits = {
  pendingBytes: MAX_PENDING_BYTES,
  requestsInFlight: 8,
  frameMs: 10_000,
  idleMs: 30_000,
  unbound: 128,
  watchers: 16,
};

/** `--limits` of a monitor process: JSON of some ClientLimits, each a positive integer; throws one
 *  line naming what is wrong. */
export function parseLimits(json: string): Partial<ClientLimits> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`--limits: not JSON: ${json}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('--limits: expected an object of limits');
  const limits: Partial<ClientLimits> = {};
  for (const [key, n] of Object.entries(value)) {
    if (!(key in CLIENT_LIMITS)) throw new Error(`--limits: unknown limit '${key}'`);
    if (!Number.isSafeInteger(n) || (n as number) <= 0) throw new Error(`--limits: ${key} must be a positive integer`);
    limits[key as keyof ClientLimits] = n as number;
  }
  return limits;
}

let nextSessionId = 1;

export class ClientSession {
  readonly id = nextSessionId++;
  readonly conn: Connection;
  readonly decoder = new FrameDecoder();
  /** The id of the monitor this connection created or attached to (its owner is the monitor's
   *  to say: monitor.ts). */
  monitorId: number | undefined;
  /** Set once the connection broke the protocol: the rest of its input is ignored. */
  rejected = false;
  droppedMessages = 0;
  droppedLogLines = 0;
  /** Decoded frames not served yet: waiting while the client does not read its replies. */
  readonly backlog: Frame[] = [];
  /** Requests whose reply has not been written yet. */
  inFlight = 0;
  private nextCallSeq = 1;
  private readonly calls = new Map<number, (r: CallAnswer) => void>();
  /** A DEBUG_READER: bound to the log, not to a monitor. */
  logReader = false;
  /** When the last byte arrived (or the connection was made). */
  lastActivity = Date.now();
  /** When the first byte of the frame being received arrived; 0 between frames. */
  partialSince = 0;
  /** Not read from (saturated): its half-received frame cannot progress, so it is not timed. */
  paused = false;
  private readonly closeHooks: Array<() => void> = [];

  readonly limits: ClientLimits;

  constructor(conn: Connection, limits: ClientLimits = CLIENT_LIMITS) {
    this.conn = conn;
    this.limits = limits;
  }

  /** Too much unsent, or enough requests being served: read no more requests for now. */
  get saturated(): boolean {
    return this.conn.pendingBytes > this.limits.pendingBytes || this.inFlight >= this.limits.requestsInFlight;
  }

  /** Not tied to a monitor or the log: what the idle timeout and the unbound cap apply to. */
  get unbound(): boolean {
    return this.monitorId === undefined && !this.logReader;
  }

  onClose(fn: () => void): void {
    this.closeHooks.push(fn);
  }

  runCloseHooks(): void {
    for (const fn of this.closeHooks.splice(0)) fn();
  }

  reply(req: Frame, rc: Rc, body: Uint8Array = new Uint8Array(0)): void {
    this.conn.write(encodeFrame(FrameKind.REPLY, req.code, req.seq, rc, body));
  }

  replyError(req: Frame, rc: Rc, text: string): void {
    this.reply(req, rc, encodeText(text));
  }

  /** A refusal not tied to a request (e.g. a spoofed `from` in a MESSAGES frame): REPLY with seq 0. */
  notice(rc: Rc, text: string): void {
    this.conn.write(encodeFrame(FrameKind.REPLY, 0, 0, rc, encodeText(text)));
  }

  /** Guest output for `module` (already cut to record size); dropped and counted when the
   *  client is not keeping up. */
  deliver(module: ModuleId, parts: Uint8Array[]): boolean {
    if (this.conn.closed) return false;
    if (this.conn.pendingBytes > this.limits.pendingBytes) {
      this.droppedMessages += parts.length;
      return false;
    }
    this.conn.write(encodeFrame(FrameKind.MESSAGES, 0, 0, Rc.OK, encodeRecords(parts.map((p) => recordFromLinux(module, p)))));
    return true;
  }

  logLine(seq: number, line: string): void {
    if (this.conn.closed) return;
    if (this.conn.pendingBytes > this.limits.pendingBytes) {
      this.droppedLogLines++;
      return;
    }
    this.conn.write(encodeFrame(FrameKind.LOG, 0, seq, Rc.OK, encodeText(line)));
  }

  /** A CALL of `spec` to this client (a helper): resolves with its ANSWER's rc and text, or rc
   *  undefined when it did not answer within `timeoutMs` or the connection closed. */
  call<Req>(spec: RequestSpec<Req, string>, request: Req, timeoutMs: number): Promise<CallAnswer> {
    const seq = this.nextCallSeq++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish({ rc: undefined, text: 'the helper did not answer' }), timeoutMs);
      const finish = (r: CallAnswer): void => {
        clearTimeout(timer);
        this.calls.delete(seq);
        resolve(r);
      };
      this.calls.set(seq, finish);
      if (this.conn.closed) return finish({ rc: undefined, text: 'the helper is gone' });
      this.conn.write(encodeFrame(FrameKind.CALL, spec.code, seq, Rc.OK, spec.request.encode(request)));
    });
  }

  /** An ANSWER frame from this client. */
  answered(f: Frame): void {
    this.calls.get(f.seq)?.({ rc: f.rc, text: decodeText(f.body) });
  }

  /** Connection gone: pending CALLs end unanswered. */
  dropCalls(): void {
    for (const finish of [...this.calls.values()]) finish({ rc: undefined, text: 'the helper is gone' });
  }

  end(reason: EndReason, detail: string): void {
    this.conn.write(encodeFrame(FrameKind.END, reason, 0, Rc.OK, encodeText(detail)));
  }
}
