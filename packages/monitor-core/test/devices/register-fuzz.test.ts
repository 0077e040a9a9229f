// Random register traffic and random 9P messages, as a hostile or buggy guest would produce:
// the device models must answer (or set NEEDS_RESET) and never throw into the machine.
// COLINUX_LONG_TESTS=1 runs many more rounds.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDriver, RAM_SIZE } from './virtio-driver.ts';
import { VirtioConsole } from '../../src/machine/devices/virtio/console.ts';
import { VirtioBlock } from '../../src/machine/devices/virtio/block.ts';
import { VirtioNet } from '../../src/machine/devices/virtio/net.ts';
import { VirtioEntropy } from '../../src/machine/devices/virtio/entropy.ts';
import { VirtioNinep } from '../../src/machine/devices/virtio/ninep.ts';
import { NinepServer } from '../../src/machine/devices/virtio/9p/server.ts';
import { Plic } from '../../src/machine/devices/plic.ts';
import { Uart16550 } from '../../src/machine/devices/uart16550.ts';
import { BOARD, PLIC_SOURCES, RAM_BASE } from '../../src/machine/memory-map.ts';
import { MipBits } from './mip.ts';
import { Irq } from './virtio-driver.ts';
import * as R from '../../src/machine/devices/virtio/mmio-registers.ts';
import { Random, testSeed } from '../../../../test/random.ts';

const long = process.env.COLINUX_LONG_TESTS === '1';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regfuzz-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const disk = path.join(dir, 'disk.img');
fs.writeFileSync(disk, Buffer.alloc(64 * 1024));
const share = path.join(dir, 'share');
fs.mkdirSync(share);
fs.writeFileSync(path.join(share, 'f'), 'x');

const random = new Random(testSeed(t, 0x9e3779b9));
const rand = (n: number): number => random.int(n);
const OFFSETS = [
  R.VIRTIO_MMIO_MAGIC_VALUE,
  R.VIRTIO_MMIO_DEVICE_FEATURES,
  R.VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  R.VIRTIO_MMIO_DRIVER_FEATURES,
  R.VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  R.VIRTIO_MMIO_QUEUE_SEL,
  R.VIRTIO_MMIO_QUEUE_NUM_MAX,
  R.VIRTIO_MMIO_QUEUE_NUM,
  R.VIRTIO_MMIO_QUEUE_READY,
  R.VIRTIO_MMIO_QUEUE_NOTIFY,
  R.VIRTIO_MMIO_INTERRUPT_STATUS,
  R.VIRTIO_MMIO_INTERRUPT_ACK,
  R.VIRTIO_MMIO_STATUS,
  R.VIRTIO_MMIO_QUEUE_DESC_LOW,
  R.VIRTIO_MMIO_QUEUE_DESC_HIGH,
  R.VIRTIO_MMIO_QUEUE_AVAIL_LOW,
  R.VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
  R.VIRTIO_MMIO_QUEUE_USED_LOW,
  R.VIRTIO_MMIO_QUEUE_USED_HIGH,
  R.VIRTIO_MMIO_QUEUE_RESET,
  R.VIRTIO_MMIO_CONFIG_GENERATION,
  R.VIRTIO_MMIO_CONFIG,
  R.VIRTIO_MMIO_CONFIG + 4,
];

const devices = [
  () => new VirtioConsole('console', 80, 25, () => {}),
  () => new VirtioBlock({ index: 0, path: disk, readOnly: false }),
  () => new VirtioNet(0, '52:54:00:00:00:01', () => {}),
  () => new VirtioEntropy(),
  () => new VirtioNinep(0, share, false),
];

t.test('virtio-mmio registers: random accesses, random rings', async (t) => {
  const rounds = long ? 200_000 : 5_000;
  for (const make of devices) {
    const device = make();
    const d = new TestDriver(device);
    for (let i = 0; i < rounds; i++) {
      const off = rand(4) ? OFFSETS[rand(OFFSETS.length)]! : rand(0x1000) & ~3;
      const value = rand(3) === 0 ? RAM_BASE + rand(RAM_SIZE) : rand(3) === 0 ? rand(256) : rand(0xffffffff);
      if (rand(2)) d.transport.write(off, 4, value);
      else d.transport.read(off, 4);
      if (rand(50) === 0) d.ram.bytes.fill(rand(256), rand(0x20000), rand(0x20000));
      if (rand(500) === 0) d.init(rand(2) ? 0 : 0xffffffff, 1 << rand(9));
    }
    if (device instanceof VirtioBlock) device.close();
    t.same(
      d.logs.filter((l) => l.includes('internal error')),
      [],
      `${device.name}: ${rounds} accesses, no device-model exception`,
    );
  }
});

t.test('PLIC and UART: random accesses', async (t) => {
  const plic = new Plic(BOARD.plic, PLIC_SOURCES, new MipBits());
  const uart = new Uart16550(0, BOARD.uart(0), new Irq(), () => {});
  for (let i = 0; i < (long ? 1_000_000 : 20_000); i++) {
    const v = rand(0xffffffff);
    if (rand(2)) plic.write(rand(0x60_0000) & ~3, 4, v);
    else plic.read(rand(0x60_0000) & ~3, 4);
    if (rand(2)) uart.write(rand(8), 1, v);
    else uart.read(rand(8), 1);
    if (rand(10) === 0) plic.setLevel(1 + rand(127), rand(2) === 0);
    if (rand(100) === 0) uart.receive(Uint8Array.of(v & 0xff));
  }
  t.pass('no exception');
});

t.test('9P server: random messages get replies, never exceptions', async (t) => {
  const server = new NinepServer(share, false);
  for (let i = 0; i < (long ? 200_000 : 5_000); i++) {
    const len = 7 + rand(40);
    const msg = new Uint8Array(len);
    for (let k = 0; k < len; k++) msg[k] = rand(256);
    new DataView(msg.buffer).setUint32(0, len, true);
    msg[4] = [100, 104, 110, 24, 12, 116, 40, 120, 72, 76, 14, 118, 26, 8][rand(14)]!;
    if (rand(4) === 0) msg[5] = msg[6] = msg[7] = msg[8] = 0; // fid 0, the attached root
    const reply = server.handle(msg, 1 + rand(8192));
    if (reply.length < 7) t.fail('short reply');
  }
  const outside = fs.readdirSync(dir).sort();
  t.same(outside, ['disk.img', 'share'], 'nothing was created outside the share');
});
