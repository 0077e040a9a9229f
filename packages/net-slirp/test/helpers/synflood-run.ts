// Runs inside a test namespace: floods the stack with SYNs from 5000 guest ports to a
// listening host port, never completing the handshakes, then opens one real connection (SYN,
// then the ACK of the stack's SYN-ACK) and prints the table size and whether it got in.
import net from 'node:net';
import { SlirpStack } from '../../src/index.ts';
import { GUEST4, GW4, ipv4, tcp } from './frames.ts';
import { be16, be32, u8 } from '../../src/bytes.ts';

const server = net.createServer((s) => {
  s.on('error', () => undefined);
  s.resume();
});
await new Promise<void>((r) => server.listen(9, '127.0.0.1', r));
let synAckFor = -1;
let ourSeq = 0;
const stack = new SlirpStack({ maxTcpConnections: 256 }, (f) => {
  if (f.length >= 54 && f[23] === 6 && (u8(f, 47) & 0x12) === 0x12) {
    synAckFor = be16(f, 36);
    ourSeq = be32(f, 38);
  }
});
const mss = [2, 4, 5, 0xb4];
let maxSize = 0;
for (let port = 10000; port < 15000; port++) {
  stack.input(ipv4(6, GUEST4, GW4, tcp(port, 9, 1000, 0, 0x02, 64240, mss)));
  if (port % 100 === 0) await new Promise((r) => setTimeout(r, 5)); // let host connects finish
  maxSize = Math.max(maxSize, stack.tcp.size);
}
await new Promise((r) => setTimeout(r, 200));
stack.input(ipv4(6, GUEST4, GW4, tcp(20000, 9, 5000, 0, 0x02, 64240, mss)));
for (let i = 0; i < 100 && synAckFor !== 20000; i++) await new Promise((r) => setTimeout(r, 10));
stack.input(ipv4(6, GUEST4, GW4, tcp(20000, 9, 5001, (ourSeq + 1) >>> 0, 0x10, 1000)));
const legit = stack.tcp.describe().find((c) => String(c.key).includes('|20000|'));
process.stdout.write(`${JSON.stringify({ maxSize, legit: legit?.state, counters: stack.stats().counters, heap: process.memoryUsage().heapUsed })}\n`);
stack.close();
server.close();
process.exit(0);
