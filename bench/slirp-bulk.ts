// Slirp TCP throughput and latency through a real kernel: a network namespace whose Linux
// stack is the guest (TAP + SlirpStack in this process, see packages/net-slirp/test/helpers),
// a node client inside it, and a host server on 127.0.0.1 reached via 10.0.2.2.
// Usage: node bench/slirp-bulk.ts [megabytes=200] [mtu list=1500,65520] [rr iterations=2000]
import net from 'node:net';
import { NetnsGuest } from '../packages/net-slirp/test/helpers/netns-guest.ts';

const MB = Number(process.argv[2] ?? 200);
const MTUS = (process.argv[3] ?? '1500,65520').split(',').map(Number);
const RR = Number(process.argv[4] ?? 2000);
const BYTES = MB * 1024 * 1024;

const GUEST_CLIENT = `
const net = require('net');
const [mode, port, bytes, iters] = process.argv.slice(1).map(Number);
const s = net.connect({ host: '10.0.2.2', port, noDelay: true });
const t0 = process.hrtime.bigint();
const done = (what) => { console.log(JSON.stringify({ what, ns: Number(process.hrtime.bigint() - t0) })); process.exit(0); };
if (mode === 0) { let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => done(n)); }
if (mode === 1) {
  const buf = Buffer.alloc(1 << 20, 7); let sent = 0;
  const pump = () => { while (sent < bytes) { sent += buf.length; if (!s.write(buf)) return s.once('drain', pump); } s.end(); };
  s.on('connect', pump); s.on('data', () => {}); s.on('end', () => done(sent));
}
if (mode === 2) {
  let i = 0; const one = Buffer.from([1]);
  s.on('connect', () => s.write(one));
  s.on('data', () => { if (++i === iters) { done(i); } else s.write(one); });
}`;

async function hostServer(mode: number): Promise<{ port: number; close(): void; received: Promise<number> }> {
  let resolveRx!: (n: number) => void;
  const received = new Promise<number>((r) => {
    resolveRx = r;
  });
  const server = net.createServer({ noDelay: true }, (s) => {
    if (mode === 0) {
      const buf = Buffer.alloc(1 << 20, 9);
      let sent = 0;
      const pump = (): void => {
        while (sent < BYTES) {
          sent += buf.length;
          if (!s.write(buf)) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      pump();
    } else if (mode === 1) {
      let n = 0;
      s.on('data', (d) => {
        n += d.length;
      });
      s.on('end', () => {
        s.end();
        resolveRx(n);
      });
    } else s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close(), received };
}

async function run(g: NetnsGuest, mode: number): Promise<{ what: number; ns: number; cpuUs: number }> {
  const srv = await hostServer(mode);
  const cpu0 = process.cpuUsage();
  try {
    const r = await g.exec([process.execPath, '-e', GUEST_CLIENT, String(mode), String(srv.port), String(BYTES), String(RR)], { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`guest client failed: ${r.stderr}`);
    const cpu = process.cpuUsage(cpu0);
    return { ...(JSON.parse(r.stdout) as { what: number; ns: number }), cpuUs: cpu.user + cpu.system };
  } finally {
    srv.close();
  }
}

const rows: string[] = [];
for (const mtu of MTUS) {
  const g = await NetnsGuest.create({ mtu });
  try {
    const lease = await g.dhcp();
    if (lease.ip !== '10.0.2.15') throw new Error('no DHCP lease');
    const down = await run(g, 0);
    const up = await run(g, 1);
    const rr = await run(g, 2);
    const gbit = (bytes: number, ns: number): string => ((bytes * 8) / ns).toFixed(2);
    // Stack-bound rate: bytes per CPU second of this process (stack + host sockets + harness
    // framing), i.e. what the stack could carry if the guest side and the rest of the machine
    // were free.
    const perCpu = (r: { what: number; cpuUs: number }): string => ((r.what * 8) / (r.cpuUs * 1000)).toFixed(2);
    rows.push(`| ${mtu} | ${gbit(down.what, down.ns)} | ${gbit(up.what, up.ns)} | ${perCpu(down)} | ${perCpu(up)} | ${(rr.ns / rr.what / 1000).toFixed(0)} |`);
    process.stderr.write(`${rows[rows.length - 1]}  stats ${JSON.stringify(g.stack.stats().counters)}\n`);
  } finally {
    await g.close();
  }
}
process.stdout.write(`slirp TCP through a namespace kernel, ${MB} MiB per direction, ${RR} request/response round trips\n`);
process.stdout.write(
  '| MTU | host->guest Gbit/s | guest->host Gbit/s | host->guest Gbit per stack CPU-s | guest->host Gbit per stack CPU-s | TCP RR latency us |\n|---|---|---|---|---|---|\n',
);
process.stdout.write(`${rows.join('\n')}\n`);
