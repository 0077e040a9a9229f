// Runs inside a test namespace: sends one guest ICMP echo request for 192.0.2.1 (an address on
// that namespace's loopback) into a SlirpStack and prints whether an echo reply with the
// guest's identifier came back, plus the stack's log lines and counters.
import { pino } from 'pino';
import { SlirpStack } from '../../src/index.ts';
import { arpRequest, GUEST4, GW4, ipv4 } from './frames.ts';

const logs: string[] = [];
const replies: number[] = [];
const stack = new SlirpStack({ logger: pino({ level: 'info' }, { write: (l: string) => { logs.push(JSON.parse(l).msg as string); } }) }, (f) => {
  if (f.length >= 42 && f[12] === 8 && f[13] === 0 && f[23] === 1 && f[34] === 0 && f.subarray(26, 30).join('.') === '192.0.2.1') {
    replies.push((f[38] << 8) | f[39]);
  }
});
stack.input(arpRequest(GW4));
for (let seq = 1; seq <= 2; seq++) {
  stack.input(ipv4(1, GUEST4, [192, 0, 2, 1], [8, 0, 0, 0, 0x42, 0x42, 0, seq, 1, 2, 3, 4, 5, 6, 7, 8]));
  await new Promise((r) => setTimeout(r, 300));
}
process.stdout.write(`${JSON.stringify({ replies, logs, dropped: stack.stats().dropped })}\n`);
stack.close();
process.exit(0);
