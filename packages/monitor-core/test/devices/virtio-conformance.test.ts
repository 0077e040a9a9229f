// What every virtio device must do through the MMIO transport, run for each device model:
// reset (virtio 1.2 §2.4), feature negotiation (§2.2, §3.1.1), hostile rings ending in
// DEVICE_NEEDS_RESET (§2.1.2), and a save()/restore() round trip: the state is plain data (it
// survives JSON), and a fresh device restored from it goes on serving the same rings.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDriver, DATA, F_NEXT, F_WRITE } from './virtio-driver.ts';
import { VirtioConsole } from '../../src/machine/devices/virtio/console.ts';
import { VirtioBlock } from '../../src/machine/devices/virtio/block.ts';
import { VirtioNet } from '../../src/machine/devices/virtio/net.ts';
import { VirtioEntropy } from '../../src/machine/devices/virtio/entropy.ts';
import { VirtioNinep } from '../../src/machine/devices/virtio/ninep.ts';
import type { VirtioDevice } from '../../src/machine/devices/virtio/virtio-device.ts';
import * as R from '../../src/machine/devices/virtio/mmio-registers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vconf-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const disk = path.join(dir, 'disk.img');
fs.writeFileSync(disk, Buffer.alloc(64 * 1024));
const share = path.join(dir, 'share');
fs.mkdirSync(share);

/** Tversion, msize 8192, "9P2000.L" (docs/ninep.md): a request that needs no fid. */
function tversion(): Uint8Array {
  const version = new TextEncoder().encode('9P2000.L');
  const m = new Uint8Array(4 + 1 + 2 + 4 + 2 + version.length);
  const v = new DataView(m.buffer);
  v.setUint32(0, m.length, true);
  m[4] = 100;
  v.setUint16(5, 0xffff, true);
  v.setUint32(7, 8192, true);
  v.setUint16(11, version.length, true);
  m.set(version, 13);
  return m;
}

interface Case {
  name: string;
  make(): VirtioDevice;
  /** The queue the device serves without host input (its request or transmit queue). */
  queue: number;
  /** One ordinary request on `queue`, as chain 0 built from descriptors 0..n. */
  request(d: TestDriver): void;
  close?(device: VirtioDevice): void;
}

const cases: Case[] = [
  {
    name: 'console',
    make: () => new VirtioConsole('console', 80, 25, () => {}),
    queue: 1,
    request: (d) => {
      d.put(DATA, 'hi');
      d.desc(1, 0, DATA, 2);
      d.offer(1, 0);
    },
  },
  {
    name: 'block',
    make: () => new VirtioBlock({ index: 0, path: disk, readOnly: false }),
    queue: 0,
    request: (d) => {
      const hdr = new DataView(new ArrayBuffer(16));
      hdr.setUint32(0, 8, true); // VIRTIO_BLK_T_GET_ID
      d.put(DATA, new Uint8Array(hdr.buffer));
      d.desc(0, 0, DATA, 16, F_NEXT, 1);
      d.desc(0, 1, DATA + 0x100, 20, F_WRITE | F_NEXT, 2);
      d.desc(0, 2, DATA + 0x200, 1, F_WRITE);
      d.offer(0, 0);
    },
    close: (device) => (device as VirtioBlock).close(),
  },
  {
    name: 'net',
    make: () => new VirtioNet(0, '52:54:00:00:00:01', () => {}),
    queue: 1,
    request: (d) => {
      d.put(DATA, new Uint8Array(12 + 60));
      d.desc(1, 0, DATA, 12 + 60);
      d.offer(1, 0);
    },
  },
  {
    name: 'entropy',
    make: () => new VirtioEntropy(),
    queue: 0,
    request: (d) => {
      d.desc(0, 0, DATA, 32, F_WRITE);
      d.offer(0, 0);
    },
  },
  {
    name: '9p',
    make: () => new VirtioNinep(0, share, false),
    queue: 0,
    request: (d) => {
      d.put(DATA, tversion());
      d.desc(0, 0, DATA, tversion().length, F_NEXT, 1);
      d.desc(0, 1, DATA + 0x1000, 8192, F_WRITE);
      d.offer(0, 0);
    },
    close: (device) => (device as VirtioNinep).close(),
  },
];

