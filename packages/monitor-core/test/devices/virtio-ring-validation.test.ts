// A hostile guest's rings must end in DEVICE_NEEDS_RESET (virtio 1.2 §2.1.2) with a
// config-change interrupt, never a host exception, hang or access outside guest RAM.

import t from 'tap';
import { TestDriver, DATA, F_NEXT, F_WRITE, F_INDIRECT, RAM_SIZE } from './virtio-driver.ts';
import { VirtioEntropy } from '../../src/machine/devices/virtio/entropy.ts';
import { VirtioConsole } from '../../src/machine/devices/virtio/console.ts';
import { RAM_BASE } from '../../src/machine/memory-map.ts';
import * as R from '../../src/machine/devices/virtio/mmio-registers.ts';
import { Random, testSeed } from '../../../../test/random.ts';

function rng(): TestDriver {
  const d = new TestDriver(new VirtioEntropy());
  d.init();
  return d;
}

t.test('a well-formed chain is served and interrupts', async (t) => {
  const d = rng();
  d.desc(0, 0, DATA, 32, F_WRITE);
  d.offer(0, 0);
  t.same(d.takeUsed(0), [{ id: 0, len: 32 }]);
  t.equal(d.reg(R.VIRTIO_MMIO_INTERRUPT_STATUS) & 1, 1, 'used-buffer interrupt status');
  t.ok(d.irq.level);
  d.setReg(R.VIRTIO_MMIO_INTERRUPT_ACK, 1);
  t.notOk(d.irq.level, 'InterruptACK lowers the line');
  t.notOk(d.needsReset);
});

