// The slirp stack against a real TCP/IP stack nobody here wrote: the Linux kernel of a network
// namespace, attached through a TAP interface, with busybox as the guest's userland.
import t from 'tap';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { NetnsGuest } from './helpers/netns-guest.ts';
import { TestDnsServer } from './helpers/dns-server.ts';
import { BlobServer } from './helpers/blob-server.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('busybox');
requireTool('ip');
requireTool('sh');
requireTool('sysctl');

const LONG = process.env.COLINUX_LONG_TESTS === '1';
const BLOB = LONG ? 1024 * 1024 * 1024 : 10 * 1024 * 1024;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** Starts a TCP echo server inside the namespace (node, listening on every address). */
async function guestEcho(g: NetnsGuest, port: number): Promise<() => void> {
  const p = g.spawn([process.execPath, '-e', `require('net').createServer({allowHalfOpen:true},s=>s.pipe(s)).listen(${port},()=>console.log('up'))`]);
  await new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (c) => reject(new Error(`echo server exited ${c}`)));
  });
  return () => p.kill();
}

async function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('end', () => {
      resolve(Buffer.concat(got));
      s.end();
    });
    s.on('error', reject);
    s.end(payload);
  });
}

t.test('IPv4 guest: DHCP, ping, DNS, TCP both ways, redirections', async (t) => {
  const dns = await TestDnsServer.start({ 'files.test': '10.0.2.2' });
  const blob = await BlobServer.start(BLOB, '127.0.0.1');
  const redirPort = await freePort();
  const busyPort = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(busyPort, '127.0.0.1', r));
  const redirs = `tcp:${busyPort}:7000/tcp:${redirPort}:7777`;
  const { parseRedirections } = await import('../src/index.ts');
  const g = await NetnsGuest.create({ dnsServers: [dns.address], redirections: parseRedirections(redirs) });
  t.teardown(async () => {
    await g.close();
    dns.close();
    blob.close();
    blocker.close();
  });

  const results = await g.stack.start();
  t.match(results.find((r) => r.hostPort === busyPort)?.error ?? '', /EADDRINUSE/, 'a port in use is reported');
  t.equal(results.find((r) => r.hostPort === redirPort)?.error, undefined, 'the other redirection still listens');

  const lease = await g.dhcp();
  t.equal(lease.ip, '10.0.2.15', 'udhcpc gets 10.0.2.15');
  t.equal(lease.router, '10.0.2.2', 'router is the gateway');
  t.equal(lease.dns, '10.0.2.3', 'DNS is 10.0.2.3');

  const ping = await g.exec(['busybox', 'ping', '-c', '2', '-W', '3', '10.0.2.2']);
  t.equal(ping.code, 0, 'ping to the gateway is answered');
  t.match(ping.stdout, /2 packets received/);

  const ns = await g.exec(['busybox', 'nslookup', 'files.test', '10.0.2.3']);
  t.match(ns.stdout, /Address:\s+10\.0\.2\.2/, 'the name served by the host-side resolver resolves');
  t.ok(dns.queries > 0, 'queries reached the host resolver');

  const dl = await g.exec(['sh', '-c', `busybox wget -q -O - http://files.test:${blob.port}/blob | busybox sha256sum`], { timeoutMs: 600_000 });
  t.equal(dl.stdout.split(' ')[0], blob.sha256, `host->guest ${BLOB} bytes arrive intact (wget via 10.0.2.2 by name)`);

  const upload = path.join(g.tmp, 'upload.bin');
  // busybox wget sends --post-file as a C string: no NUL bytes in it.
  fs.writeFileSync(
    upload,
    crypto
      .randomBytes(4 * 1024 * 1024)
      .toString('base64')
      .slice(0, 4 * 1024 * 1024 + 123),
  );
  const want = crypto.createHash('sha256').update(fs.readFileSync(upload)).digest('hex');
  const up = await g.exec(['busybox', 'wget', '-q', '-O', '-', '--post-file', upload, `http://10.0.2.2:${blob.port}/up`], { timeoutMs: 120_000 });
  t.equal(up.stdout.trim(), `${want} ${4 * 1024 * 1024 + 123}`, 'guest->host upload arrives intact', { stderr: up.stderr });

  const stop = await guestEcho(g, 7777);
  t.teardown(stop);
  const payload = crypto.randomBytes(2 * 1024 * 1024);
  const echoed = await echoThrough(redirPort, payload);
  t.ok(echoed.equals(payload), 'a redirected host port reaches the server in the namespace, with half-close');

  const refused = await g.exec(['busybox', 'wget', '-q', '-O', '-', `http://10.0.2.2:${busyPort + 0}/`], { timeoutMs: 20_000 });
  t.not(refused.code, 0, 'a connection to a host port without HTTP fails cleanly');
  t.equal((g.stack.stats().tcpConnections as number) >= 0, true);
});

