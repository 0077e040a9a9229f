// The word-wide checksum equals the RFC 1071 definition (a sum of 16-bit big-endian words) for
// any bytes, offset, length and buffer view.
import t from 'tap';
import fc from 'fast-check';
import { fold, sum16 } from '../src/checksum.ts';
import { be16, u8 } from '../src/bytes.ts';

function reference(b: Uint8Array, off: number, len: number, acc: number): number {
  let a = acc;
  for (let i = 0; i + 1 < len; i += 2) a += be16(b, off + i);
  if (len & 1) a += u8(b, off + len - 1) << 8;
  return fold(a);
}

t.test('sum16 matches the 16-bit definition', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(7), fc.nat(9), fc.nat(0xffff), (bytes, view, off, acc) => {
      const sub = bytes.subarray(Math.min(view, bytes.length));
      const o = Math.min(off, sub.length);
      const len = sub.length - o;
      return fold(sum16(sub, o, len, acc)) === reference(sub, o, len, acc);
    }),
    { numRuns: 3000 },
  );
  t.pass('3000 random cases agree');
});
