// The slirp stack alone, no kernel on the guest side: a synthetic guest written here opens a TCP
// connection through SlirpStack to a host server on 127.0.0.1 and either sends data segments
// (guest->host) or acknowledges everything it receives (host->guest). What is measured is the
// stack plus the host socket, on one thread: an upper bound for what the stack adds to a
// real guest's path.
// Usage: node bench/slirp-stack.ts [megabytes=1000] [mtu list=1500,65520]
import net from 'node:net';
import { SlirpStack } from '../packages/net-slirp/src/index.ts';
import { fixChecksums, GUEST4, GW4, ipv4, tcp } from '../packages/net-slirp/test/helpers/frames.ts';
import { be16, be32, u8 } from '../packages/net-slirp/src/bytes.ts';

const MB = Number(process.argv[2] ?? 1000);
const MTUS = (process.argv[3] ?? '1500,65520').split(',').map(Number);
const BYTES = MB * 1024 * 1024;
const GUEST_PORT = 40000;
const WSCALE = [1, 3, 3, 7];

function put32(f: Uint8Array, o: number, v: number): void {
  f[o] = v >>> 24;
  f[o + 1] = (v >>> 16) & 255;
  f[o + 2] = (v >>> 8) & 255;
  f[o + 3] = v & 255;
}

async function once(mtu: number, direction: 'up' | 'down'): Promise<{ gbit: number; cpuGbit: number; counters: Record<string, number> }> {
  const mss = mtu - 40;
  let received = 0;
  let doneAt = 0;
  let downDone = (): void => undefined;
  const finished = new Promise<void>((resolve) => {
    const server = net.createServer((s) => {
      if (direction === 'up')
        s.on('data', (d) => {
          received += d.length;
          if (received >= BYTES) {
            doneAt = performance.now();
            s.destroy();
            server.close();
            resolve();
          }
        });
      else {
        const chunk = Buffer.alloc(1 << 20, 1);
        let sent = 0;
        const pump = (): void => {
          while (sent < BYTES) {
            sent += chunk.length;
            if (!s.write(chunk)) {
              s.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }
      s.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1', () => start((server.address() as net.AddressInfo).port));
    downDone = () => {
      doneAt = performance.now();
      server.close();
      resolve();
    };
  });
  let ourNext = 0;
  let theirSeq = 1000;
  let ackScheduled = false;
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => {
    readyResolve = r;
  });
  const sendAck = (): void => {
    ackScheduled = false;
    stack.input(ipv4(6, GUEST4, GW4, tcp(GUEST_PORT, port, theirSeq, ourNext, 0x10, 65535)));
  };
  let port = 0;
  let right = 0; // the stack's advertised right edge: the synthetic guest respects it
  const stack = new SlirpStack({ mtu }, (f) => {
    if (f[23] !== 6) return;
    const flags = u8(f, 47);
    if (flags & 0x10) right = (be32(f, 42) + (be16(f, 48) << (flags & 0x02 ? 0 : 7))) >>> 0;
    if ((flags & 0x12) === 0x12) {
      ourNext = (be32(f, 38) + 1) >>> 0;
      queueMicrotask(() => {
        sendAck();
        readyResolve();
      });
      return;
    }
    const dataLen = be16(f, 16) - 20 - (u8(f, 46) >>> 4) * 4;
    if (dataLen > 0) {
      ourNext = (be32(f, 38) + dataLen) >>> 0;
      received += dataLen;
      if (received >= BYTES) downDone();
      if (!ackScheduled) {
        ackScheduled = true;
        setImmediate(sendAck);
      }
    }
  });
  function start(p: number): void {
    port = p;
    stack.input(ipv4(6, GUEST4, GW4, tcp(GUEST_PORT, port, theirSeq - 1, 0, 0x02, 65535, [2, 4, mss >>> 8, mss & 255, ...WSCALE, 0])));
  }
  await ready;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  if (direction === 'up') {
    const frame = ipv4(
      6,
      GUEST4,
      GW4,
      tcp(
        GUEST_PORT,
        port,
        theirSeq,
        ourNext,
        0x10,
        65535,
        [],
        Array.from({ length: mss }, (_, i) => i & 255),
      ),
    );
    let sent = 0;
    while (sent < BYTES) {
      for (let i = 0; i < 32 && sent < BYTES && ((right - ((theirSeq + mss) >>> 0)) | 0) >= 0; i++) {
        const f = Uint8Array.from(frame); // the stack may keep views into what it is given
        put32(f, 38, theirSeq);
        put32(f, 42, ourNext);
        fixChecksums(f);
        stack.input(f);
        theirSeq = (theirSeq + mss) >>> 0;
        sent += mss;
      }
      await new Promise((r) => setImmediate(r));
    }
  }
  await finished;
  const cpu = process.cpuUsage(cpu0);
  const counters = stack.stats().counters as Record<string, number>;
  stack.close();
  const secs = (doneAt - t0) / 1000;
  return { gbit: (BYTES * 8) / secs / 1e9, cpuGbit: (BYTES * 8) / ((cpu.user + cpu.system) / 1e6) / 1e9, counters };
}

process.stdout.write(
  `slirp stack alone (synthetic guest, one thread), ${MB} MiB per run\n| MTU | guest->host Gbit/s | host->guest Gbit/s | counters |\n|---|---|---|---|\n`,
);
for (const mtu of MTUS) {
  const up = await once(mtu, 'up');
  const down = await once(mtu, 'down');
  process.stdout.write(`| ${mtu} | ${up.gbit.toFixed(2)} | ${down.gbit.toFixed(2)} | ${JSON.stringify({ ...up.counters, ...down.counters })} |\n`);
}
process.exit(0);
