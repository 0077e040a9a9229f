// Fuzzing the frame decoder and a live manager: no crash, no hang, and every bad frame answered
// with an error reply or a closed connection. COLINUX_LONG_TESTS=1 runs >= 100,000 cases each.
import net from 'node:net';
import fc from 'fast-check';
import t from 'tap';
import {
  FRAME_HEADER_SIZE,
  FrameDecoder,
  FrameError,
  FrameKind,
  MAX_FRAME_BODY,
  ManagerIoctl,
  Module,
  PROTOCOL_VERSION,
  encodeFrame,
  encodeStatusRequest,
  type Frame,
} from '@colinux/protocol';
import { ManagerClient, endpointPath } from '@colinux/client';
import { monitorConfig, startManager } from './manager-fixtures.ts';
import { Random, testSeed } from '../../../test/random.ts';

const LONG = process.env.COLINUX_LONG_TESTS === '1';
const CASES = LONG ? 100_000 : 3_000;

t.test('frame decoder: arbitrary chunked input yields valid frames or FrameError, never anything else', async (t) => {
  const header = fc.record({
    length: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(MAX_FRAME_BODY, MAX_FRAME_BODY + 1, 0xffffffff), fc.nat()),
    kind: fc.integer({ min: 0, max: 255 }),
    reserved: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })),
  });
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.tuple(header, fc.uint8Array({ maxLength: 64 })).map(([h, body]) => {
      const b = new Uint8Array(FRAME_HEADER_SIZE + body.length);
      const v = new DataView(b.buffer);
      v.setUint32(0, h.length >>> 0, true);
      v.setUint8(4, h.kind);
      v.setUint8(5, h.reserved);
      b.set(body, FRAME_HEADER_SIZE);
      return b;
    }),
    fc.tuple(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 64 })).map(([kind, body]) => encodeFrame(kind as FrameKind, 0x12, 7, -1, body)),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (pieces, cuts) => {
      const all = Buffer.concat(pieces);
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
      const d = new FrameDecoder();
      let at = 0;
      try {
        for (const p of [...points, all.length]) {
          for (const f of d.push(all.subarray(at, p))) {
            if (f.body.length > MAX_FRAME_BODY || f.kind < FrameKind.REQUEST || f.kind > FrameKind.ANSWER) return false;
          }
          at = p;
        }
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
      }
      // The decoder never holds more than one maximal frame's worth of input.
      return d.buffered <= all.length;
    }),
    { numRuns: CASES, seed: 0x5eed },
  );
  t.pass(`${CASES} decoder cases`);
});

t.test('frame decoder: a huge length is refused from the header alone', async (t) => {
  const d = new FrameDecoder();
  const h = new Uint8Array(FRAME_HEADER_SIZE);
  new DataView(h.buffer).setUint32(0, 0x7fffffff, true);
  h[4] = FrameKind.REQUEST;
  t.throws(() => d.push(h), FrameError);
});

