// colinux-ctl forward against the bundled guest with slirp on eth0: a TCP forward reaches the
// guest's httpd and a UDP forward a UDP echo server running in the guest; the slirp helper is
// killed, the daemon restarts it and the manager replays both forwards; one is removed; a port
// in use and a unit without a helper are refused with one line. A --v6 TCP forward reaches the
// httpd on the guest's IPv6 (SLAAC) address, a --v6 UDP forward an IPv6-only echo server.
import t from 'tap';
import dgram from 'node:dgram';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN, REPO, commandOf, processesUnder, runToEnd, sandbox, start, until } from '@colinux/daemon/test/helpers';
import { requireTool } from '../../../test/tools.ts';

const CTL = join(REPO, 'packages/ctl/bin/colinux-ctl.js');
requireTool('riscv64-linux-gnu-gcc');

/** A UDP echo server for the guest: answers every datagram on the port it is given, over IPv4,
 *  or over IPv6 only with a second argument "6". */
const UDP_ECHO_C = `
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
  int v6 = argc > 2, on = 1, s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
  struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(argv[1])) };
  if (v6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) return 1;
  if (v6 ? bind(s, (struct sockaddr *)&a6, sizeof a6) : bind(s, (struct sockaddr *)&a, sizeof a)) return 1;
  for (;;) {
    char buf[2048]; struct sockaddr_in6 from; socklen_t n = sizeof from;
    ssize_t got = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &n);
    if (got > 0) sendto(s, buf, got, 0, (struct sockaddr *)&from, n);
  }
}
`;

function freePort(type: 'tcp' | 'udp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (type === 'tcp') {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    } else {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    }
  });
}

async function httpGet(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

function udpEcho(port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (v: string | undefined): void => {
      clearTimeout(timer);
      s.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), 2000);
    s.on('message', (m) => done(m.toString()));
    s.send(text, port, '127.0.0.1');
  });
}

