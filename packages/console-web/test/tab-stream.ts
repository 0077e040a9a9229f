// The far end of a tab's WebSocket connection, for tests that drive WebConsole directly: a stream
// that takes every byte at once, or (stuck) takes nothing until released, and splits the server's
// frames (RFC 6455 5.2; server frames are unmasked) back out of what it was sent.
import { Duplex } from 'node:stream';

export class Browser extends Duplex {
  received = Buffer.alloc(0);
  private held: Array<() => void> = [];
  stuck: boolean;

  constructor(stuck: boolean) {
    super();
    this.stuck = stuck;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    const take = (): void => {
      this.received = Buffer.concat([this.received, chunk]);
      done();
    };
    if (this.stuck) this.held.push(take);
    else take();
  }

  /** What the page sends: keys (binary frames), control requests (text frames, JSON). */
  keys(text: string): void {
    this.push(clientFrame(0x2, new TextEncoder().encode(text)));
  }

  request(message: object): void {
    this.push(clientFrame(0x1, new TextEncoder().encode(JSON.stringify(message))));
  }

  release(): void {
    this.stuck = false;
    for (const take of this.held.splice(0)) take();
  }

  /** The server's frames, split from what it was sent (RFC 6455 5.2; server frames are unmasked). */
  frames(): Array<{ opcode: number; payload: Buffer }> {
    const out: Array<{ opcode: number; payload: Buffer }> = [];
    const b = this.received;
    for (let at = 0; at + 2 <= b.length;) {
      let n = b[at + 1]! & 0x7f;
      let head = 2;
      if (n === 126) [n, head] = [b.readUInt16BE(at + 2), 4];
      else if (n === 127) [n, head] = [Number(b.readBigUInt64BE(at + 2)), 10];
      out.push({ opcode: b[at]! & 0x0f, payload: b.subarray(at + head, at + head + n) });
      at += head + n;
    }
    return out;
  }

  controls(): Array<Record<string, unknown>> {
    return this.frames()
      .filter((f) => f.opcode === 0x1)
      .map((f) => JSON.parse(f.payload.toString()) as Record<string, unknown>);
  }

  terminal(): string {
    return this.frames()
      .filter((f) => f.opcode === 0x2)
      .map((f) => f.payload.toString('latin1'))
      .join('');
  }
}

/** A masked client frame (5.3), as a browser sends it. */
export function clientFrame(opcode: number, payload: Uint8Array): Buffer {
  if (payload.length > 125) throw new RangeError('short frames only');
  const mask = [1, 2, 3, 4];
  return Buffer.from([0x80 | opcode, 0x80 | payload.length, ...mask, ...payload.map((b, i) => b ^ mask[i & 3]!)]);
}
