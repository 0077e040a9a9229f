// virtio console, block, net and entropy served through the real MMIO transport over plain
// RAM: what the guest's driver sees for each request type (virtio 1.2 §5.1-§5.4).

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDriver, DATA, F_NEXT, F_WRITE } from './virtio-driver.ts';
import { VirtioConsole } from '../../src/machine/devices/virtio/console.ts';
import { VirtioBlock } from '../../src/machine/devices/virtio/block.ts';
import { VirtioNet } from '../../src/machine/devices/virtio/net.ts';
import { VirtioEntropy } from '../../src/machine/devices/virtio/entropy.ts';
import * as R from '../../src/machine/devices/virtio/mmio-registers.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

t.test('transport identifies a version-2 device', async (t) => {
  const d = new TestDriver(new VirtioEntropy());
  t.equal(d.reg(R.VIRTIO_MMIO_MAGIC_VALUE), 0x74726976, 'magic "virt"');
  t.equal(d.reg(R.VIRTIO_MMIO_VERSION), 2, 'modern MMIO');
  t.equal(d.reg(R.VIRTIO_MMIO_DEVICE_ID), 4, 'entropy device id');
  d.setReg(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  t.equal(d.reg(R.VIRTIO_MMIO_DEVICE_FEATURES) & 1, 1, 'VIRTIO_F_VERSION_1 offered');
  d.setReg(R.VIRTIO_MMIO_STATUS, R.VIRTIO_CONFIG_S_ACKNOWLEDGE | R.VIRTIO_CONFIG_S_DRIVER);
  d.setReg(R.VIRTIO_MMIO_STATUS, R.VIRTIO_CONFIG_S_ACKNOWLEDGE | R.VIRTIO_CONFIG_S_DRIVER | R.VIRTIO_CONFIG_S_FEATURES_OK);
  t.equal(d.reg(R.VIRTIO_MMIO_STATUS) & 8, 0, 'FEATURES_OK refused without VERSION_1');
});

t.test('console: transmit goes to the sink, receive fills guest buffers, size in config', async (t) => {
  const out: string[] = [];
  const con = new VirtioConsole('console', 100, 37, (b) => out.push(text(b)));
  const d = new TestDriver(con);
  d.init(1);
  t.equal(d.reg(R.VIRTIO_MMIO_CONFIG) & 0xffff, 100, 'cols');
  t.equal(d.reg(R.VIRTIO_MMIO_CONFIG) >>> 16, 37, 'rows');
  con.receive(new TextEncoder().encode('typed early'));
  d.put(DATA, 'hello ');
  d.put(DATA + 0x100, 'world');
  d.desc(1, 0, DATA, 6, F_NEXT, 1);
  d.desc(1, 1, DATA + 0x100, 5);
  d.offer(1, 0);
  t.same(out, ['hello world']);
  t.same(d.takeUsed(1), [{ id: 0, len: 0 }]);
  d.desc(0, 0, DATA + 0x200, 4, F_WRITE);
  d.desc(0, 1, DATA + 0x300, 64, F_WRITE);
  d.offer(0, 0);
  d.offer(0, 1);
  t.same(
    d.takeUsed(0),
    [
      { id: 0, len: 4 },
      { id: 1, len: 7 },
    ],
    'input held until buffers came, split across them',
  );
  t.equal(text(d.get(DATA + 0x200, 4)) + text(d.get(DATA + 0x300, 7)), 'typed early');
});

t.test('block: read, write, flush, GET_ID, out of range, read-only', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vblk-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'disk.img');
  const img = Buffer.alloc(8 * 512);
  img.write('sector-two', 2 * 512);
  fs.writeFileSync(file, img);
  const blk = new VirtioBlock({ index: 3, path: file, readOnly: false });
  t.teardown(() => blk.close());
  const d = new TestDriver(blk);
  d.init();
  t.equal(d.reg(R.VIRTIO_MMIO_CONFIG), 8, 'capacity in sectors');
  t.equal(d.reg(R.VIRTIO_MMIO_DEVICE_FEATURES) & (1 << 5), 0, 'writable image: no VIRTIO_BLK_F_RO');

  const request = (type: number, sector: number, dataLen: number, dataWritable: boolean) => {
    const hdr = new DataView(new ArrayBuffer(16));
    hdr.setUint32(0, type, true);
    hdr.setUint32(8, sector, true);
    d.put(DATA, new Uint8Array(hdr.buffer));
    let i = 0;
    d.desc(0, i, DATA, 16, F_NEXT, i + 1);
    i++;
    if (dataLen) {
      d.desc(0, i, DATA + 0x1000, dataLen, (dataWritable ? F_WRITE : 0) | F_NEXT, i + 1);
      i++;
    }
    d.desc(0, i, DATA + 0x3000, 1, F_WRITE);
    d.offer(0, 0);
    const used = d.takeUsed(0);
    return { status: d.get(DATA + 0x3000, 1)[0], len: used[0]!.len };
  };

  let r = request(0, 2, 512, true);
  t.same(r, { status: 0, len: 513 }, 'IN: data + status');
  t.equal(text(d.get(DATA + 0x1000, 10)), 'sector-two');
  d.put(DATA + 0x1000, 'written by guest'.padEnd(512, '.'));
  r = request(1, 5, 512, false);
  t.same(r, { status: 0, len: 1 }, 'OUT ok');
  t.equal(
    fs
      .readFileSync(file)
      .subarray(5 * 512, 5 * 512 + 16)
      .toString(),
    'written by guest',
  );
  t.equal(request(4, 0, 0, false).status, 0, 'FLUSH ok');
  r = request(8, 0, 20, true);
  t.same(r, { status: 0, len: 21 }, 'GET_ID: 20 id bytes + status');
  t.equal(text(d.get(DATA + 0x1000, 5)), 'cobd3', 'serial id cobd<index>');
  t.equal(request(0, 8, 512, true).status, 1, 'read past the end: IOERR');
  t.equal(request(0, 7, 1024, true).status, 1, 'read straddling the end: IOERR');
  t.equal(request(99, 0, 0, false).status, 2, 'unknown type: UNSUPP');
  t.notOk(d.needsReset);

  // Another image: this one is locked read-write by `blk` (image-lock.test.ts).
  const roFile = `${file}.ro`;
  fs.copyFileSync(file, roFile);
  const ro = new VirtioBlock({ index: 0, path: roFile, readOnly: true });
  t.teardown(() => ro.close());
  t.ok(ro.features & (1 << 5), 'readOnly: VIRTIO_BLK_F_RO');
});