t.test('IPv6 guest: SLAAC, ping6 gateway, DNS via fd00::3, TCP and UDP to the host ::1', async (t) => {
  const blob = await BlobServer.start(1024 * 1024, '::1');
  const dns = await TestDnsServer.start({ 'six.test': '10.0.2.2' });
  const g = await NetnsGuest.create({ dnsServers: [dns.address] });
  t.teardown(async () => {
    await g.close();
    blob.close();
    dns.close();
  });
  await g.exec(['sysctl', '-qw', 'net.ipv6.conf.tap0.accept_dad=0']);
  await g.exec(['ip', 'link', 'set', 'tap0', 'down']);
  await g.exec(['ip', 'link', 'set', 'tap0', 'up']);
  const addr = await g.slaac();
  t.match(addr, /^fd00::/, `SLAAC address ${addr} in fd00::/64`);
  const route = await g.exec(['ip', '-6', 'route', 'show', 'default']);
  t.match(route.stdout, /via fe80::2/, 'default route via the router link-local address');
  const ping = await g.exec(['busybox', 'ping6', '-c', '2', '-W', '3', 'fd00::2']);
  t.equal(ping.code, 0, 'ping6 to the gateway is answered');
  const dl = await g.exec(['sh', '-c', `busybox wget -q -O - http://[fd00::2]:${blob.port}/x | busybox sha256sum`], { timeoutMs: 60_000 });
  t.equal(dl.stdout.split(' ')[0], blob.sha256, 'TCP over IPv6 reaches the host ::1');
  const dgram = await import('node:dgram');
  const echo = dgram.createSocket('udp6');
  echo.on('message', (m, ri) => echo.send(Buffer.concat([Buffer.from('v6:'), m]), ri.port, ri.address));
  await new Promise<void>((r) => echo.bind(0, '::1', r));
  t.teardown(() => echo.close());
  const u = await g.exec(
    [
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp6');s.on('message',m=>{console.log(m.toString());process.exit(0)});s.send('hi',${echo.address().port},'fd00::2')`,
    ],
    { timeoutMs: 10_000 },
  );
  t.equal(u.stdout.trim(), 'v6:hi', 'UDP over IPv6 to fd00::2 reaches the host ::1 and back');
  const ns = await g.exec(['busybox', 'nslookup', 'six.test', 'fd00::3']);
  t.match(ns.stdout, /Address:\s+10\.0\.2\.2/, 'a DNS query over IPv6 to fd00::3 is forwarded to the host resolver');
});

t.test('restrict mode: nothing goes out, redirections still work', async (t) => {
  const blob = await BlobServer.start(1024, '127.0.0.1');
  const redirPort = await freePort();
  const { parseRedirections } = await import('../src/index.ts');
  const g = await NetnsGuest.create({ restrict: true, redirections: parseRedirections(`tcp:${redirPort}:7777`) });
  t.teardown(async () => {
    await g.close();
    blob.close();
  });
  await g.stack.start();
  const lease = await g.dhcp();
  t.equal(lease.ip, '10.0.2.15');
  t.equal(lease.router, '', 'no router is offered in restrict mode');
  await g.exec(['ip', 'route', 'add', 'default', 'via', '10.0.2.2']);
  const out = await g.exec(['busybox', 'wget', '-q', '-O', '-', `http://10.0.2.2:${blob.port}/`], { timeoutMs: 20_000 });
  t.not(out.code, 0, 'outbound TCP is refused');
  const stop = await guestEcho(g, 7777);
  t.teardown(stop);
  const echoed = await echoThrough(redirPort, Buffer.from('hello through restrict'));
  t.equal(echoed.toString(), 'hello through restrict', 'the redirection works');
  await g.exec(['sysctl', '-qw', 'net.ipv6.conf.tap0.accept_dad=0']);
  await g.exec(['ip', 'link', 'set', 'tap0', 'down']);
  await g.exec(['ip', 'link', 'set', 'tap0', 'up']);
  t.match(await g.slaac(), /^fd00::/, 'IPv6 SLAAC still gives an address');
  const route = await g.exec(['ip', '-6', 'route', 'show', 'default']);
  t.equal(route.stdout.trim(), '', 'but the router advertisement offers no default route');
});

t.test('no host loopback, MTU 65520 announced by DHCP', async (t) => {
  const blob = await BlobServer.start(1024, '127.0.0.1');
  const g = await NetnsGuest.create({ disableHostLoopback: true, mtu: 65520 });
  t.teardown(async () => {
    await g.close();
    blob.close();
  });
  const lease = await g.dhcp();
  t.equal(lease.mtu, '65520', 'DHCP option 26 carries the MTU');
  const link = await g.exec(['ip', 'link', 'show', 'tap0']);
  t.match(link.stdout, /mtu 65520/, 'the guest interface took it');
  const out = await g.exec(['busybox', 'wget', '-q', '-O', '-', `http://10.0.2.2:${blob.port}/`], { timeoutMs: 20_000 });
  t.not(out.code, 0, '10.0.2.2 does not reach the host loopback');
  t.ok((g.stack.counters['tcp-refused'] ?? 0) > 0, 'the SYN was refused by the stack');
});
