// The suspend bundle reader against damaged input (docs/suspend.md "File format"): a bundle cut
// at every length, bytes changed anywhere (with and without the CRCs made to fit again, so the
// checks behind them are reached too), another version, foreign files. Every case either reads
// or is refused with a BundleError of one line naming the file; nothing else is ever thrown.
// COLINUX_LONG_TESTS=1 runs 20,000 mutations instead of 800.
import t from 'tap';
import zlib from 'node:zlib';
import { BundleError, bundleState, parseBundle, BUNDLE_FORMAT, type BundleMeta } from '../src/bundle/bundle.ts';
import { Codec, PREFERRED_CODEC, decodeContainer, encodeContainer, section } from '../src/bundle/container.ts';
import { PAGE_BYTES, decodeRam, encodeRam } from '../src/bundle/ram.ts';
import { Random, testSeed } from '../../../test/random.ts';

const RUNS = process.env.COLINUX_LONG_TESTS === '1' ? 20_000 : 800;
const NAME = '/x/vm.bundle';
const RAM_BYTES = 64 * PAGE_BYTES;

const meta: BundleMeta = {
  format: BUNDLE_FORMAT,
  createdAt: new Date(0).toISOString(),
  wallMs: 1,
  mtime: 2,
  timebaseHz: 10_000_000,
  host: { platform: 'linux', arch: 'x64', node: 'v24' },
  monitorId: 7,
  machine: {
    memoryMiB: 1,
    bootLine: 'root=/dev/cobd0',
    console: { cols: 80, rows: 25, scrollback: 100 },
    blockDevices: [{ index: 0, path: '/x/root.qcow2', readOnly: false, aliases: [] }],
    netDevices: [{ unit: 0, mac: '00:ff:00:00:00:01', type: 'slirp' }],
    serialPorts: [0],
    sharedDirs: [],
  },
  daemon: { args: ['kernel=/x/vmlinux', 'mem=1'], cwd: '/x', helpers: [] },
  forwards: { 0: ['tcp:127.0.0.1:8080:80'] },
  disks: [{ index: 0, path: '/x/root.qcow2', format: 'qcow2', readOnly: false, size: 1, sha256: 'ab', backing: [] }],
  ramPages: 3,
};

function ramImage(): Uint8Array {
  const ram = new Uint8Array(RAM_BYTES);
  for (const page of [1, 2, 40]) for (let i = 0; i < PAGE_BYTES; i++) ram[page * PAGE_BYTES + i] = (i * 7 + page) & 0xff;
  return ram;
}

function bundle(): Buffer {
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const ram = encodeRam(ramImage(), PREFERRED_CODEC);
  const ramBytes = Buffer.concat(ram.parts);
  return Buffer.concat(
    encodeContainer([
      section('META', PREFERRED_CODEC, json(meta)),
      section('CPU ', Codec.NONE, new Uint8Array(600)),
      section('DEVS', PREFERRED_CODEC, json({ uarts: [], virtio: [] })),
      section('SCRN', PREFERRED_CODEC, new TextEncoder().encode('screen')),
      section('ROM ', PREFERRED_CODEC, new Uint8Array(65536)),
      { tag: 'RAM ', codec: Codec.NONE, parts: [ramBytes], rawLength: ramBytes.length },
    ]),
  );
}

/** Reads like resume does: container, META, then every section and the RAM into a machine's RAM. */
function readAll(bytes: Uint8Array): void {
  const b = parseBundle(bytes, NAME);
  const s = bundleState(b);
  decodeRam(s.ram, new Uint8Array(RAM_BYTES), NAME);
}

function refusal(bytes: Uint8Array): string | undefined {
  try {
    readAll(bytes);
    return undefined;
  } catch (err) {
    if (!(err instanceof BundleError)) throw new Error(`not a BundleError: ${(err as Error).stack}`);
    return err.message;
  }
}

/** Makes every section's CRC fit its (changed) bytes again, so a mutation reaches the checks behind it. */
function refitCrcs(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  let at = 16;
  const count = out.readUInt32LE(12);
  for (let i = 0; i < count && at + 32 <= out.length; i++) {
    const stored = Number(out.readBigUInt64LE(at + 16));
    if (at + 32 + stored > out.length) break;
    out.writeUInt32LE(zlib.crc32(out.subarray(at + 32, at + 32 + stored)), at + 24);
    at += 32 + stored;
  }
  return out;
}

t.test('a good bundle reads back exactly', async (t) => {
  const b = parseBundle(bundle(), NAME);
  t.same(b.meta, meta, 'META');
  const ram = new Uint8Array(RAM_BYTES);
  decodeRam(bundleState(b).ram, ram, NAME);
  t.same(Buffer.from(ram), Buffer.from(ramImage()), 'RAM, zero pages included');
  t.equal(decodeContainer(bundle(), NAME).get('RAM ')!.stored.length < 4 * PAGE_BYTES, true, 'sparse: the zero pages take no room');
});

t.test('cut at every length: refused as truncated, one line', async (t) => {
  const good = bundle();
  let checked = 0;
  for (let n = 0; n < good.length; n += n < 200 ? 1 : 97) {
    const why = refusal(good.subarray(0, n));
    if (why === undefined || !why.startsWith(`${NAME}: `) || why.includes('\n')) t.fail(`length ${n}: ${why}`);
    checked++;
  }
  t.pass(`${checked} lengths refused with one line naming the file`);
  t.match(refusal(good.subarray(0, good.length - 1)), /truncated|damaged/);
});

t.test('other versions, foreign files', async (t) => {
  const good = bundle();
  const v2 = Buffer.from(good);
  v2.writeUInt32LE(2, 8);
  t.equal(refusal(v2), `${NAME}: bundle format version 2, this program reads version 1`);
  t.equal(refusal(Buffer.from('#!/bin/sh\necho not a bundle\n')), `${NAME}: not a suspend bundle (no COLXSUSP magic)`);
  t.equal(refusal(new Uint8Array(3)), `${NAME}: not a suspend bundle (3 bytes, shorter than its header)`);
  t.match(refusal(Buffer.concat([good, Buffer.from('x')])), /1 bytes after the last section/);
});

t.test(`${RUNS} random mutations: read or refused with one line, never anything else`, async (t) => {
  const random = new Random(testSeed(t, 'clock'));
  const good = bundle();
  const reasons = new Map<string, number>();
  for (let run = 0; run < RUNS; run++) {
    let bytes: Buffer = Buffer.from(good);
    for (let k = 1 + random.int(4); k > 0; k--) bytes[random.int(bytes.length)] = random.int(256);
    if (run % 2 === 1) bytes = refitCrcs(bytes);
    const why = refusal(bytes);
    if (why === undefined) continue;
    if (!why.startsWith(`${NAME}: `) || why.includes('\n')) t.fail(`run ${run}: ${why}`);
    const kind = why
      .slice(NAME.length + 2)
      .replace(/\d+/g, 'N')
      .slice(0, 50);
    reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
  }
  t.ok(reasons.size > 5, `refused for ${reasons.size} kinds of reasons`);
  t.comment(
    [...reasons]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([k, n]) => `${n} × ${k}`)
      .join('\n'),
  );
});