const FEATURES_OK = R.VIRTIO_CONFIG_S_ACKNOWLEDGE | R.VIRTIO_CONFIG_S_DRIVER | R.VIRTIO_CONFIG_S_FEATURES_OK;

for (const c of cases) {
  t.test(`${c.name}: reset returns the transport to its initial state and the device serves again`, async (t) => {
    const device = c.make();
    t.teardown(() => c.close?.(device));
    const d = new TestDriver(device);
    d.init();
    c.request(d);
    const first = d.takeUsed(c.queue);
    t.equal(first.length, 1, 'one request served');
    d.setReg(R.VIRTIO_MMIO_STATUS, 0);
    t.equal(d.reg(R.VIRTIO_MMIO_STATUS), 0, 'status 0');
    t.equal(d.reg(R.VIRTIO_MMIO_INTERRUPT_STATUS), 0, 'no interrupt pending');
    t.notOk(d.irq.level, 'interrupt line low');
    for (let q = 0; q < device.queueSizes.length; q++) {
      d.setReg(R.VIRTIO_MMIO_QUEUE_SEL, q);
      t.equal(d.reg(R.VIRTIO_MMIO_QUEUE_READY), 0, `queue ${q} not ready`);
      t.equal(d.reg(R.VIRTIO_MMIO_QUEUE_NUM_MAX), device.queueSizes[q], `queue ${q} maximum size`);
    }
    d.init();
    c.request(d);
    t.same(d.takeUsed(c.queue), first, 'the same request is served the same way after the reset');
  });

  t.test(`${c.name}: feature negotiation`, async (t) => {
    const device = c.make();
    t.teardown(() => c.close?.(device));
    const d = new TestDriver(device);
    d.setReg(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    t.equal((d.reg(R.VIRTIO_MMIO_DEVICE_FEATURES) & device.features) >>> 0, device.features, 'device features offered');
    d.setReg(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    t.equal(d.reg(R.VIRTIO_MMIO_DEVICE_FEATURES) & 1, 1, 'VIRTIO_F_VERSION_1 offered');
    d.setReg(R.VIRTIO_MMIO_STATUS, R.VIRTIO_CONFIG_S_ACKNOWLEDGE | R.VIRTIO_CONFIG_S_DRIVER);
    d.setReg(R.VIRTIO_MMIO_STATUS, FEATURES_OK);
    t.equal(d.reg(R.VIRTIO_MMIO_STATUS) & R.VIRTIO_CONFIG_S_FEATURES_OK, 0, 'FEATURES_OK refused without VERSION_1');
    d.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    d.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES, 1);
    d.setReg(R.VIRTIO_MMIO_STATUS, FEATURES_OK);
    t.equal(d.reg(R.VIRTIO_MMIO_STATUS) & R.VIRTIO_CONFIG_S_FEATURES_OK, R.VIRTIO_CONFIG_S_FEATURES_OK, 'FEATURES_OK kept with VERSION_1');
    // A driver accepting everything gets only what was offered: the device still works.
    d.init(0xffffffff);
    c.request(d);
    t.equal(d.takeUsed(c.queue).length, 1, 'request served after accepting all bits');
    t.notOk(d.needsReset);
  });

  const attacks: Array<[string, (d: TestDriver, q: number) => void]> = [
    [
      'a chain that loops',
      (d, q) => {
        d.desc(q, 0, DATA, 8, F_NEXT, 1);
        d.desc(q, 1, DATA, 8, F_NEXT, 0);
        d.offer(q, 0);
      },
    ],
    ['a head beyond the queue', (d, q) => d.offer(q, 40)],
    [
      'avail.idx far ahead',
      (d, q) => {
        d.setAvailIdx(q, 1000);
        d.setReg(R.VIRTIO_MMIO_QUEUE_NOTIFY, q);
      },
    ],
  ];
  for (const [what, attack] of attacks) {
    t.test(`${c.name}: ${what} ends in DEVICE_NEEDS_RESET, and a reset recovers`, async (t) => {
      const device = c.make();
      t.teardown(() => c.close?.(device));
      const d = new TestDriver(device);
      d.init();
      attack(d, c.queue);
      t.ok(d.needsReset, 'DEVICE_NEEDS_RESET');
      t.equal(d.reg(R.VIRTIO_MMIO_INTERRUPT_STATUS) & R.VIRTIO_MMIO_INT_CONFIG, R.VIRTIO_MMIO_INT_CONFIG, 'configuration-change interrupt');
      t.equal(d.logs.length, 1, 'one log line');
      d.init();
      c.request(d);
      t.equal(d.takeUsed(c.queue).length, 1, 'served after the reset');
      t.notOk(d.needsReset);
    });
  }

  t.test(`${c.name}: save() is plain data; a fresh device restored from it goes on serving`, async (t) => {
    const device = c.make();
    const d = new TestDriver(device);
    d.init(device.features);
    c.request(d);
    const used = d.takeUsed(c.queue);
    const saved = d.transport.save();
    t.same(JSON.parse(JSON.stringify(saved)), saved, 'survives JSON unchanged');
    c.close?.(device);

    const again = c.make();
    t.teardown(() => c.close?.(again));
    const d2 = new TestDriver(again);
    d2.adopt(d);
    d2.transport.restore(JSON.parse(JSON.stringify(saved)));
    t.same(d2.transport.save(), saved, 'restored state saves the same');
    for (const reg of [R.VIRTIO_MMIO_STATUS, R.VIRTIO_MMIO_INTERRUPT_STATUS, R.VIRTIO_MMIO_CONFIG_GENERATION]) {
      t.equal(d2.reg(reg), d.reg(reg), `register 0x${reg.toString(16)} as before`);
    }
    t.equal(d2.irq.level, d.irq.level, 'interrupt line as before');
    c.request(d2);
    t.same(d2.takeUsed(c.queue), used, 'the next request on the same ring is served like the first');
    t.notOk(d2.needsReset);
  });
}

t.test('restore refuses a state for another device shape', async (t) => {
  const d = new TestDriver(new VirtioEntropy());
  d.init();
  const saved = d.transport.save();
  const net = new TestDriver(new VirtioNet(0, '52:54:00:00:00:01', () => {}));
  t.throws(() => net.transport.restore(saved), /saved state has 1 queue\(s\), virtio-net0@10001000 has 2/);
});

t.test('console and net: input waiting for receive buffers survives a save and restore', async (t) => {
  const con = new VirtioConsole('console', 80, 25, () => {});
  const dc = new TestDriver(con);
  dc.init();
  con.receive(new TextEncoder().encode('typed before the save'));
  const con2 = new VirtioConsole('console', 80, 25, () => {});
  const dc2 = new TestDriver(con2);
  dc2.adopt(dc);
  dc2.transport.restore(JSON.parse(JSON.stringify(dc.transport.save())));
  dc2.desc(0, 0, DATA, 64, F_WRITE);
  dc2.offer(0, 0);
  t.same(dc2.takeUsed(0), [{ id: 0, len: 21 }]);
  t.equal(new TextDecoder().decode(dc2.get(DATA, 21)), 'typed before the save');

  const frames = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)];
  const net = new VirtioNet(0, '52:54:00:00:00:01', () => {});
  const dn = new TestDriver(net);
  dn.init();
  for (const f of frames) net.receive(f);
  const net2 = new VirtioNet(0, '52:54:00:00:00:01', () => {});
  const dn2 = new TestDriver(net2);
  dn2.adopt(dn);
  dn2.transport.restore(JSON.parse(JSON.stringify(dn.transport.save())));
  dn2.desc(0, 0, DATA, 64, F_WRITE);
  dn2.desc(0, 1, DATA + 0x100, 64, F_WRITE);
  dn2.offer(0, 0);
  dn2.offer(0, 1);
  t.same(dn2.takeUsed(0), [
    { id: 0, len: 12 + 3 },
    { id: 1, len: 12 + 2 },
  ]);
  t.same([...dn2.get(DATA + 12, 3), ...dn2.get(DATA + 0x100 + 12, 2)], [1, 2, 3, 4, 5]);
});
