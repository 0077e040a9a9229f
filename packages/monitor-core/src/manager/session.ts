// One client connection (coLinux's co_manager_open_desc_t): its framing, what it holds, and a
// bounded outgoing queue so a slow or stuck client never stalls a guest (coLinux slept the VM
// when a descriptor held > 1024 messages, colinux.md 3.6.5; here frames are dropped and counted).
import { FrameDecoder, FrameKind, encodeFrame, encodeRecords, encodeText, recordFromLinux, type Connection, type Frame } from '@colinux/protocol';
import type { Monitor } from './monitor.ts';

/** Bytes a client may have unsent before guest output to it is dropped. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

let nextSessionId = 1;

export class ClientSession {
  readonly id = nextSessionId++;
  readonly conn: Connection;
  readonly decoder = new FrameDecoder();
  /** The monitor this connection created or attached to. */
  monitor: Monitor | undefined;
  /** Modules whose guest output this connection receives (and may send as). */
  readonly held = new Set<number>();
  /** Modules it watches read-only. */
  readonly watched = new Set<number>();
  /** Set once the connection broke the protocol: the rest of its input is ignored. */
  rejected = false;
  droppedMessages = 0;
  droppedLogLines = 0;
  private readonly closeHooks: Array<() => void> = [];

  constructor(conn: Connection) {
    this.conn = conn;
  }

  get isOwner(): boolean {
    return this.monitor?.owner === this;
  }

  onClose(fn: () => void): void {
    this.closeHooks.push(fn);
  }

  runCloseHooks(): void {
    for (const fn of this.closeHooks.splice(0)) fn();
  }

  reply(req: Frame, rc: number, body: Uint8Array = new Uint8Array(0)): void {
    this.conn.write(encodeFrame(FrameKind.REPLY, req.code, req.seq, rc, body));
  }

  replyError(req: Frame, rc: number, text: string): void {
    this.reply(req, rc, encodeText(text));
  }

  /** A refusal not tied to a request (e.g. a spoofed `from` in a MESSAGES frame): REPLY with seq 0. */
  notice(rc: number, text: string): void {
    this.conn.write(encodeFrame(FrameKind.REPLY, 0, 0, rc, encodeText(text)));
  }

  /** Guest output for `module` (already cut to record size); dropped and counted when the
   *  client is not keeping up. */
  deliver(module: number, parts: Uint8Array[]): boolean {
    if (this.conn.closed) return false;
    if (this.conn.pendingBytes > MAX_PENDING_BYTES) {
      this.droppedMessages += parts.length;
      return false;
    }
    this.conn.write(encodeFrame(FrameKind.MESSAGES, 0, 0, 0, encodeRecords(parts.map((p) => recordFromLinux(module, p)))));
    return true;
  }

  logLine(seq: number, line: string): void {
    if (this.conn.closed) return;
    if (this.conn.pendingBytes > MAX_PENDING_BYTES) {
      this.droppedLogLines++;
      return;
    }
    this.conn.write(encodeFrame(FrameKind.LOG, 0, seq, 0, encodeText(line)));
  }

  end(reason: number, detail: string): void {
    this.conn.write(encodeFrame(FrameKind.END, reason, 0, 0, encodeText(detail)));
  }
}
