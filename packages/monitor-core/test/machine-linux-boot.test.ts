// The bundled guest (guest/images: Image.gz + initramfs.cpio.gz) boots on the machine worker to
// the init's ready line on hvc0, answers `uname -m` there, and powers off cleanly when the
// manager's power request arrives on hvc1. Boot-to-ready time is reported as a comment.

import t from 'tap';
import { createHash } from 'node:crypto';
import { Module, Termination } from '@colinux/protocol';
import { WorkerMachine, baseSpec, bundledGuest, startGuest } from './machine-harness.ts';
import { requireTool } from '../../../test/tools.ts';

const READY = 'colinux-guest: ready';

t.test('bundled kernel + initramfs: ready line, uname -m on hvc0, power off via hvc1', async (t) => {
  const guest = bundledGuest();
  const m = new WorkerMachine({ ...baseSpec, memoryMiB: 128 });
  t.teardown(() => m.close());
  const started = performance.now();
  startGuest(m, guest);
  const console = () => m.output.get(Module.CONSOLE) ?? '';
  try {
    await m.until(() => console().includes(READY) || m.terminated(), 180_000, 'the ready line on hvc0');
  } finally {
    t.comment(`kernel log tail:\n${(m.output.get(Module.PRINTK) ?? '').slice(-1500)}`);
  }
  t.notOk(m.terminated(), 'guest still running');
  t.ok(console().includes(READY), 'ready line on the console (hvc0)');
  t.match(m.output.get(Module.PRINTK) ?? '', /ASID allocator using 16 bits/, 'the kernel found 16 ASID bits in satp');
  t.comment(`boot to ready: ${((performance.now() - started) / 1000).toFixed(2)} s`);

  const before = console().length;
  m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode('uname -m\n') });
  await m.until(
    () =>
      console().slice(before).includes('riscv64\r\n') ||
      console()
        .slice(before)
        .match(/riscv64\s/),
    30_000,
    'uname output',
  );
  t.match(console().slice(before), /riscv64/);

  // More processes at once than the core has TLB slots for ASIDs (8): slots are taken over and
  // flushed in turn (docs/cpu-core.md "MMU"), and every pipeline must still compute the same sum.
  const jobs = 12;
  const expected = createHash('md5')
    .update(Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join(''))
    .digest('hex');
  const mark = console().length;
  const pipelines = `for i in $(seq 1 ${jobs}); do (seq 1 5000 | md5sum > /tmp/m$i) & done; wait; echo sums=$(cat /tmp/m* | sort -u | wc -l) $(cat /tmp/m1)\n`;
  m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode(pipelines) });
  await m.until(() => /sums=\d+ [0-9a-f]{32}/.test(console().slice(mark)) || m.terminated(), 60_000, 'the parallel pipelines');
  t.match(console().slice(mark), new RegExp(`sums=1 ${expected}`), `${jobs} pipelines at once agree with each other and with the host's md5`);

  // The guest now idles in WFI: report what that costs (this process is otherwise idle too).
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const cpu = process.cpuUsage(cpu0);
  t.comment(`idle guest: ${((cpu.user + cpu.system) / 10 / (performance.now() - wall0)).toFixed(2)} % of one core`);

  m.send({ type: 'power', action: 'poweroff' });
  const end = await m.until(() => m.terminated(), 60_000, 'power off');
  t.equal(end.reason, Termination.POWEROFF, 'the init turned the hvc1 request into a power off');
});

/** Answers ARP requests and ICMP echo requests for one IPv4 address, like a gateway would. */
function gatewayReply(frame: Uint8Array, ip: number[], mac: number[]): Uint8Array | null {
  const f = Buffer.from(frame);
  const type = f.readUInt16BE(12);
  if (type === 0x0806 && f.readUInt16BE(20) === 1 && ip.every((b, i) => f[38 + i] === b)) {
    const r = Buffer.alloc(42);
    f.copy(r, 0, 6, 12); // to the asker
    Buffer.from(mac).copy(r, 6);
    r.writeUInt16BE(0x0806, 12);
    f.copy(r, 14, 14, 20); // htype, ptype, hlen, plen
    r.writeUInt16BE(2, 20); // reply
    Buffer.from(mac).copy(r, 22);
    Buffer.from(ip).copy(r, 28);
    f.copy(r, 32, 22, 32); // target = the asker's MAC and IP
    return r;
  }
  if (type === 0x0800 && f[23] === 1 && ip.every((b, i) => f[30 + i] === b) && f[34] === 8) {
    const ihl = (f[14]! & 0x0f) * 4;
    const r = Buffer.from(f);
    f.copy(r, 0, 6, 12);
    Buffer.from(mac).copy(r, 6);
    f.copy(r, 26, 30, 34); // src = us
    f.copy(r, 30, 26, 30); // dst = them
    r[24] = r[25] = 0;
    r.writeUInt16BE(checksum(r.subarray(14, 14 + ihl)), 24);
    r[34] = 0; // echo reply
    r[36] = r[37] = 0;
    r.writeUInt16BE(checksum(r.subarray(34, 14 + f.readUInt16BE(16))), 36);
    return r;
  }
  return null;
}

