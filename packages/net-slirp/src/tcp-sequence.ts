// 32-bit sequence number arithmetic (RFC 9293 3.4): a - b as a signed distance.
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
