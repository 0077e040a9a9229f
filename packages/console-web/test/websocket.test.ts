// The WebSocket frame decoder (RFC 6455 section 5) against frames built by the test's own client
// encoder, the failures a peer can cause (each with the close code of 7.4.1), and a fuzz run:
// random bytes only ever end in a WebSocketError, and valid frames cut at random points decode to
// the same messages. COLINUX_LONG_TESTS=1 runs 100,000 cases per property.
import tap from 'tap';

const t = tap;
import fc from 'fast-check';
import { CloseCode, FrameDecoder, MAX_MESSAGE, Opcode, WebSocketError, acceptKey, encodeFrame, type WsEvent } from '../src/index.ts';

const RUNS = process.env.COLINUX_LONG_TESTS === '1' ? 100_000 : 2000;

/** A client frame: FIN bit, opcode, the mask bit and `mask` (5.2, 5.3). */
function clientFrame(opcode: number, payload: Uint8Array, opts: { fin?: boolean; mask?: number[] | null; rsv?: number } = {}): Uint8Array {
  const n = payload.length;
  const first = (opts.fin === false ? 0 : 0x80) | ((opts.rsv ?? 0) << 4) | opcode;
  const maskBit = opts.mask === null ? 0 : 0x80;
  const len =
    n < 126
      ? [maskBit | n]
      : n <= 0xffff
        ? [maskBit | 126, n >> 8, n & 0xff]
        : [maskBit | 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const mask = opts.mask === null ? [] : (opts.mask ?? [0x37, 0xfa, 0x21, 0x3d]);
  const body = payload.map((b, i) => (mask.length ? b ^ mask[i & 3]! : b));
  return Uint8Array.from([first, ...len, ...mask, ...body]);
}

const text = (s: string) => new TextEncoder().encode(s);

function failsWith(t: Pick<typeof tap, 'ok'>, bytes: Uint8Array, code: number, pattern: RegExp): void {
  let thrown: unknown;
  try {
    new FrameDecoder().push(bytes);
  } catch (e) {
    thrown = e;
  }
  t.ok(thrown instanceof WebSocketError && thrown.code === code && pattern.test(thrown.message), `close ${code}: ${pattern} (got ${String(thrown)})`);
}

t.test('the handshake key (RFC 6455 1.3 example)', async (t) => {
  t.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

t.test('messages, fragments and control frames', async (t) => {
  const d = new FrameDecoder();
  // RFC 6455 5.7: a masked "Hello".
  t.same(d.push(Uint8Array.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])), [{ kind: 'text', text: 'Hello' }]);
  t.same(d.push(clientFrame(Opcode.BINARY, new Uint8Array(300).fill(9))), [{ kind: 'binary', data: new Uint8Array(300).fill(9) }], '16-bit length');
  const parts = [clientFrame(Opcode.TEXT, text('Hel'), { fin: false }), clientFrame(Opcode.PING, text('p')), clientFrame(Opcode.CONTINUATION, text('lo'))];
  t.same(
    d.push(Uint8Array.from(parts.flatMap((p) => [...p]))),
    [
      { kind: 'ping', data: text('p') },
      { kind: 'text', text: 'Hello' },
    ],
    'a ping between fragments',
  );
  t.same(d.push(clientFrame(Opcode.CLOSE, Uint8Array.from([0x03, 0xe8, ...text('bye')]))), [{ kind: 'close', code: 1000, reason: 'bye' }]);
  t.same(d.push(clientFrame(Opcode.CLOSE, new Uint8Array(0))), [{ kind: 'close', reason: '' }]);
});

t.test('what fails the connection', async (t) => {
  failsWith(t, clientFrame(Opcode.TEXT, text('x'), { mask: null }), CloseCode.PROTOCOL_ERROR, /not masked/);
  failsWith(t, clientFrame(Opcode.TEXT, text('x'), { rsv: 4 }), CloseCode.PROTOCOL_ERROR, /RSV/);
  failsWith(t, clientFrame(0x3, text('x')), CloseCode.PROTOCOL_ERROR, /reserved opcode/);
  failsWith(t, clientFrame(0xb, text('x')), CloseCode.PROTOCOL_ERROR, /reserved opcode/);
  failsWith(t, clientFrame(Opcode.PING, text('x'), { fin: false }), CloseCode.PROTOCOL_ERROR, /fragmented control/);
  failsWith(t, clientFrame(Opcode.PING, new Uint8Array(126)), CloseCode.PROTOCOL_ERROR, /control frame of 126/);
  failsWith(t, clientFrame(Opcode.CONTINUATION, text('x')), CloseCode.PROTOCOL_ERROR, /no message to continue/);
  failsWith(
    t,
    Uint8Array.from([...clientFrame(Opcode.TEXT, text('a'), { fin: false }), ...clientFrame(Opcode.TEXT, text('b'))]),
    CloseCode.PROTOCOL_ERROR,
    /inside a fragmented/,
  );
  failsWith(t, clientFrame(Opcode.TEXT, Uint8Array.from([0xc3, 0x28])), CloseCode.INVALID_DATA, /UTF-8/);
  failsWith(t, clientFrame(Opcode.CLOSE, Uint8Array.from([0x03])), CloseCode.PROTOCOL_ERROR, /one-byte/);
  failsWith(t, clientFrame(Opcode.CLOSE, Uint8Array.from([0x03, 0xed])), CloseCode.PROTOCOL_ERROR, /close code 1005/);
  // Too big is refused from the header alone: nothing of the payload needs to arrive.
  failsWith(t, Uint8Array.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]), CloseCode.TOO_BIG, /more than 65536/);
  failsWith(t, Uint8Array.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]), CloseCode.PROTOCOL_ERROR, /most significant bit/);
  const half = new Uint8Array(MAX_MESSAGE / 2 + 1);
  failsWith(
    t,
    Uint8Array.from([...clientFrame(Opcode.BINARY, half, { fin: false }), ...clientFrame(Opcode.CONTINUATION, half).subarray(0, 8)]),
    CloseCode.TOO_BIG,
    /more than/,
  );
});