t.test('run-time TCP and UDP forwards: add, reach the guest, survive a helper restart, remove', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const share = join(box.dir, 'share');
  mkdirSync(share);
  writeFileSync(join(box.dir, 'udpecho.c'), UDP_ECHO_C);
  execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', join(share, 'udpecho'), join(box.dir, 'udpecho.c')]);
  const [configPort, tcpPort, udpPort, v6Port, filePort, udp6Port] = [
    await freePort('tcp'),
    await freePort('tcp'),
    await freePort('udp'),
    await freePort('tcp'),
    await freePort('tcp'),
    await freePort('udp'),
  ];
  const serialPath = join(box.dir, 'ttyS0.sock');
  let serial = '';
  const connected = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => {
      s.on('data', (b) => (serial += b.toString('latin1')));
      resolve(s);
    });
    server.listen(serialPath);
    t.teardown(() => server.close());
  });
  const d = start(
    DAEMON_BIN,
    [
      '-d',
      '--shutdown-timeout',
      '120',
      `kernel=${join(REPO, 'guest/images/vmlinux')}`,
      `initrd=${join(REPO, 'guest/images/initramfs.cpio.gz')}`,
      'mem=64',
      `eth0=slirp,,tcp:${configPort}:80`,
      `ttys0=${serialPath}`,
      `cofs0=${share},ro`,
    ],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  const id = (await d.waitFor(/^PID: (\d+)\n/m)).match(/^PID: (\d+)\n/m)![1]!;
  const ctl = (...args: string[]) => runToEnd(CTL, args, box.env);
  const ctlJson = async (...args: string[]) => {
    const r = await ctl('--json', ...args);
    t.equal(r.code, 0, `colinux-ctl ${args.join(' ')}: exit 0 ${r.stderr.trim()}`);
    return JSON.parse(r.stdout);
  };

  // The guest's httpd answers through the configured redirection once it is up; then the UDP
  // echo server starts from the share.
  await until(() => httpGet(configPort), 240_000, 2000);
  const socket = await connected;
  await until(
    () => {
      socket.write('mkdir -p /mnt && mount -t 9p -o trans=virtio cofs0 /mnt 2>/dev/null; (/mnt/udpecho 7777 &) ; echo echo-$((6*7))\n');
      return serial.includes('echo-42') ? true : undefined;
    },
    120_000,
    3000,
  );

  t.same((await ctlJson('forward', 'list', id)).forwards, [
    { proto: 'tcp', bind: '127.0.0.1', hostPort: configPort, guestPort: 80, v6: false, origin: 'config' },
  ]);
  t.same(await ctlJson('forward', 'add', id, 'tcp', `${tcpPort}:80`), {
    id: Number(id),
    unit: 0,
    forward: { proto: 'tcp', v6: false, bind: '127.0.0.1', hostPort: tcpPort, guestPort: 80 },
    added: true,
  });
  t.same(await ctlJson('forward', 'add', id, 'udp', `127.0.0.1:${udpPort}:7777`), {
    id: Number(id),
    unit: 0,
    forward: { proto: 'udp', v6: false, bind: '127.0.0.1', hostPort: udpPort, guestPort: 7777 },
    added: true,
  });
  t.match(await httpGet(tcpPort), /coLinux guest/, "the TCP forward reaches the guest's httpd");
  t.equal(await until(() => udpEcho(udpPort, 'ping-1'), 30_000, 500), 'ping-1', "the UDP forward reaches the guest's echo server and back");

  // --v6: a second httpd in the guest listens on the guest's global IPv6 address only, so only a
  // forward that really goes over IPv6 reaches it (an IPv4 forward to the same port is refused).
  await until(
    () => {
      socket.write(
        `a=$(ip -6 addr show dev eth0 scope global | sed -n 's/.*inet6 \\([^/]*\\).*/\\1/p' | head -n 1); [ -n "$a" ] && httpd -h /www -p "[$a]:81" && echo "v6-httpd-$((6*7))"\n`,
      );
      return serial.includes('v6-httpd-42') ? true : undefined;
    },
    60_000,
    3000,
  );
  t.same(await ctlJson('forward', 'add', id, 'tcp', `${v6Port}:81`, '--v6'), {
    id: Number(id),
    unit: 0,
    forward: { proto: 'tcp', v6: true, bind: '127.0.0.1', hostPort: v6Port, guestPort: 81 },
    added: true,
  });
  t.match(await until(() => httpGet(v6Port), 30_000, 500), /coLinux guest/, "the --v6 TCP forward reaches the httpd on the guest's IPv6 address");
  t.same(await ctlJson('forward', 'remove', id, 'tcp', `${v6Port}:81`), {
    id: Number(id),
    unit: 0,
    forward: { proto: 'tcp', v6: true, bind: '127.0.0.1', hostPort: v6Port, guestPort: 81 },
    removed: true,
  });
  t.equal(await httpGet(v6Port), undefined, 'the removed --v6 forward no longer listens');
  await ctlJson('forward', 'add', id, 'tcp', `${v6Port}:81`);
  t.equal(await httpGet(v6Port), undefined, 'an IPv4 forward does not reach the IPv6-only httpd');
  await ctlJson('forward', 'remove', id, 'tcp', `${v6Port}:81`);
  // UDP --v6: an echo server on an IPv6-only socket in the guest.
  await until(
    () => {
      socket.write('(/mnt/udpecho 7778 6 &) ; echo udp6-$((6*7))\n');
      return serial.includes('udp6-42') ? true : undefined;
    },
    30_000,
    3000,
  );
  await ctlJson('forward', 'add', id, 'udp', `${udp6Port}:7778`, '--v6');
  t.equal(await until(() => udpEcho(udp6Port, 'ping-v6'), 30_000, 500), 'ping-v6', "the --v6 UDP forward reaches the guest's IPv6-only echo server and back");
  await ctlJson('forward', 'remove', id, 'udp', `${udp6Port}:7778`);
  await ctlJson('forward', 'add', id, 'udp', `${udp6Port}:7778`);
  t.equal(await udpEcho(udp6Port, 'ping-v4'), undefined, 'an IPv4 UDP forward does not reach it');
  await ctlJson('forward', 'remove', id, 'udp', `${udp6Port}:7778`);

  const listed = (await ctl('forward', 'list', id)).stdout;
  t.match(listed, /^PROTO +BIND +HOST +GUEST +FROM\n/, 'a table');
  t.match(listed, new RegExp(`\\ntcp +127\\.0\\.0\\.1 +${configPort} +80 +config\\n`));
  t.match(listed, new RegExp(`\\nudp +127\\.0\\.0\\.1 +${udpPort} +7777 +runtime\\n`));
  t.equal(listed.split('\n').length, 5, 'a header and three forwards');

  // Refusals: a host port in use (one clear line; the others keep working), a unit without a helper.
  const taken = await ctl('forward', 'add', id, 'tcp', `${configPort}:22`);
  t.equal(taken.code, 1);
  t.match(
    taken.stderr,
    new RegExp(
      `^colinux-ctl: forward add ${id}: slirp redir tcp:127\\.0\\.0\\.1:${configPort}:22 failed: .*already forwards that host port \\(CO_RC_ERROR\\)\\n$`,
    ),
  );
  const noHelper = await ctl('forward', 'list', id, '--unit', '3');
  t.match([noHelper.code, noHelper.stderr], [1, /no helper holds net3 .*\(CO_RC_NOT_FOUND\)/]);
  t.match(await httpGet(tcpPort), /coLinux guest/, 'the TCP forward still works after the refusals');

  // The table beside the VM: the runtime dir's monitor-<id>.forwards.json, 0600, what was added.
  const tableFile = join(box.runtimeDir, `monitor-${id}.forwards.json`);
  t.equal(statSync(tableFile).mode & 0o777, 0o600, 'the forward table is 0600');
  const table = JSON.parse(readFileSync(tableFile, 'utf8'));
  t.same(table, { version: 1, units: { 0: [`tcp:127.0.0.1:${tcpPort}:80`, `udp:127.0.0.1:${udpPort}:7777`] } });
  // The replay reads the file: a forward written into it by hand comes up with the next helper.
  table.units[0].push(`tcp:127.0.0.1:${filePort}:80`);
  writeFileSync(tableFile, JSON.stringify(table));

  // Kill the slirp helper: the daemon restarts it and the manager gives it the forwards again.
  const slirpPid = processesUnder(box.runtimeDir).find((p) => commandOf(p).includes('colinux-slirp-net-daemon'))!;
  process.kill(slirpPid, 'SIGKILL');
  await until(() => processesUnder(box.runtimeDir).find((p) => p !== slirpPid && commandOf(p).includes('colinux-slirp-net-daemon')), 60_000);
  t.match(await until(() => httpGet(tcpPort), 60_000, 500), /coLinux guest/, 'the TCP forward is back after the helper restart');
  t.equal(await until(() => udpEcho(udpPort, 'ping-2'), 60_000, 500), 'ping-2', 'the UDP forward is back after the helper restart');
  t.match(await until(() => httpGet(filePort), 60_000, 500), /coLinux guest/, 'the forward written into the table file is replayed too');
  t.same(
    (await ctlJson('forward', 'list', id)).forwards
      .map((f: { proto: string; hostPort: number; origin: string }) => `${f.proto}:${f.hostPort}:${f.origin}`)
      .sort(),
    [`tcp:${configPort}:config`, `tcp:${tcpPort}:runtime`, `udp:${udpPort}:runtime`, `tcp:${filePort}:runtime`].sort(),
  );
  await ctlJson('forward', 'remove', id, 'tcp', `${filePort}:80`);

  t.same(await ctlJson('forward', 'remove', id, 'tcp', `${tcpPort}:80`), {
    id: Number(id),
    unit: 0,
    forward: { proto: 'tcp', v6: false, bind: '127.0.0.1', hostPort: tcpPort, guestPort: 80 },
    removed: true,
  });
  t.equal(await httpGet(tcpPort), undefined, 'the removed forward no longer listens');
  t.equal(await udpEcho(udpPort, 'ping-3'), 'ping-3', 'the other forward keeps working');
  t.same(JSON.parse(readFileSync(tableFile, 'utf8')), { version: 1, units: { 0: [`udp:127.0.0.1:${udpPort}:7777`] } }, 'removals reach the table file');
  const again = await ctl('forward', 'remove', id, 'tcp', `${tcpPort}:80`);
  t.match([again.code, again.stderr], [1, /no forward of tcp 127\.0\.0\.1 port \d+ \(CO_RC_NOT_FOUND\)/]);

  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
  await until(() =>
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .some((c) => c.includes('slirp'))
      ? undefined
      : true,
  );
  t.pass('the slirp helper exited with the monitor');
  t.notOk(existsSync(tableFile), 'the forward table went with the monitor');
});
