// The server side of the WebSocket protocol (RFC 6455) on node:http's 'upgrade' event, as much as a
// console page needs: the opening handshake (section 4.2), frames (5.2) with masking (5.3),
// fragmentation (5.4), control frames (5.5) and the closing handshake (7). No extensions are
// negotiated, so RSV bits must be zero. Every message is bounded: a frame whose length says it
// would take a message past MAX_MESSAGE fails the connection with 1009 before anything is buffered.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** RFC 6455 1.3: appended to Sec-WebSocket-Key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The largest message (after reassembly) a peer may send us; a console page sends keystrokes. */
export const MAX_MESSAGE = 64 * 1024;
/** Control frames carry at most 125 bytes (5.5). */
const MAX_CONTROL_PAYLOAD = 125;

export const Opcode = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** Status codes of section 7.4.1 that this server sends. */
export const CloseCode = { NORMAL: 1000, GOING_AWAY: 1001, PROTOCOL_ERROR: 1002, INVALID_DATA: 1007, POLICY: 1008, TOO_BIG: 1009 } as const;

export class WebSocketError extends Error {
  override name = 'WebSocketError';
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export type WsEvent =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; data: Uint8Array }
  | { kind: 'ping'; data: Uint8Array }
  | { kind: 'pong'; data: Uint8Array }
  | { kind: 'close'; code?: number; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WebSocketError(CloseCode.INVALID_DATA, `${what} is not valid UTF-8`);
  }
}

/** 7.4.1/7.4.2: codes a peer may put in a Close frame. */
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/**
 * Decodes client-to-server frames (which must be masked, 5.1) into messages. push() throws
 * WebSocketError with the close code to fail the connection with.
 */
export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  private fragments: Uint8Array[] = [];
  private fragmentOpcode = -1;
  private fragmentBytes = 0;
  private readonly maxMessage: number;

  constructor(maxMessage = MAX_MESSAGE) {
    this.maxMessage = maxMessage;
  }

  push(chunk: Uint8Array): WsEvent[] {
    this.buf = this.buf.length === 0 ? chunk : concat([this.buf, chunk]);
    const events: WsEvent[] = [];
    for (;;) {
      const used = this.frame(events);
      if (used === 0) break;
      this.buf = this.buf.subarray(used);
    }
    if (this.buf.length > 0) this.buf = this.buf.slice(); // do not pin the socket's chunk
    return events;
  }

  /** Decodes one frame from the buffer; returns the bytes it used, or 0 if it is incomplete. */
  private frame(events: WsEvent[]): number {
    const b = this.buf;
    if (b.length < 2) return 0;
    const fin = (b[0]! & 0x80) !== 0;
    if ((b[0]! & 0x70) !== 0) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, 'RSV bits set but no extension was negotiated');
    const opcode = b[0]! & 0x0f;
    if ((b[1]! & 0x80) === 0) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, 'a client frame is not masked');
    const control = opcode >= 0x8;
    if (control && opcode > Opcode.PONG) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, `reserved opcode 0x${opcode.toString(16)}`);
    if (!control && opcode > Opcode.BINARY) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, `reserved opcode 0x${opcode.toString(16)}`);
    let length = b[1]! & 0x7f;
    let at = 2;
    if (length === 126) {
      if (b.length < 4) return 0;
      length = (b[2]! << 8) | b[3]!;
      at = 4;
    } else if (length === 127) {
      if (b.length < 10) return 0;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const high = view.getUint32(2);
      if (high & 0x80000000) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, 'payload length has its most significant bit set');
      // Anything at or beyond 2^32 is over the bound anyway.
      length = high !== 0 ? Number.MAX_SAFE_INTEGER : view.getUint32(6);
      at = 10;
    }
    if (control) {
      if (!fin) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, 'a fragmented control frame');
      if (length > MAX_CONTROL_PAYLOAD)
        throw new WebSocketError(CloseCode.PROTOCOL_ERROR, `a control frame of ${length} bytes (at most ${MAX_CONTROL_PAYLOAD})`);
    } else {
      if (opcode === Opcode.CONTINUATION && this.fragmentOpcode < 0)
        throw new WebSocketError(CloseCode.PROTOCOL_ERROR, 'a continuation frame with no message to continue');
      if (opcode !== Opcode.CONTINUATION && this.fragmentOpcode >= 0)
        throw new WebSocketError(CloseCode.PROTOCOL_ERROR, 'a new message inside a fragmented one');
      if (this.fragmentBytes + length > this.maxMessage) throw new WebSocketError(CloseCode.TOO_BIG, `a message of more than ${this.maxMessage} bytes`);
    }
    if (b.length < at + 4 + length) return 0;
    const mask = b.subarray(at, at + 4);
    const payload = b.slice(at + 4, at + 4 + length);
    for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    const used = at + 4 + length;

    if (control) {
      events.push(controlEvent(opcode, payload));
      return used;
    }
    if (opcode !== Opcode.CONTINUATION) this.fragmentOpcode = opcode;
    this.fragments.push(payload);
    this.fragmentBytes += payload.length;
    if (fin) {
      const data = this.fragments.length === 1 ? this.fragments[0]! : concat(this.fragments);
      events.push(this.fragmentOpcode === Opcode.TEXT ? { kind: 'text', text: decodeUtf8(data, 'a text message') } : { kind: 'binary', data });
      this.fragments = [];
      this.fragmentOpcode = -1;
      this.fragmentBytes = 0;
    }
    return used;
  }
}