class RawClient {
  private readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder();
  private waiters: Array<(f: Frame | null) => void> = [];
  private frames: Frame[] = [];
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      for (const f of this.decoder.push(chunk)) this.frames.push(f);
      this.flush();
    });
    socket.on('close', () => {
      this.closed = true;
      this.flush();
    });
    socket.on('error', () => {});
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ path });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private flush(): void {
    while (this.waiters.length && (this.frames.length || this.closed)) this.waiters.shift()!(this.frames.shift() ?? null);
  }

  next(timeoutMs: number): Promise<Frame | null | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve('timeout');
      }, timeoutMs);
      const done = (f: Frame | null): void => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push(done);
      this.flush();
    });
  }

  /** The REPLY for `seq`, skipping log lines, messages and notices; null if the manager closed. */
  async replyTo(seq: number): Promise<Frame | null | 'timeout'> {
    for (;;) {
      const f = await this.next(10_000);
      if (f === null || f === 'timeout') return f;
      if (f.kind === FrameKind.REPLY && f.seq === seq) return f;
    }
  }

  write(b: Uint8Array): void {
    this.socket.write(b);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const CODES = [...Object.values(ManagerIoctl).filter((c) => c !== ManagerIoctl.SHUTDOWN), ManagerIoctl.SHUTDOWN];

t.test(`a live manager answers ${CASES} random frames with errors or a close, and keeps serving`, async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const env = m.rt.env;
  // A monitor exists, so SHUTDOWN is always refused and ATTACH/MONITOR have something to hit.
  const owner = await ManagerClient.connect({ env });
  await owner.create(9001, monitorConfig());
  t.teardown(() => owner.close());

  const random = new Random(testSeed(t, 0xc0111));
  const next = (): number => random.u32();
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => next() & 0xff);
  const u32 = (v: number): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return b;
  };
  let client = await RawClient.open(endpointPath(env));
  let replies = 0;
  let errors = 0;
  let closes = 0;
  let seq = 0;
  for (let i = 0; i < CASES; i++) {
    const pick = next() % 100;
    if (pick < 5) {
      // A header that cannot be trusted: unknown kind, reserved byte set, or oversized length.
      const h = new Uint8Array(FRAME_HEADER_SIZE);
      const v = new DataView(h.buffer);
      const mode = next() % 3;
      v.setUint32(0, mode === 2 ? MAX_FRAME_BODY + 1 + (next() % 1000) : 0, true);
      h[4] = mode === 0 ? FrameKind.ANSWER + 1 + (next() % 248) : FrameKind.REQUEST;
      h[5] = mode === 1 ? 1 + (next() % 255) : 0;
      client.write(h);
      const f = await client.next(10_000);
      if (f === 'timeout') t.fail(`case ${i}: no close after a bad header`);
      while (!client.closed) if ((await client.next(10_000)) === 'timeout') break;
      if (!client.closed) return t.fail(`case ${i}: connection stayed open after a bad header`);
      closes++;
      client = await RawClient.open(endpointPath(env));
      continue;
    }
    seq++;
    if (pick < 20) {
      // Message records: random headers and sizes, some claiming more bytes than they carry.
      const n = next() % 3;
      const parts: Uint8Array[] = [];
      for (let r = 0; r < n; r++) {
        const data = bytes(next() % 24);
        parts.push(u32(next() % 4 === 0 ? next() : next() % 160), u32(next() % 4 === 0 ? Module.LINUX : next() % 160), u32(next() % 2), u32(next() % 2));
        parts.push(u32(next() % 5 === 0 ? next() : data.length), data);
      }
      client.write(encodeFrame(FrameKind.MESSAGES, 0, 0, 0, Buffer.concat(parts)));
    } else {
      const code = next() % 10 === 0 ? next() & 0xffff : CODES[next() % CODES.length]!;
      let body: Uint8Array;
      switch (next() % 4) {
        case 0:
          body = bytes(next() % 48);
          break;
        case 1: // a MONITOR op with a random tail
          body = Buffer.concat([u32(next() % 16), bytes(next() % 24)]);
          break;
        case 2: // ATTACH-shaped: the real id or not, random flags, counts and modules
          body = Buffer.concat([
            u32(next() % 2 ? 9001 : next()),
            u32(next() % 5),
            u32(next() % 20),
            ...Array.from({ length: next() % 6 }, () => u32(next() % 170)),
          ]);
          break;
        default: // a length-prefixed blob that lies about its length
          body = Buffer.concat([u32(next() % 2 ? 9001 : 0), u32(next()), bytes(next() % 16)]);
      }
      client.write(encodeFrame(FrameKind.REQUEST, code, seq, 0, body));
      const r = await client.replyTo(seq);
      if (r === 'timeout') return t.fail(`case ${i}: request 0x${code.toString(16)} got no answer (hang)`);
      if (r === null) {
        closes++;
        client = await RawClient.open(endpointPath(env));
        continue;
      }
      replies++;
      if (r.rc < 0) errors++;
      continue;
    }
    // After a MESSAGES frame, a STATUS round trip proves the connection is still in step.
    client.write(encodeFrame(FrameKind.REQUEST, ManagerIoctl.STATUS, seq, 0, encodeStatusRequest(PROTOCOL_VERSION)));
    const r = await client.replyTo(seq);
    if (r === 'timeout') return t.fail(`case ${i}: no answer after a MESSAGES frame`);
    if (r === null) {
      closes++;
      client = await RawClient.open(endpointPath(env));
    } else replies++;
  }
  client.destroy();
  t.ok(replies > 0 && errors > 0 && closes > 0, `replies ${replies}, error replies ${errors}, closed connections ${closes}`);
  const s = await owner.status();
  t.equal(s.monitorCount, 1, 'the manager still serves, the monitor is intact');
  t.equal((await owner.getState()).state, 1);
});
