// Internet checksum (RFC 1071): one's complement sum of 16-bit big-endian words. The sum is
// taken over 32-bit big-endian words instead (RFC 1071 2(C): a sum over wider words, folded,
// is the same one's complement sum), which reads four bytes per step through a DataView.
// Partial sums stay far below 2^53 for any frame up to 64 KiB, so folding once is exact.

export function sum16(buf: Uint8Array, off: number, len: number, acc: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = off + len;
  let i = off;
  let a = 0;
  let b = 0;
  for (; i + 8 <= end; i += 8) {
    a += dv.getUint32(i);
    b += dv.getUint32(i + 4);
  }
  let s = a + b;
  s = (s % 65536) + Math.floor(s / 65536);
  for (; i + 2 <= end; i += 2) s += dv.getUint16(i);
  if (i < end) s += dv.getUint8(i) << 8;
  return acc + s;
}

export function fold(acc: number): number {
  let a = acc;
  while (a > 0xffff) a = (a % 65536) + Math.floor(a / 65536);
  return ~a & 0xffff;
}

export function checksum(buf: Uint8Array, off: number, len: number): number {
  return fold(sum16(buf, off, len, 0));
}

/** Sum of the TCP/UDP/ICMPv6 pseudo-header (RFC 793 3.1, RFC 8200 8.1) for the IP packet at
 *  ipOff in buf, whose upper-layer part has length l4len and protocol proto. */
export function pseudoSum(buf: Uint8Array, ipOff: number, version: number, proto: number, l4len: number): number {
  if (version === 4) return sum16(buf, ipOff + 12, 8, 0) + proto + l4len;
  return sum16(buf, ipOff + 8, 32, 0) + proto + (l4len >>> 16) + (l4len & 0xffff);
}