/** The length a frame should have from its own headers (ARP, IPv4, IPv6), or -1 if unknown. */
function frameLength(f: Uint8Array): number {
  const b = Buffer.from(f.buffer, f.byteOffset, f.length);
  switch (b.readUInt16BE(12)) {
    case 0x0806:
      return 42;
    case 0x0800:
      return 14 + b.readUInt16BE(16);
    case 0x86dd:
      return 54 + b.readUInt16BE(18);
    default:
      return f.length;
  }
}

/** RFC 1071 Internet checksum. */
function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

t.test('virtio-net: the guest pings a gateway answered on module CONET0', async (t) => {
  const guest = bundledGuest();
  const m = new WorkerMachine({ ...baseSpec, memoryMiB: 128, netDevices: [{ unit: 0, mac: '52:54:00:12:34:56' }] });
  t.teardown(() => m.close());
  const gw = { ip: [10, 0, 2, 2], mac: [0x52, 0x55, 10, 0, 2, 2] };
  let framesFromGuest = 0;
  const misframed: number[] = [];
  m.onMessage = (msg) => {
    if (msg.type !== 'output' || msg.module !== Module.CONET0) return;
    framesFromGuest++;
    if (frameLength(msg.data) !== msg.data.length) misframed.push(msg.data.length);
    const reply = gatewayReply(msg.data, gw.ip, gw.mac);
    if (reply) m.send({ type: 'message', module: Module.CONET0, data: new Uint8Array(reply) });
  };
  startGuest(m, guest);
  const console = () => m.output.get(Module.CONSOLE) ?? '';
  await m.until(() => console().includes(READY) || m.terminated(), 180_000, 'the ready line on hvc0');
  const before = console().length;
  m.send({
    type: 'message',
    module: Module.CONSOLE,
    data: new TextEncoder().encode('ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; ping -c 2 -W 5 10.0.2.2\n'),
  });
  await m.until(() => /packets received|packet loss/.test(console().slice(before)), 60_000, 'ping summary');
  t.match(console().slice(before), /2 packets transmitted, 2 packets received/, 'both echoes answered');
  t.ok(framesFromGuest >= 3, `frames from the guest reached CONET0 (${framesFromGuest})`);
  t.same(misframed, [], 'every output message on CONET0 is exactly one frame');
});

t.test('firmware=: Debian OpenSBI fw_jump in M-mode boots the same guest', async (t) => {
  const firmwarePath = requireTool('/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf');
  const guest = bundledGuest();
  const m = new WorkerMachine({ ...baseSpec, memoryMiB: 128, firmwarePath, serialPorts: [0] });
  t.teardown(() => m.close());
  startGuest(m, guest);
  const console = () => m.output.get(Module.CONSOLE) ?? '';
  await m.until(() => console().includes(READY) || m.terminated(), 180_000, 'the ready line on hvc0');
  t.match(m.output.get(Module.SERIAL0) ?? '', /OpenSBI v1\.\d+/, 'OpenSBI banner on the UART (stdout-path)');
  t.match(m.output.get(Module.SERIAL0) ?? '', /Domain0 Next Address\s+: 0x0*80200000/, 'fw_jump enters the kernel at 0x8020_0000');
  // OpenSBI counts the PMP entries by writing them, and protects itself with one (priv spec 3.7).
  t.match(m.output.get(Module.SERIAL0) ?? '', /Boot HART PMP Count\s+: 16/, 'OpenSBI finds 16 PMP entries');
  t.ok(console().includes(READY), 'ready line on hvc0');
  m.send({ type: 'power', action: 'poweroff' });
  const end = await m.until(() => m.terminated(), 60_000, 'power off');
  t.equal(end.reason, Termination.POWEROFF, 'OpenSBI SRST -> sifive_test 0x5555 -> POWEROFF');
});
