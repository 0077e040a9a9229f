// The qcow2 reader/writer (machine/devices/virtio/qcow2.ts) on images qemu-img made, then
// truncated or corrupted in their header, L1, refcount and L2 clusters: every open, read and
// write either works or throws one line (a Qcow2Error naming the file and field, or a host I/O
// error), never a TypeError/RangeError, a hang or a huge allocation. Also, unmutated: our reads
// equal qemu-img's, and after our writes `qemu-img check` finds no errors.
// COLINUX_LONG_TESTS=1 runs 20,000 cases instead of 600.
import t from 'tap';
import fc from 'fast-check';
import fs from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawImage } from '../src/machine/devices/virtio/disk-image.ts';
import { Qcow2Error, Qcow2Image } from '../src/machine/devices/virtio/qcow2.ts';
import { requireTool } from '../../../test/tools.ts';

const QEMU_IMG = 'qemu-img';
const QEMU_IO = 'qemu-io';
requireTool(QEMU_IMG);
requireTool(QEMU_IO);

const RUNS = process.env.COLINUX_LONG_TESTS === '1' ? 20_000 : 600;
const MiB = 1024 * 1024;
/** Bytes read from a mutated image at most (its size field may say anything). */
const READ_LIMIT = 2 * MiB;

const dir = fs.mkdtempSync(join(tmpdir(), 'colinux-qcow2-fuzz-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const base = join(dir, 'base.raw');
const baseBytes = Buffer.alloc(2 * MiB);
for (let i = 0; i < baseBytes.length; i++) baseBytes[i] = (i * 7 + (i >> 9)) & 0xff;
fs.writeFileSync(base, baseBytes);

/** Seeds: an overlay with written, zeroed and untouched clusters (64 KiB and 512 B clusters), a
 *  compressed image. */
function seed(name: string, create: string[], io: string[]): Buffer {
  const file = join(dir, name);
  execFileSync(QEMU_IMG, [...create, file], { stdio: 'ignore' });
  if (io.length) execFileSync(QEMU_IO, ['-f', 'qcow2', ...io.flatMap((c) => ['-c', c]), file], { stdio: 'ignore' });
  return fs.readFileSync(file);
}
const text = join(dir, 'text.raw');
fs.writeFileSync(text, Buffer.from('qcow2 fuzz seed text\n'.repeat(100_000)).subarray(0, MiB));
const SEEDS = [
  {
    backed: true,
    bytes: seed(
      'a.qcow2',
      ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw'],
      ['write -P 0x11 0 70000', 'write -z 196608 65536', 'write -P 0x22 1500000 3000'],
    ),
  },
  {
    backed: true,
    bytes: seed(
      'b.qcow2',
      ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', '-b', base, '-F', 'raw'],
      ['write -P 0x33 1000 9000', 'write -P 0x44 1048576 4096'],
    ),
  },
  { backed: false, bytes: (execFileSync(QEMU_IMG, ['convert', '-c', '-O', 'qcow2', text, join(dir, 'c.qcow2')]), fs.readFileSync(join(dir, 'c.qcow2'))) },
];

function withImage<T>(bytes: Uint8Array, backed: boolean, fn: (img: Qcow2Image) => T): T {
  const file = join(dir, 'case.qcow2');
  fs.writeFileSync(file, bytes);
  const fd = fs.openSync(file, 'r+');
  const backingFd = fs.openSync(base, 'r');
  try {
    return fn(new Qcow2Image(fd, file, true, backed ? new RawImage(backingFd, false) : undefined));
  } finally {
    fs.closeSync(fd);
    fs.closeSync(backingFd);
  }
}

function qemuRaw(file: string): Buffer {
  const out = join(dir, 'qemu.raw');
  execFileSync(QEMU_IMG, ['convert', '-O', 'raw', file, out]);
  return fs.readFileSync(out);
}

t.test("unmutated seeds: our reads equal qemu-img's; after our writes qemu-img check is clean and reads what we wrote", async (t) => {
  for (const [i, s] of SEEDS.entries()) {
    const file = join(dir, 'case.qcow2');
    const ours = withImage(s.bytes, s.backed, (img) => {
      const before = new Uint8Array(img.size);
      img.read(before, 0, before.length, 0);
      const w = new Uint8Array(100_000).map((_, k) => (k * 13 + i) & 0xff);
      img.write(w, 0, 333, 12_345); // inside one cluster, partial
      img.write(w, 0, 100_000, 190_000); // across a zero cluster and unallocated ones
      img.write(w, 0, 4096, img.size - 4096);
      img.flush();
      const after = new Uint8Array(img.size);
      img.read(after, 0, after.length, 0);
      return { before, after };
    });
    t.ok(Buffer.from(ours.before).equals(qemuRaw(join(dir, `${'abc'[i]}.qcow2`))), `seed ${i}: reads equal qemu-img's`);
    const check = spawnSync(QEMU_IMG, ['check', file], { encoding: 'utf8' });
    t.equal(check.status, 0, `seed ${i}: qemu-img check after our writes: ${check.stdout}${check.stderr}`);
    t.ok(Buffer.from(ours.after).equals(qemuRaw(file)), `seed ${i}: qemu-img reads what we wrote`);
  }
});

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('bytes' as const), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }) }),
  fc.record({
    kind: fc.constant('u64' as const),
    slot: fc.nat(),
    value: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(0n, 1n, 0x8000000000000000n, 0x10000n, 0x200n, 0xffffffffffffffffn)),
  }),
);

type Mutation = { kind: 'truncate'; at: number } | { kind: 'bytes'; edits: Array<[number, number]> } | { kind: 'u64'; slot: number; value: bigint };

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(bytes);
  // Metadata lives in the first clusters: header, L1, refcount table and block, L2 tables.
  const span = Math.min(b.length, 6 * 65536);
  if (m.kind === 'truncate') return b.subarray(0, m.at % (b.length + 1));
  if (m.kind === 'bytes') {
    for (const [at, v] of m.edits) b[at % span] = v;
    return b;
  }
  b.writeBigUInt64BE(m.value, (m.slot % Math.floor(span / 8)) * 8);
  return b;
}

t.test('truncated and corrupted images: one clear error or a working image, never a crash', async (t) => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(fc.nat(SEEDS.length - 1), mutation, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 70_000 })), { maxLength: 4 }), (si, m, writes) => {
      const s = SEEDS[si]!;
      try {
        withImage(mutate(s.bytes, m), s.backed, (img) => {
          const n = Math.min(img.size, READ_LIMIT);
          const buf = new Uint8Array(n);
          img.read(buf, 0, n, 0);
          for (const [at, len] of writes) {
            if (n < len) continue;
            img.write(new Uint8Array(len).fill(0xee), 0, len, at % (n - len + 1));
          }
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (!(e instanceof Qcow2Error) && !(e instanceof Error && typeof e.code === 'string')) throw err;
        if (e.message.includes('\n') || e.message.length === 0) throw new Error(`not one line: ${JSON.stringify(e.message)}`);
        seen.add(e instanceof Qcow2Error ? e.message.replace(/^.*?: /, '').replace(/\d+/g, 'N') : e.code!);
      }
    }),
    { numRuns: RUNS },
  );
  t.ok(seen.size >= 5, `several different refusals were met (${seen.size}): ${[...seen].slice(0, 12).join(' | ')}`);
});
