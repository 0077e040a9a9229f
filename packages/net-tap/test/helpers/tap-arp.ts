// Runs inside a test namespace: opens tap0 with TapDevice (frames posted to this thread),
// gives it 10.9.0.1/24, makes the kernel ARP for 10.9.0.2, answers that request by writing an
// ARP reply frame to the TAP, and prints what was read and the kernel's neighbour entry.
import { execFileSync, spawn } from 'node:child_process';
import { TapDevice, forEachFrame } from '../../src/tap-device.ts';
import { requireTool } from '../../../../test/tools.ts';

requireTool('ip');

const tap = TapDevice.open('tap0');
execFileSync('ip', ['addr', 'add', '10.9.0.1/24', 'dev', 'tap0']);
execFileSync('ip', ['link', 'set', 'tap0', 'up']);
const PEER_MAC = [0x02, 0x99, 0, 0, 0, 2];
let arpRequests = 0;
let frames = 0;
const answered = new Promise<void>((resolve) => {
  tap.startReading((batch) =>
    forEachFrame(batch, (f) => {
      frames++;
      const isArpRequest = f[12] === 8 && f[13] === 6 && f[21] === 1 && f.subarray(38, 42).join('.') === '10.9.0.2';
      if (!isArpRequest) return;
      arpRequests++;
      const reply = new Uint8Array(60);
      reply.set(f.subarray(6, 12), 0);
      reply.set(PEER_MAC, 6);
      reply.set([8, 6, 0, 1, 8, 0, 6, 4, 0, 2], 12);
      reply.set(PEER_MAC, 22);
      reply.set([10, 9, 0, 2], 28);
      reply.set(f.subarray(22, 28), 32);
      reply.set([10, 9, 0, 1], 38);
      tap.write(reply);
      resolve();
    }),
  );
});
// Any IPv4 packet to 10.9.0.2 makes the kernel resolve it first.
const sender = spawn(process.execPath, [
  '-e',
  "const s=require('dgram').createSocket('udp4');const t=setInterval(()=>s.send('x',9,'10.9.0.2'),100);setTimeout(()=>{clearInterval(t);s.close()},3000)",
]);
await Promise.race([answered, new Promise((r) => setTimeout(r, 5000))]);
await new Promise((r) => setTimeout(r, 300));
sender.kill();
const neigh = execFileSync('ip', ['neigh', 'show', '10.9.0.2', 'dev', 'tap0']).toString().trim();
process.stdout.write(`${JSON.stringify({ name: tap.name, frames, arpRequests, neigh })}\n`);
await tap.close();
process.exit(0);