function controlEvent(opcode: number, payload: Uint8Array): WsEvent {
  if (opcode === Opcode.PING) return { kind: 'ping', data: payload };
  if (opcode === Opcode.PONG) return { kind: 'pong', data: payload };
  if (payload.length === 0) return { kind: 'close', reason: '' };
  if (payload.length === 1) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, 'a close frame with a one-byte body');
  const code = (payload[0]! << 8) | payload[1]!;
  if (!validCloseCode(code)) throw new WebSocketError(CloseCode.PROTOCOL_ERROR, `close code ${code} is not one a peer may send`);
  return { kind: 'close', code, reason: decodeUtf8(payload.subarray(2), 'a close reason') };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One unmasked server-to-client frame (5.2), never fragmented. */
export function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
  const out = new Uint8Array(head + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = n;
  else if (n <= 0xffff) {
    out[1] = 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 127;
    new DataView(out.buffer).setUint32(6, n);
  }
  out.set(payload, head);
  return out;
}

export function closePayload(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/** 4.2.1: is this request a WebSocket opening handshake we can answer? Returns the problem, if any. */
export function handshakeProblem(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'the handshake must be a GET';
  if (!/(^|,)\s*websocket\s*(,|$)/i.test(req.headers.upgrade ?? '')) return 'Upgrade: websocket missing';
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(req.headers.connection ?? '')) return 'Connection: Upgrade missing';
  if (req.headers['sec-websocket-version'] !== '13') return 'Sec-WebSocket-Version must be 13';
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) return 'Sec-WebSocket-Key must be 16 bytes in base64';
  return undefined;
}

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + HANDSHAKE_GUID)
    .digest('base64');
}

/**
 * One accepted connection. Events: 'text' (string), 'binary' (Uint8Array), 'drain' (the socket's
 * write buffer emptied), 'close' (code, reason). `buffered` is what the socket has not yet sent.
 */
export class WebSocketConnection extends EventEmitter {
  private readonly socket: Duplex & { writableLength: number };
  private readonly decoder: FrameDecoder;
  private closeSent = false;
  private closed = false;

  constructor(socket: Duplex, head: Uint8Array, maxMessage = MAX_MESSAGE) {
    super();
    this.socket = socket as Duplex & { writableLength: number };
    this.decoder = new FrameDecoder(maxMessage);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', () => this.gone(CloseCode.GOING_AWAY, 'socket error'));
    socket.on('close', () => this.gone(CloseCode.GOING_AWAY, 'connection closed'));
    if (head.length > 0) queueMicrotask(() => this.receive(head));
  }

  /** Completes the opening handshake on `socket` (4.2.2) and wraps it. */
  static accept(req: IncomingMessage, socket: Duplex, head: Uint8Array, extraHeaders: string[] = []): WebSocketConnection {
    const accept = acceptKey(String(req.headers['sec-websocket-key']));
    socket.write(
      ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, ...extraHeaders, '', ''].join(
        '\r\n',
      ),
    );
    return new WebSocketConnection(socket, head);
  }

  get buffered(): number {
    return this.socket.writableLength;
  }

  get isOpen(): boolean {
    return !this.closeSent && !this.closed;
  }

  sendText(text: string): void {
    this.write(Opcode.TEXT, new TextEncoder().encode(text));
  }

  sendBinary(data: Uint8Array): void {
    this.write(Opcode.BINARY, data);
  }

  /** Starts the closing handshake (7.1.2); the socket ends when the peer answers or after a grace. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (!this.isOpen) return;
    this.socket.write(encodeFrame(Opcode.CLOSE, closePayload(code, reason)));
    this.closeSent = true;
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private write(opcode: number, payload: Uint8Array): void {
    if (this.isOpen) this.socket.write(encodeFrame(opcode, payload));
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    let events: WsEvent[];
    try {
      events = this.decoder.push(chunk);
    } catch (err) {
      const e = err as WebSocketError;
      this.close(e.code, e.message);
      this.socket.end();
      this.gone(e.code, e.message);
      return;
    }
    for (const ev of events) {
      if (this.closed) return;
      switch (ev.kind) {
        case 'text':
          this.emit('text', ev.text);
          break;
        case 'binary':
          this.emit('binary', ev.data);
          break;
        case 'ping':
          this.write(Opcode.PONG, ev.data);
          break;
        case 'pong':
          break;
        case 'close':
          // 5.5.1: answer with a Close (echoing the code) unless we sent one, then end the TCP side.
          if (!this.closeSent) {
            this.socket.write(encodeFrame(Opcode.CLOSE, ev.code === undefined ? new Uint8Array(0) : closePayload(ev.code, '')));
            this.closeSent = true;
          }
          this.socket.end();
          this.gone(ev.code ?? CloseCode.NORMAL, ev.reason);
          return;
      }
    }
  }

  private gone(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code, reason);
  }
}
