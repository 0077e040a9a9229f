// ICMP echo to hosts other than the gateway: forwarded through an unprivileged ping socket
// when net.ipv4.ping_group_range allows it (the reply carries the guest's identifier), one
// clear log line and a counted drop when it does not. Each case runs in its own namespace
// whose loopback interface also holds the pinged address.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { requireTool } from '../../../test/tools.ts';

requireTool('ip');
requireTool('sysctl');

const RUNNER = new URL('./helpers/ping-run.ts', import.meta.url).pathname;

function inNamespace(range: string): { replies: number[]; replies6: number[]; logs: string[]; counters: Record<string, number> } {
  const ns = `slirp-ping-${process.pid}-${range.replace(' ', '-')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    for (const cmd of [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', '192.0.2.1/32', 'dev', 'lo'],
      ['addr', 'add', '2001:db8::1/128', 'dev', 'lo'],
    ]) {
      execFileSync('ip', ['-n', ns, ...cmd]);
    }
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv4.ping_group_range=${range}`]);
    return JSON.parse(execFileSync('ip', ['netns', 'exec', ns, process.execPath, RUNNER], { timeout: 30_000 }).toString());
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

t.test('ping sockets allowed: echo to a host is forwarded and answered', async (t) => {
  const r = inNamespace('0 2147483647');
  t.same(r.replies, [0x4242, 0x4242], 'two replies with the guest identifier');
  t.same(r.replies6, [0x6166, 0x6166], 'ICMPv6 too, with the guest identifier and a valid checksum');
});

t.test('ping sockets refused: one log line, counted drops', async (t) => {
  const r = inNamespace('1 0');
  t.same(r.replies, [], 'no reply');
  const lines = r.logs.filter((l) => l.includes('ping_group_range'));
  t.equal(lines.length, 1, 'exactly one log line');
  t.match(lines[0], /only the gateway and DNS addresses answer ping/);
  t.equal(r.counters['icmp-not-forwarded'], 4, 'every request (2 ICMP, 2 ICMPv6) counted');
});
