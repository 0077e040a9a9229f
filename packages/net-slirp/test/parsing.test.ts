// Pure parsing and configuration: redirection syntax (coLinux plus bind address), resolver
// discovery with re-reading on change and the systemd-resolved stub, address formatting,
// configuration limits.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRedirections } from '../src/redirect.ts';
import { DnsResolvers } from '../src/dns.ts';
import { formatIp, parseIpv6 } from '../src/address.ts';
import { resolveConfig } from '../src/config.ts';

t.test('redirections', async (t) => {
  t.same(
    parseRedirections('tcp:2222:22/tcp:4000:80:3').map((r) => [r.proto, r.bind, r.hostPort, r.guestPort, r.count]),
    [
      ['tcp', '127.0.0.1', 2222, 22, 1],
      ['tcp', '127.0.0.1', 4000, 80, 3],
    ],
    'coLinux examples, default bind 127.0.0.1',
  );
  t.same(
    parseRedirections('UDP:0.0.0.0:5353:53').map((r) => [r.proto, r.bind, r.hostPort, r.guestPort]),
    [['udp', '0.0.0.0', 5353, 53]],
    'bind address, case-insensitive proto',
  );
  t.same(
    parseRedirections('tcp:[::1]:8080:80').map((r) => r.bind),
    ['::1'],
    'IPv6 bind address',
  );
  t.same(
    parseRedirections('tcp:2222:22/TCP6:2223:22/udp6:[::1]:5353:53').map((r) => [r.proto, r.v6, r.bind]),
    [
      ['tcp', false, '127.0.0.1'],
      ['tcp', true, '127.0.0.1'],
      ['udp', true, '::1'],
    ],
    "tcp6/udp6: to the guest's IPv6 address",
  );
  for (const bad of ['tcp:22', 'sctp:1:2', 'tcp:0:22', 'tcp:70000:22', 'tcp:1:2:0', 'tcp:65535:1:2', 'tcp:host:1:2', 'tcp:a:b', 'tcp4:1:2', 'tcp66:1:2']) {
    t.throws(() => parseRedirections(`tcp:1:2/${bad}`), new RegExp(`Error in redirection '${bad.replace(/[[\]]/g, '\\$&')}'`), `${bad} is refused by name`);
  }
});

t.test('resolvers: resolv.conf re-read on change, systemd stub replaced', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slirp-dns-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'resolv.conf');
  const upstream = path.join(dir, 'upstream.conf');
  fs.writeFileSync(conf, '# comment\nnameserver 192.0.2.53\nnameserver 2001:db8::53%eth0\n');
  fs.writeFileSync(upstream, 'nameserver 198.51.100.7\n');
  const r = new DnsResolvers(undefined, conf, upstream);
  let now = 1_000_000;
  t.same(r.current(now), [
    { host: '192.0.2.53', port: 53 },
    { host: '2001:db8::53', port: 53 },
  ]);
  fs.writeFileSync(conf, 'nameserver 127.0.0.53\noptions edns0\n');
  fs.utimesSync(conf, new Date(), new Date(Date.now() + 5000));
  t.same(
    r.current(now + 10),
    [
      { host: '192.0.2.53', port: 53 },
      { host: '2001:db8::53', port: 53 },
    ],
    'cached within a second',
  );
  now += 2000;
  t.same(r.current(now), [{ host: '198.51.100.7', port: 53 }], 'the stub is replaced by the systemd upstream list');
  fs.rmSync(conf);
  now += 2000;
  t.same(r.current(now), [{ host: '127.0.0.1', port: 53 }], 'no resolv.conf: the host loopback');
  t.same(
    new DnsResolvers(['127.0.0.1:5353', '[::1]:53'], conf).current(),
    [
      { host: '127.0.0.1', port: 5353 },
      { host: '::1', port: 53 },
    ],
    'configured servers win',
  );
});

t.test('addresses and configuration', async (t) => {
  t.equal(formatIp(parseIpv6('fd00::2')), 'fd00::2');
  t.equal(formatIp(parseIpv6('fe80:0:0:0:1:0:0:1')), 'fe80::1:0:0:1');
  t.equal(formatIp(parseIpv6('::ffff:10.0.2.2')), '::ffff:a00:202');
  const c = resolveConfig({});
  t.same([...c.gateway, ...c.dns, ...c.guest], [10, 0, 2, 2, 10, 0, 2, 3, 10, 0, 2, 15], 'slirp defaults');
  const d = resolveConfig({ network: '192.168.76.0', prefixLength: 24 });
  t.same([...d.gateway], [192, 168, 76, 2], 'gateway derived from the network');
  t.throws(() => resolveConfig({ mtu: 70000 }), /MTU 70000 must be 1280..65520/);
  t.throws(() => resolveConfig({ guest: '10.0.3.15' }), /guest address is outside/);
});
