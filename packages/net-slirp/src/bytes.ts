// Reads of fields in network byte order (most significant octet first, RFC 791 Appendix B) from
// a frame. Every parser checks a header's length against the frame before it reads the header's
// fields, so these reads are in bounds; one that is not is a parser bug and throws, which costs
// the frame, not the guest's network (SlirpStack.input counts it as 'internal-error').

function outOfBounds(b: Uint8Array, at: number, n: number): RangeError {
  return new RangeError(`read of ${n} byte(s) at offset ${at} past the end of a ${b.length}-byte buffer`);
}

export function u8(b: Uint8Array, at: number): number {
  const v = b[at];
  if (v === undefined) throw outOfBounds(b, at, 1);
  return v;
}

export function be16(b: Uint8Array, at: number): number {
  if (at < 0 || at + 2 > b.length) throw outOfBounds(b, at, 2);
  return (b[at]! << 8) | b[at + 1]!;
}

export function be32(b: Uint8Array, at: number): number {
  if (at < 0 || at + 4 > b.length) throw outOfBounds(b, at, 4);
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
