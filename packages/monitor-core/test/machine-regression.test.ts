// Guest-level regressions: the bundled guest on the machine worker, driven through its console,
// doing what once went wrong.

import t from 'tap';
import { Module } from '@colinux/protocol';
import { WorkerMachine, baseSpec, bundledGuest, startGuest } from './machine-harness.ts';
import { SlirpStack } from '../../net-slirp/src/index.ts';

const READY = 'colinux-guest: ready';
const ROUNDS = process.env.COLINUX_LONG_TESTS === '1' ? 30 : 6;

// The fetch fast path once used the current page's translation for a jump back to the last
// halfword of the page below it (test/isa/fetch-pages.S). In busybox that is glibc's strftime
// calling itself for "%T" from syslog(3): its first instruction (the stack frame allocation) sits
// at such an address, so with the two code pages in non-neighbouring frames udhcpc -S died with
// "stack smashing detected". Each round runs a fresh copy of busybox, whose page-cache frames
// land wherever the allocator puts them, so a few rounds nearly always hit that layout.
t.test('udhcpc -S from fresh busybox copies against the slirp stack: every round gets a lease', async (t) => {
  const guest = bundledGuest();
  const m = new WorkerMachine({ ...baseSpec, memoryMiB: 128, netDevices: [{ unit: 0, mac: '52:54:00:12:34:56' }] });
  const slirp = new SlirpStack({ ipv6: false, restrict: true, dnsServers: [] }, (frame) => {
    m.send({ type: 'message', module: Module.CONET0, data: new Uint8Array(frame) });
  });
  t.teardown(async () => {
    slirp.close();
    await m.close();
  });
  m.onMessage = (msg) => {
    if (msg.type === 'output' && msg.module === Module.CONET0) slirp.input(msg.data);
  };
  startGuest(m, guest);
  const console = () => m.output.get(Module.CONSOLE) ?? '';
  await m.until(() => console().includes(READY) || m.terminated(), 180_000, 'the ready line on hvc0');
  const before = console().length;
  // -S: every message also goes through syslog(3), which formats a timestamp with strftime.
  m.send({
    type: 'message',
    module: Module.CONSOLE,
    data: new TextEncoder().encode(
      `ip link set eth0 up; for i in $(seq ${ROUNDS}); do mkdir -p /tmp/c$i; cp /bin/busybox /tmp/c$i/; ` +
        '/tmp/c$i/busybox udhcpc -i eth0 -q -n -t 3 -T 1 -S -s /usr/share/udhcpc/default.script; ' +
        'echo "rc=$?"; rm -r /tmp/c$i; done; echo ROUNDS""DONE\n',
    ),
  });
  await m.until(() => console().slice(before).includes('ROUNDSDONE') || m.terminated(), 60_000 + ROUNDS * 15_000, 'the udhcpc rounds');
  const out = console().slice(before);
  t.notMatch(out, /stack smashing|Aborted|Segmentation fault/, 'no udhcpc died');
  t.equal((out.match(/rc=0\r?\n/g) ?? []).length, ROUNDS, 'udhcpc exited 0 in every round');
  t.equal((out.match(/lease of 10\.0\.2\.15 obtained/g) ?? []).length, ROUNDS, 'a lease in every round');
});
