// Binary, length-prefixed framing of the manager connection (docs/protocol.md "Frames").
// coLinux used ioctl buffers plus read()/write() of co_message_t records on one handle; a stream
// socket carries both, so every unit on the wire is a frame with this 16-byte header:
//
//   0  u32 bodyLength   bytes after the header (<= MAX_FRAME_BODY, checked before allocating)
//   4  u8  kind         FrameKind
//   5  u8  reserved     0
//   6  u16 code         REQUEST/REPLY: co_manager_ioctl_t; END: EndReason; else 0
//   8  u32 seq          REQUEST: chosen by the client; REPLY/LOG: the request's seq; else 0
//  12  i32 rc           REPLY: co_rc_t; else 0
//
// All integers little-endian, like coLinux's x86 structures.
import { isRc, type Rc } from './codes.ts';

export const FRAME_HEADER_SIZE = 16;
/** Largest body accepted. Section and initrd loads are chunked by the client to LOAD_CHUNK. */
export const MAX_FRAME_BODY = 4 * 1024 * 1024 + 4096;
/** Bytes of section/initrd data per LOAD_SECTION / LOAD_INITRD frame. */
export const LOAD_CHUNK = 1024 * 1024;
/** Bytes either side may have unsent towards a peer that does not read before it drops message
 *  records to it, counting them: the manager's guest output to a slow client (docs/manager.md
 *  "Connection limits"), a client's records to a stalled manager or monitor. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export const FrameKind = Object.freeze({
  /** client -> manager: a manager ioctl. */
  REQUEST: 1,
  /** manager -> client: the answer to one REQUEST (same seq). */
  REPLY: 2,
  /** either way: one or more whole co_message_t records. */
  MESSAGES: 3,
  /** manager -> client: this connection's attachment ended (code = EndReason, body = UTF-8 detail). */
  END: 4,
  /** manager -> client: one debug log line for a DEBUG_READER request (seq = that request). */
  LOG: 5,
  /** manager -> client: a request for the helper holding a module (code = ControlIoctl, seq chosen
   *  by the manager), e.g. FORWARD for the slirp helper of a unit (control.ts). */
  CALL: 6,
  /** client -> manager: the answer to one CALL (same seq; rc = co_rc_t, body = UTF-8 text). */
  ANSWER: 7,
} as const);
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface Frame {
  kind: FrameKind;
  /** REQUEST, REPLY, CALL, ANSWER: the request code (requests.ts); END: the EndReason; else 0.
   *  A number: a peer may send a code this side does not know, and is answered for it. */
  code: number;
  seq: number;
  rc: Rc;
  body: Uint8Array;
}

export class FrameError extends Error {
  override name = 'FrameError';
}

export function encodeFrame(kind: FrameKind, code: number, seq: number, rc: Rc, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (body.length > MAX_FRAME_BODY) throw new FrameError(`frame body of ${body.length} bytes exceeds the ${MAX_FRAME_BODY}-byte limit`);
  const out = new Uint8Array(FRAME_HEADER_SIZE + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length, true);
  view.setUint8(4, kind);
  view.setUint16(6, code, true);
  view.setUint32(8, seq >>> 0, true);
  view.setInt32(12, rc, true);
  out.set(body, FRAME_HEADER_SIZE);
  return out;
}

function validKind(kind: number): kind is FrameKind {
  return kind >= FrameKind.REQUEST && kind <= FrameKind.ANSWER;
}

/**
 * Reassembles frames from stream chunks. Accepts only headers with a known kind, a zero reserved
 * byte and a body no larger than MAX_FRAME_BODY; anything else throws FrameError and the caller
 * must close the connection (the stream can no longer be trusted to be in step).
 */
export class FrameDecoder {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly maxBody: number;

  constructor(maxBody = MAX_FRAME_BODY) {
    this.maxBody = maxBody;
  }

  /** Feed one chunk; returns every frame it completes. */
  push(chunk: Uint8Array): Frame[] {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.pendingBytes < FRAME_HEADER_SIZE) break;
      const header = this.peek(FRAME_HEADER_SIZE);
      const view = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_SIZE);
      const bodyLength = view.getUint32(0, true);
      const kind = view.getUint8(4);
      if (!validKind(kind)) throw new FrameError(`unknown frame kind ${kind}`);
      if (view.getUint8(5) !== 0) throw new FrameError('reserved header byte is not zero');
      if (bodyLength > this.maxBody) throw new FrameError(`frame body of ${bodyLength} bytes exceeds the ${this.maxBody}-byte limit`);
      const rc = view.getInt32(12, true);
      if (!isRc(rc)) throw new FrameError(`unknown return code ${rc}`);
      if (this.pendingBytes < FRAME_HEADER_SIZE + bodyLength) break;
      const code = view.getUint16(6, true);
      const seq = view.getUint32(8, true);
      const whole = this.take(FRAME_HEADER_SIZE + bodyLength);
      frames.push({ kind, code, seq, rc, body: whole.subarray(FRAME_HEADER_SIZE) });
    }
    return frames;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** The pending bytes in one chunk that starts with at least n of them (pendingBytes >= n). */
  private peek(n: number): Uint8Array {
    const first = this.pending[0];
    return first !== undefined && first.length >= n ? first : this.coalesce();
  }

  private take(n: number): Uint8Array {
    const first = this.peek(n);
    // Copy, so a retained body never pins a large chunk or aliases a reused transport buffer.
    const out = first.slice(0, n);
    if (first.length === n) this.pending.shift();
    else this.pending[0] = first.subarray(n);
    this.pendingBytes -= n;
    return out;
  }

  private coalesce(): Uint8Array {
    const all = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const part of this.pending) {
      all.set(part, at);
      at += part.length;
    }
    this.pending = [all];
    return all;
  }
}
