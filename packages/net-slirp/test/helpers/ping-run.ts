// Runs inside a test namespace: sends guest echo requests for 192.0.2.1 and 2001:db8::1
// (addresses on that namespace's loopback) into a SlirpStack and prints the identifiers of the
// echo replies that came back, plus the stack's log lines and counters.
import { pino } from 'pino';
import { SlirpStack } from '../../src/index.ts';
import { l4ChecksumOk, type IpPacket } from '../../src/ip.ts';
import { parseIpv6 } from '../../src/ipv6.ts';
import { arpRequest, GUEST4, GUEST6, GW4, ipv4, ipv6 } from './frames.ts';
import { be16 } from '../../src/bytes.ts';

const TARGET6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]; // 2001:db8::1

const logs: string[] = [];
const replies: number[] = [];
const replies6: number[] = [];
const stack = new SlirpStack(
  {
    logger: pino(
      { level: 'info' },
      {
        write: (l: string) => {
          logs.push(JSON.parse(l).msg as string);
        },
      },
    ),
  },
  (f) => {
    if (f.length >= 42 && f[12] === 8 && f[13] === 0 && f[23] === 1 && f[34] === 0 && f.subarray(26, 30).join('.') === '192.0.2.1') {
      replies.push(be16(f, 38));
    }
    if (f.length >= 62 && f[12] === 0x86 && f[13] === 0xdd && f[20] === 58 && f[54] === 129 && f[22] === 0x20 && f[37] === 1) {
      const pkt = {} as IpPacket;
      if (parseIpv6(f, pkt) === undefined && l4ChecksumOk(pkt)) replies6.push(be16(f, 58));
    }
  },
);
stack.input(arpRequest(GW4));
for (let seq = 1; seq <= 2; seq++) {
  stack.input(ipv4(1, GUEST4, [192, 0, 2, 1], [8, 0, 0, 0, 0x42, 0x42, 0, seq, 1, 2, 3, 4, 5, 6, 7, 8]));
  stack.input(ipv6(58, GUEST6, TARGET6, [128, 0, 0, 0, 0x61, 0x66, 0, seq, 9, 8, 7, 6]));
  await new Promise((r) => setTimeout(r, 300));
}
process.stdout.write(`${JSON.stringify({ replies, replies6, logs, counters: stack.stats().counters })}\n`);
stack.close();
process.exit(0);
