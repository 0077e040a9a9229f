// Flow control, resets and UDP through the namespace kernel: a host or guest that stops
// reading must not make the stack buffer without bound, and everything must arrive once the
// reader resumes; refused and reset connections reach the other side; UDP NAT and UDP
// redirections carry datagrams both ways; --pcap writes a readable capture.
import t from 'tap';
import net from 'node:net';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { NetnsGuest } from './helpers/netns-guest.ts';
import { parseRedirections } from '../src/index.ts';
import { RECV_BUFFER, SEND_BUFFER } from '../src/tcp-connection.ts';
import { requireTool } from '../../../test/tools.ts';
import { testSeed } from '../../../test/random.ts';

requireTool('busybox');
requireTool('sh');

const BYTES = 48 * 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const GUEST_SENDER = `const s=require('net').connect({host:'10.0.2.2',port:+process.argv[1]});const b=Buffer.alloc(1<<20,5);let n=0;
const pump=()=>{while(n<${BYTES}){n+=b.length;if(!s.write(b))return s.once('drain',pump);}s.end();};s.on('connect',pump);s.on('data',()=>{});s.on('end',()=>console.log('sent',n));`;
const GUEST_LAZY_READER = `const s=require('net').connect({host:'10.0.2.2',port:+process.argv[1]});let n=0;s.pause();
setTimeout(()=>{s.on('data',d=>{n+=d.length});s.resume();},+process.argv[2]);s.on('end',()=>{console.log('got',n);s.end();});`;

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