const malformed: Array<[string, (d: TestDriver) => void]> = [
  ['head index beyond the queue', (d) => d.offer(0, 40)],
  [
    'buffer outside guest RAM',
    (d) => {
      d.desc(0, 0, RAM_BASE + RAM_SIZE - 8, 64, F_WRITE);
      d.offer(0, 0);
    },
  ],
  [
    'buffer below guest RAM',
    (d) => {
      d.desc(0, 0, 0x1000, 64, F_WRITE);
      d.offer(0, 0);
    },
  ],
  [
    'buffer at a 64-bit address',
    (d) => {
      d.desc(0, 0, 2 ** 63, 64, F_WRITE);
      d.offer(0, 0);
    },
  ],
  [
    'length wrapping past 4 GiB',
    (d) => {
      d.desc(0, 0, DATA, 0xffffffff, F_WRITE);
      d.offer(0, 0);
    },
  ],
  [
    'chain that loops',
    (d) => {
      d.desc(0, 0, DATA, 8, F_WRITE | F_NEXT, 1);
      d.desc(0, 1, DATA, 8, F_WRITE | F_NEXT, 0);
      d.offer(0, 0);
    },
  ],
  [
    'next index beyond the table',
    (d) => {
      d.desc(0, 0, DATA, 8, F_WRITE | F_NEXT, 999);
      d.offer(0, 0);
    },
  ],
  [
    'readable after writable',
    (d) => {
      d.desc(0, 0, DATA, 8, F_WRITE | F_NEXT, 1);
      d.desc(0, 1, DATA, 8, 0);
      d.offer(0, 0);
    },
  ],
  [
    'nested indirect table',
    (d) => {
      const table = DATA + 0x1000;
      d.desc(0, 0, table, 16, F_INDIRECT);
      d.desc(0, 0, table, 16, F_INDIRECT, 0, table);
      d.offer(0, 0);
    },
  ],
  [
    'indirect with NEXT',
    (d) => {
      d.desc(0, 0, DATA + 0x1000, 16, F_INDIRECT | F_NEXT, 1);
      d.offer(0, 0);
    },
  ],
  [
    'indirect table of odd length',
    (d) => {
      d.desc(0, 0, DATA + 0x1000, 20, F_INDIRECT);
      d.offer(0, 0);
    },
  ],
  [
    'indirect table of zero length',
    (d) => {
      d.desc(0, 0, DATA + 0x1000, 0, F_INDIRECT);
      d.offer(0, 0);
    },
  ],
  [
    'indirect table outside RAM',
    (d) => {
      d.desc(0, 0, RAM_BASE + RAM_SIZE - 16, 32, F_INDIRECT);
      d.offer(0, 0);
    },
  ],
  [
    'indirect chain that loops',
    (d) => {
      const table = DATA + 0x1000;
      d.desc(0, 0, table, 32, F_INDIRECT);
      d.desc(0, 0, DATA, 8, F_WRITE | F_NEXT, 1, table);
      d.desc(0, 1, DATA, 8, F_WRITE | F_NEXT, 0, table);
      d.offer(0, 0);
    },
  ],
  [
    'avail.idx far ahead of the queue',
    (d) => {
      d.setAvailIdx(0, 1000);
      d.setReg(R.VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    },
  ],
];

for (const [name, attack] of malformed) {
  t.test(`malformed: ${name}`, async (t) => {
    const d = rng();
    attack(d);
    t.ok(d.needsReset, 'DEVICE_NEEDS_RESET set');
    t.equal(d.reg(R.VIRTIO_MMIO_INTERRUPT_STATUS) & 2, 2, 'configuration-change interrupt');
    t.ok(d.irq.level, 'interrupt line raised');
    t.equal(d.logs.length, 1, 'one log line naming the problem');
    // A broken device ignores further kicks until reset, then works again.
    d.setReg(R.VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    d.init();
    t.notOk(d.needsReset, 'reset clears it');
    d.desc(0, 0, DATA, 16, F_WRITE);
    d.offer(0, 0);
    t.same(d.takeUsed(0), [{ id: 0, len: 16 }], 'device usable after reset');
  });
}

t.test('queue areas outside RAM are refused at QueueReady', async (t) => {
  const d = new TestDriver(new VirtioEntropy());
  d.setReg(R.VIRTIO_MMIO_STATUS, R.VIRTIO_CONFIG_S_ACKNOWLEDGE | R.VIRTIO_CONFIG_S_DRIVER);
  d.setupQueue(0, 16, RAM_BASE + RAM_SIZE - 64);
  t.ok(d.needsReset);
  t.equal(d.reg(R.VIRTIO_MMIO_QUEUE_READY), 0, 'queue not ready');
});

t.test('queue size must be a power of two within QueueNumMax', async (t) => {
  const d = new TestDriver(new VirtioEntropy());
  d.setReg(R.VIRTIO_MMIO_STATUS, R.VIRTIO_CONFIG_S_ACKNOWLEDGE | R.VIRTIO_CONFIG_S_DRIVER);
  d.setupQueue(0, 3);
  t.ok(d.needsReset);
});

t.test('indirect descriptors are followed', async (t) => {
  const d = new TestDriver(new VirtioConsole('console', 80, 25, () => {}));
  d.init(0, 16);
  const table = DATA + 0x2000;
  d.desc(0, 0, DATA, 3, F_WRITE | F_NEXT, 1, table);
  d.desc(0, 1, DATA + 0x100, 5, F_WRITE, 0, table);
  d.desc(0, 0, table, 32, F_INDIRECT);
  d.offer(0, 0);
  (d.transport.device as VirtioConsole).receive(new TextEncoder().encode('abcdefg'));
  t.same(d.takeUsed(0), [{ id: 0, len: 7 }]);
  t.equal(new TextDecoder().decode(d.get(DATA, 3)) + new TextDecoder().decode(d.get(DATA + 0x100, 4)), 'abcdefg');
});

t.test('random descriptor tables never throw into the host', async (t) => {
  const rounds = process.env.COLINUX_LONG_TESTS === '1' ? 20000 : 300;
  const random = new Random(testSeed(t, 12345));
  const rand = (n: number): number => random.int(n);
  let broken = 0;
  for (let i = 0; i < rounds; i++) {
    const d = rng();
    for (let k = 0; k < 16; k++) {
      const hostile = rand(12) === 0;
      const addr = hostile && rand(2) ? rand(0xffffffff) : DATA + rand(0x1000);
      const len = hostile && rand(2) ? rand(0xffffffff) : rand(64);
      const flags = hostile ? rand(8) : F_WRITE | (rand(3) === 0 ? F_NEXT : 0);
      d.desc(0, k, addr, len, flags, hostile ? rand(20) : rand(16));
    }
    for (let k = 0; k < 1 + rand(4); k++) d.offer(0, rand(18), false);
    d.setReg(R.VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    if (d.needsReset) broken++;
  }
  t.ok(broken > 0 && broken < rounds, `${broken}/${rounds} rings rejected, the rest served`);
});

t.test('EVENT_IDX: used_event decides interrupts, avail_event follows what was taken', async (t) => {
  const d = new TestDriver(new VirtioEntropy());
  d.init(1 << 29, 16);
  const avail = d.descAddr(0) + 0x4000;
  const used = d.descAddr(0) + 0x8000;
  d.ram.write16(avail + 4 + 2 * 16, 1); // used_event: interrupt once used.idx passes 1
  d.desc(0, 0, DATA, 8, F_WRITE);
  d.desc(0, 1, DATA + 8, 8, F_WRITE);
  d.offer(0, 0);
  t.equal(d.irq.raised, 0, 'first buffer: used.idx 1 has not passed used_event 1');
  t.equal(d.ram.read16(used + 4 + 8 * 16), 1, 'avail_event = next entry to take');
  d.offer(0, 1);
  t.equal(d.irq.raised, 1, 'second buffer crosses used_event: interrupt');
  t.equal(d.ram.read16(used + 4 + 8 * 16), 2);
  t.same(
    d.takeUsed(0).map((u) => u.id),
    [0, 1],
  );
});

t.test('an oversized indirect table is refused before it is walked', async (t) => {
  const d = rng();
  d.desc(0, 0, DATA, 16 * 8192, F_INDIRECT);
  d.offer(0, 0);
  t.ok(d.needsReset);
  t.match(d.logs[0], /indirect table of 8192 descriptors/);
});
