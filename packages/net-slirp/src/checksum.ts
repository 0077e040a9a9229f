// Internet checksum (RFC 1071): one's complement sum of 16-bit big-endian words, folded at the
// end. The loop reads bytes pairwise so it works at any alignment; the partial sum stays below
// 2^53 for any frame up to 64 KiB, so folding once at the end is exact.

export function sum16(buf: Uint8Array, off: number, len: number, acc: number): number {
  const end = off + (len & ~1);
  let i = off;
  let a = acc;
  for (; i + 8 <= end; i += 8) {
    a += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3])
      + ((buf[i + 4] << 8) | buf[i + 5]) + ((buf[i + 6] << 8) | buf[i + 7]);
  }
  for (; i < end; i += 2) a += (buf[i] << 8) | buf[i + 1];
  if (len & 1) a += buf[off + len - 1] << 8;
  return a;
}

export function fold(acc: number): number {
  let a = acc;
  while (a > 0xffff) a = (a % 65536) + Math.floor(a / 65536);
  return (~a) & 0xffff;
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
