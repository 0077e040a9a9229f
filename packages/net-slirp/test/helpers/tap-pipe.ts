// Runs inside a test network namespace: opens a TAP interface and shuttles frames between it
// and stdio as [u32 big-endian length][frame] records. The namespace's Linux kernel is then
// the "guest" of the slirp stack running in the test process.
import { TapDevice, forEachFrame } from '@colinux/net-tap/tap-device';

const name = process.argv[2] ?? 'tap0';
const tap = TapDevice.open(name);
tap.startReading(() => undefined, { sinkFd: 1 });
let pending: Uint8Array = new Uint8Array(0);
process.stdin.on('data', (chunk: Buffer) => {
  let buf: Uint8Array = chunk;
  if (pending.length > 0) buf = Buffer.concat([pending, chunk]);
  const used = forEachFrame(buf, (f) => tap.write(f));
  pending = buf.subarray(used);
});
process.stdin.on('end', () => {
  void tap.close().then(() => process.exit(0));
});
process.stderr.write('ready\n');
