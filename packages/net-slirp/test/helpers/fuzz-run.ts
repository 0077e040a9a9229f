// Fuzz worker, run inside a throwaway network namespace (so whatever the mutated frames make
// the stack send or connect to stays there): feeds mutated seed frames, checksums fixed after
// mutation so they reach the parsers behind the checksum checks, into SlirpStack.input and
// prints a JSON summary (counts, table sizes, heap growth).
import { pino } from 'pino';
import { SlirpStack } from '../../src/index.ts';
import net from 'node:net';
import { fixChecksums, GUEST4, GW4, ipv4, seeds, tcp } from './frames.ts';
import { Random } from '../../../../test/random.ts';
import { be16, be32, u8 } from '../../src/bytes.ts';

const iterations = Number(process.argv[2] ?? 20000);
const random = new Random(Number(process.argv[3] ?? 12345)); // the seed the test printed
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x3f, 0x20, 0x11, 0x06, 0x02, 0x12];

let out = 0;
const errors: string[] = [];
const logger = pino(
  { level: 'error' },
  {
    write: (line: string) => {
      if (errors.length < 5) errors.push(line);
    },
  },
);
const base = seeds();
// Segments that continue connections the stack really opened (to the discard server below),
// so mutations also reach the established-state code, not only the connection-less paths.
const live: Uint8Array[] = [];
function learn(f: Uint8Array): void {
  if (f.length < 54 || f[12] !== 8 || f[13] !== 0 || f[23] !== 6) return;
  const t = 34;
  if ((u8(f, t + 13) & 0x12) !== 0x12 || live.length > 64) return;
  const sport = be16(f, t + 2);
  const theirSeq = be32(f, t + 4);
  const ourSeq = be32(f, t + 8);
  const ack = (theirSeq + 1) >>> 0;
  const dport = be16(f, t);
  const data = Array.from({ length: 100 }, (_, i) => i);
  live.push(ipv4(6, GUEST4, GW4, tcp(sport, dport, ourSeq, ack, 0x10, 1000)));
  live.push(ipv4(6, GUEST4, GW4, tcp(sport, dport, ourSeq, ack, 0x18, 1000, [], data)));
  live.push(ipv4(6, GUEST4, GW4, tcp(sport, dport, (ourSeq + 100) >>> 0, ack, 0x11, 0)));
  live.push(ipv4(6, GUEST4, GW4, tcp(sport, dport, ourSeq, ack, 0x10, 0)));
}
const stack = new SlirpStack({ dnsServers: ['127.0.0.1:53'], logger }, (f) => {
  out++;
  learn(f);
});
const discard = net.createServer((s) => {
  s.resume();
  s.on('error', () => undefined);
  s.write(Buffer.alloc(100000));
});
await new Promise<void>((r) => discard.listen(9, '127.0.0.1', r));
const gc = (globalThis as { gc?: () => void }).gc;

function mutate(src: Uint8Array): Uint8Array {
  let f: Uint8Array = Uint8Array.from(src);
  const k = 1 + random.int(4);
  for (let i = 0; i < k; i++) {
    const what = random.int(10);
    if (what < 5 && f.length > 0) f[random.int(f.length)] = random.int(256);
    else if (what < 7 && f.length > 0)
      f[random.int(f.length)] = INTERESTING[random.int(INTERESTING.length)]!; // int(n) < n
    else if (what === 7) f = f.subarray(0, random.int(f.length + 1));
    else if (what === 8) {
      const g = new Uint8Array(f.length + random.int(64));
      g.set(f);
      for (let j = f.length; j < g.length; j++) g[j] = random.int(256);
      f = g;
    } else if (f.length > 16) {
      const at = 14 + random.int(Math.min(40, f.length - 14));
      f[at] = u8(f, at) ^ (1 << random.int(8));
    }
  }
  if (random.int(10) < 9) fixChecksums(f);
  return f;
}

let heapQuarter = 0;
const started = Date.now();
for (let i = 0; i < iterations; i++) {
  const pool = live.length > 0 && random.int(2) === 0 ? live : base;
  const pick = pool[random.int(pool.length)]!; // int(n) < n, and base is not empty
  stack.input(random.int(8) === 0 ? Uint8Array.from(pick) : mutate(pick));
  if (i % 5000 === 4999) await new Promise((r) => setImmediate(r)); // let sockets settle
  if (i === Math.floor(iterations / 4)) {
    gc?.();
    heapQuarter = process.memoryUsage().heapUsed;
  }
}
stack.input(new Uint8Array(13));
stack.input(new Uint8Array(65536));
await new Promise((r) => setTimeout(r, 200));
gc?.();
const s = stack.stats();
process.stdout.write(
  `${JSON.stringify({
    iterations,
    ms: Date.now() - started,
    framesOut: out,
    tcp: s.tcpConnections,
    udp: s.udpFlows,
    counters: s.counters,
    heapQuarter,
    heapEnd: process.memoryUsage().heapUsed,
    maxTcp: stack.config.maxTcpConnections,
    errors,
    maxUdp: stack.config.maxUdpFlows,
  })}\n`,
);
stack.close();
discard.close();
process.exit(0);
