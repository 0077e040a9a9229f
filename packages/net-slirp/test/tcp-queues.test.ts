// Properties of the TCP receive reassembly queue and the sender's SACK scoreboard, over random
// segmentations, orders, duplicates and sequence numbers that wrap around 2^32.
import t from 'tap';
import fc from 'fast-check';
import { ReassemblyQueue } from '../src/tcp-reassembly.ts';
import { SackScoreboard } from '../src/tcp-scoreboard.ts';
import { seqDiff } from '../src/tcp-sequence.ts';

t.test('reassembly: any order of (overlapping, repeated) segments rebuilds the stream', async (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 4000 }),
      fc.array(fc.nat(3999), { maxLength: 30 }),
      fc.nat(0xffffffff),
      fc.array(fc.nat(), { maxLength: 60 }),
      (stream, cuts, isn, order) => {
        const points = [...new Set([0, ...cuts.map((c) => c % stream.length), stream.length])].sort((a, b) => a - b);
        const segs: Array<{ seq: number; data: Uint8Array; fin: boolean }> = [];
        for (let i = 0; i + 1 < points.length; i++) segs.push({ seq: (isn + points[i]!) >>> 0, data: stream.subarray(points[i], points[i + 1]), fin: false });
        const shuffled = [...segs, ...segs.slice(0, 3)]; // some repeats
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const q = new ReassemblyQueue();
        for (const s of shuffled) q.add(s, 1 << 30);
        const out: number[] = [];
        let rcvNxt = isn >>> 0;
        for (let s = q.takeReady(rcvNxt); s; s = q.takeReady(rcvNxt)) {
          const skip = seqDiff(rcvNxt, s.seq);
          if (skip >= s.data.length) continue;
          out.push(...s.data.subarray(skip));
          rcvNxt = (rcvNxt + s.data.length - skip) >>> 0;
        }
        return out.length === stream.length && out.every((b, i) => b === stream[i]);
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random cases rebuild their stream');
});

t.test('reassembly: SACK blocks cover exactly the held data, latest arrival first', async (t) => {
  const q = new ReassemblyQueue();
  const base = 0xfffffff0; // wraps
  q.add({ seq: (base + 100) >>> 0, data: new Uint8Array(50), fin: false }, 1 << 20);
  q.add({ seq: (base + 150) >>> 0, data: new Uint8Array(50), fin: false }, 1 << 20);
  q.add({ seq: (base + 300) >>> 0, data: new Uint8Array(10), fin: false }, 1 << 20);
  q.add({ seq: (base + 20) >>> 0, data: new Uint8Array(10), fin: false }, 1 << 20);
  t.same(q.sackBlocks(), [
    [(base + 20) >>> 0, (base + 30) >>> 0],
    [(base + 100) >>> 0, (base + 200) >>> 0],
    [(base + 300) >>> 0, (base + 310) >>> 0],
  ]);
  q.add({ seq: (base + 400) >>> 0, data: new Uint8Array(1000), fin: false }, 200);
  t.equal(q.length, 4, 'a segment over the byte budget is not kept');
});

t.test('scoreboard: ranges stay sorted, disjoint and equal to the union of valid blocks', async (t) => {
  fc.assert(
    fc.property(fc.nat(0xffffffff), fc.array(fc.tuple(fc.nat(5000), fc.nat(800)), { maxLength: 40 }), (una, blocks) => {
      const max = (una + 5000) >>> 0;
      const sb = new SackScoreboard();
      const held = new Set<number>();
      for (const [off, len] of blocks) {
        const l = (una + off) >>> 0;
        const r = (l + len) >>> 0;
        sb.update([l, r], 1, una, max);
        if (len > 0 && off + len <= 5000) for (let i = off; i < off + len; i++) held.add(i);
      }
      for (let i = 0; i < 5000; i++) {
        const inRange = sb.heldUntil((una + i) >>> 0) !== undefined;
        if (inRange !== held.has(i)) return false;
      }
      return sb.sackedBytes() === held.size;
    }),
    { numRuns: 200 },
  );
  t.pass('200 random cases agree with a byte-by-byte model');
});

t.test('scoreboard: holes and trimming', async (t) => {
  const sb = new SackScoreboard();
  sb.update([1000, 2000, 3000, 4000], 2, 0, 5000);
  t.same(sb.nextHole(0), [0, 1000]);
  t.same(sb.nextHole(1500), [2000, 3000]);
  t.equal(sb.nextHole(3500), undefined, 'nothing above the highest SACKed byte is a hole');
  sb.trim(2500);
  t.same(sb.nextHole(2500), [2500, 3000]);
  t.equal(sb.sackedBytes(), 1000);
  sb.update([100, 50], 1, 2500, 5000);
  t.equal(sb.sackedBytes(), 1000, 'a reversed or old block is ignored');
});