t.test('flow control, refusal, reset, UDP, pcap', async (t) => {
  const pcap = path.join(fs.mkdtempSync('/tmp/slirp-pcap-'), 'guest.pcap');
  const udpRedir = await new Promise<number>((r) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
  fs.writeFileSync(pcap, 'an older world-readable capture', { mode: 0o644 });
  const g = await NetnsGuest.create({ pcap, redirections: parseRedirections(`udp:${udpRedir}:7001`) });
  t.teardown(async () => {
    await g.close();
    fs.rmSync(path.dirname(pcap), { recursive: true, force: true });
  });
  await g.stack.start();
  t.equal((await g.dhcp()).ip, '10.0.2.15');

  await t.test('a host that stops reading: bounded buffer, zero window, then all bytes arrive', async (t) => {
    let received = 0;
    let host: net.Socket | undefined;
    const server = net.createServer((s) => {
      host = s;
      s.pause();
      s.on('data', (d) => {
        received += d.length;
      });
      s.on('end', () => s.end());
    });
    const port = await listen(server);
    t.teardown(() => server.close());
    const guest = g.exec([process.execPath, '-e', GUEST_SENDER, String(port)], { timeoutMs: 120_000 });
    await sleep(3000);
    const conns = g.stack.tcp.describe();
    t.equal(conns.length, 1, 'one connection');
    t.ok(
      (conns[0]?.toHostBuffered as number) <= RECV_BUFFER + 65536,
      `stack holds ${String(conns[0]?.toHostBuffered)} bytes for the paused host (cap ${RECV_BUFFER})`,
    );
    t.equal(received, 0, 'nothing read yet');
    host!.resume();
    const out = await guest;
    t.match(out.stdout, `sent ${BYTES}`, 'the guest finished sending');
    while (received < BYTES) await sleep(50);
    t.equal(received, BYTES, 'every byte reached the host');
  });

  await t.test('a guest that stops reading: host socket paused, then all bytes arrive', async (t) => {
    const server = net.createServer((s) => {
      s.end(Buffer.alloc(BYTES, 3));
      s.on('error', () => undefined);
    });
    const port = await listen(server);
    t.teardown(() => server.close());
    const guest = g.exec([process.execPath, '-e', GUEST_LAZY_READER, String(port), '3000'], { timeoutMs: 120_000 });
    await sleep(2000);
    const conns = g.stack.tcp.describe();
    t.equal(conns.length, 1, 'one connection');
    t.ok(
      (conns[0]?.toGuestQueued as number) <= SEND_BUFFER + 65536,
      `stack queues ${String(conns[0]?.toGuestQueued)} bytes for the stalled guest (cap ${SEND_BUFFER})`,
    );
    t.equal(conns[0]?.hostPaused, true, 'the host socket is paused');
    const out = await guest;
    t.match(out.stdout, `got ${BYTES}`, 'every byte reached the guest');
  });

  await t.test('a refused host port is a refused guest connection', async (t) => {
    const closed = net.createServer();
    const p2 = await listen(closed);
    closed.close();
    const r = await g.exec(['busybox', 'wget', '-q', '-O', '-', `http://10.0.2.2:${p2}/`], { timeoutMs: 20_000 });
    t.not(r.code, 0);
    t.match(r.stderr, /refused/i, 'wget reports connection refused');
  });

  await t.test('a host reset reaches the guest', async (t) => {
    const server = net.createServer((s) => {
      s.write(Buffer.alloc(100000));
      setTimeout(() => s.resetAndDestroy(), 300);
    });
    const port = await listen(server);
    t.teardown(() => server.close());
    const r = await g.exec(
      [
        process.execPath,
        '-e',
        `const s=require('net').connect({host:'10.0.2.2',port:${port}});s.on('data',()=>{});s.on('error',e=>{console.log(e.code);process.exit(0)});s.on('end',()=>console.log('end'))`,
      ],
      { timeoutMs: 20_000 },
    );
    t.match(r.stdout, /ECONNRESET/, 'the guest sees ECONNRESET');
  });

  await t.test('UDP NAT to the host and a UDP redirection into the guest', async (t) => {
    const echo = dgram.createSocket('udp4');
    echo.on('message', (m, ri) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), ri.port, ri.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
    t.teardown(() => echo.close());
    const r = await g.exec(
      [
        process.execPath,
        '-e',
        `const s=require('dgram').createSocket('udp4');s.on('message',m=>{console.log(m.toString());process.exit(0)});s.send('ping',${echo.address().port},'10.0.2.2')`,
      ],
      { timeoutMs: 10_000 },
    );
    t.equal(r.stdout.trim(), 'echo:ping', 'a guest datagram to 10.0.2.2 is answered by the host');

    const guestEcho = g.spawn([
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp4');s.on('message',(m,ri)=>s.send('guest:'+m,ri.port,ri.address));s.bind(7001,()=>console.log('up'))`,
    ]);
    t.teardown(() => guestEcho.kill());
    await new Promise((r) => guestEcho.stdout!.once('data', r));
    const c = dgram.createSocket('udp4');
    t.teardown(() => c.close());
    const reply = new Promise<string>((r) => c.once('message', (m) => r(m.toString())));
    c.send('hello', udpRedir, '127.0.0.1');
    t.equal(await reply, 'guest:hello', 'a host datagram to the redirected port reaches the guest and comes back');
  });

  await t.test('--pcap writes a libpcap file of the guest side', async (t) => {
    const b = fs.readFileSync(pcap);
    t.equal(b.readUInt32LE(0), 0xa1b2c3d4, 'pcap magic');
    t.equal(fs.statSync(pcap).mode & 0o777, 0o600, 'the capture is readable by its owner only, even over an older 0644 file');
    t.equal(b.readUInt32LE(20), 1, 'LINKTYPE_ETHERNET');
    let off = 24;
    let n = 0;
    while (off + 16 <= b.length) {
      const len = b.readUInt32LE(off + 8);
      off += 16 + len;
      n++;
    }
    t.ok(n > 100, `${n} frames captured`);
    t.ok(off <= b.length, 'records are whole');
  });
});

t.test('2% frame loss both ways: transfers still arrive intact', async (t) => {
  const { BlobServer } = await import('./helpers/blob-server.ts');
  const crypto = await import('node:crypto');
  const blob = await BlobServer.start(8 * 1024 * 1024, '127.0.0.1');
  const seed = testSeed(t, 'clock');
  const g = await NetnsGuest.create({ loss: 0.02, seed });
  t.teardown(async () => {
    await g.close();
    blob.close();
  });
  const t1 = Date.now();
  let lease = await g.dhcp();
  for (let i = 0; i < 3 && lease.ip !== '10.0.2.15'; i++) lease = await g.dhcp(); // DHCP itself may lose a frame
  t.equal(lease.ip, '10.0.2.15');
  t.comment(`dhcp ${Date.now() - t1} ms`);
  let t0 = Date.now();
  const dl = await g.exec(['sh', '-c', `busybox wget -q -O - http://10.0.2.2:${blob.port}/b | busybox sha256sum`], { timeoutMs: 180_000 });
  t.comment(`download ${Date.now() - t0} ms`);
  t.equal(dl.stdout.split(' ')[0], blob.sha256, 'host->guest 8 MiB intact');
  const upload = path.join(g.tmp, 'up.txt');
  fs.writeFileSync(upload, crypto.randomBytes(3 * 1024 * 1024).toString('base64'));
  const want = crypto.createHash('sha256').update(fs.readFileSync(upload)).digest('hex');
  t0 = Date.now();
  const up = await g.exec(['busybox', 'wget', '-q', '-O', '-', '--post-file', upload, `http://10.0.2.2:${blob.port}/up`], { timeoutMs: 180_000 });
  t.comment(`upload ${Date.now() - t0} ms`);
  t.equal(up.stdout.split(' ')[0], want, 'guest->host 4 MiB intact');
  const c = g.stack.counters;
  t.ok(g.lostFrames > 100, `${g.lostFrames} frames were lost on purpose`);
  t.ok(
    (c['tcp-fast-retransmit'] ?? 0) + (c['tcp-retransmit-timeout'] ?? 0) > 0,
    `the stack retransmitted (fast ${c['tcp-fast-retransmit'] ?? 0}, timeout ${c['tcp-retransmit-timeout'] ?? 0})`,
  );
  t.comment(JSON.stringify(c));
  t.ok((c['tcp-out-of-order'] ?? 0) > 0, `segments after a gap were kept (${c['tcp-out-of-order'] ?? 0})`);
});