t.test('block: missing image is one clear error naming the unit and path', async (t) => {
  t.throws(() => new VirtioBlock({ index: 1, path: '/nonexistent/disk.img', readOnly: false }), {
    message: 'cobd1: cannot open image /nonexistent/disk.img: ENOENT',
  });
});

t.test('net: transmit strips the header, receive adds it, no buffers means dropped', async (t) => {
  const frames: Uint8Array[] = [];
  const net = new VirtioNet(2, '52:54:00:12:34:56', (f) => frames.push(f));
  const d = new TestDriver(net);
  net.receive(new Uint8Array(60));
  t.equal(net.droppedFrames, 1, 'frame before DRIVER_OK dropped');
  d.init(1 << 5);
  t.same(
    [0, 1, 2, 3, 4, 5].map((i) => d.transport.read(R.VIRTIO_MMIO_CONFIG + i, 1)),
    [0x52, 0x54, 0, 0x12, 0x34, 0x56],
    'MAC in config',
  );

  const frame = Uint8Array.from({ length: 64 }, (_, i) => i);
  d.put(DATA, new Uint8Array(12));
  d.put(DATA + 12, frame);
  d.desc(1, 0, DATA, 12 + 64);
  d.offer(1, 0);
  t.same(
    frames.map((f) => [...f]),
    [[...frame]],
    'guest frame delivered without the virtio_net_hdr',
  );

  for (let i = 0; i < 70; i++) net.receive(frame);
  t.equal(net.droppedFrames, 1 + 6, 'backlog bounded at 64 frames');
  d.desc(0, 0, DATA + 0x1000, 1526, F_WRITE);
  d.offer(0, 0);
  const used = d.takeUsed(0);
  t.same(used, [{ id: 0, len: 12 + 64 }]);
  t.same([...d.get(DATA + 0x1000 + 12, 64)], [...frame]);
  t.equal(d.get(DATA + 0x1000 + 10, 1)[0], 1, 'num_buffers = 1');
});

t.test('entropy: fills writable buffers', async (t) => {
  const d = new TestDriver(new VirtioEntropy());
  d.init();
  d.desc(0, 0, DATA, 256, F_WRITE);
  d.offer(0, 0);
  t.same(d.takeUsed(0), [{ id: 0, len: 256 }]);
  t.ok(d.get(DATA, 256).some((b) => b !== 0));
});