t.test('server frames: lengths of every size class', async (t) => {
  for (const n of [0, 125, 126, 65535, 65536]) {
    const f = encodeFrame(Opcode.BINARY, new Uint8Array(n));
    t.equal(f.length, n + (n < 126 ? 2 : n <= 0xffff ? 4 : 10), `${n} bytes`);
    t.equal(f[0], 0x82);
  }
});

t.test('fuzz: random bytes end in a WebSocketError or decode; never anything else', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, setMask) => {
      const b = Uint8Array.from(bytes);
      if (setMask && b.length > 1) b[1]! |= 0x80;
      try {
        new FrameDecoder(1024).push(b);
      } catch (e) {
        if (!(e instanceof WebSocketError)) throw e;
      }
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('fuzz: valid frames cut anywhere decode to the same messages', async (t) => {
  const frame = fc.oneof(
    fc.string({ maxLength: 200 }).map((s) => ({ bytes: clientFrame(Opcode.TEXT, text(s)), ev: { kind: 'text', text: s } as WsEvent })),
    fc.uint8Array({ maxLength: 400 }).map((d) => ({ bytes: clientFrame(Opcode.BINARY, d), ev: { kind: 'binary', data: d } as WsEvent })),
    fc.uint8Array({ maxLength: 125 }).map((d) => ({ bytes: clientFrame(Opcode.PING, d), ev: { kind: 'ping', data: d } as WsEvent })),
  );
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (frames, cuts) => {
      const all = Uint8Array.from(frames.flatMap((f) => [...f.bytes]));
      const points = [...new Set(cuts.map((c) => (all.length ? c % all.length : 0)))].sort((a, b) => a - b);
      const d = new FrameDecoder();
      const got: WsEvent[] = [];
      let at = 0;
      for (const p of [...points, all.length]) {
        got.push(...d.push(all.slice(at, p)));
        at = p;
      }
      if (JSON.stringify(got.map(plain)) !== JSON.stringify(frames.map((f) => plain(f.ev)))) throw new Error(`cut at ${points}: decoded differently`);
    }),
    { numRuns: Math.min(RUNS, 500) },
  );
  t.pass();
});

function plain(ev: WsEvent): unknown {
  return 'data' in ev ? { ...ev, data: [...ev.data] } : ev;
}
