// What IPv4 and IPv6 share for the upper layers: the parsed-packet record, upper-layer
// checksums over the pseudo-header, and building a frame with Ethernet and IP headers
// (RFC 791 3.1, RFC 8200 3). The parsers are in ipv4.ts and ipv6.ts.
import { ETH_HLEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, writeEthernet } from './ethernet.ts';
import { checksum, fold, pseudoSum, sum16 } from './checksum.ts';
import { u8 } from './bytes.ts';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

/** One received IP packet; src/dst/frame are views into the caller's frame: copy to keep. */
export interface IpPacket {
  version: 4 | 6;
  frame: Uint8Array;
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  l4Off: number;
  l4Len: number;
  hopLimit: number;
}

/** True when the upper-layer checksum (at any offset: it is part of the sum) verifies. */
export function l4ChecksumOk(p: IpPacket): boolean {
  const acc = pseudoSum(p.frame, ETH_HLEN, p.version, p.proto, p.l4Len);
  return fold(sum16(p.frame, p.l4Off, p.l4Len, acc)) === 0;
}

let ipId = 1;

/** Allocates a frame with Ethernet and IP headers filled in; the caller writes the upper layer
 *  at the returned l4Off and then calls finishL4. */
export function buildIpFrame(
  dstMac: Uint8Array,
  srcMac: Uint8Array,
  src: Uint8Array,
  dst: Uint8Array,
  proto: number,
  l4Len: number,
  hopLimit = 64,
): { frame: Uint8Array; l4Off: number } {
  const v6 = src.length === 16;
  const hl = v6 ? 40 : 20;
  const frame = Buffer.allocUnsafe(ETH_HLEN + hl + l4Len) as Uint8Array;
  writeEthernet(frame, dstMac, srcMac, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
  const o = ETH_HLEN;
  if (v6) {
    frame[o] = 0x60;
    frame[o + 1] = 0;
    frame[o + 2] = 0;
    frame[o + 3] = 0;
    frame[o + 4] = l4Len >>> 8;
    frame[o + 5] = l4Len & 255;
    frame[o + 6] = proto;
    frame[o + 7] = hopLimit;
    frame.set(src, o + 8);
    frame.set(dst, o + 24);
  } else {
    const total = 20 + l4Len;
    const id = ipId;
    ipId = (ipId + 1) & 0xffff;
    frame[o] = 0x45;
    frame[o + 1] = 0;
    frame[o + 2] = total >>> 8;
    frame[o + 3] = total & 255;
    frame[o + 4] = id >>> 8;
    frame[o + 5] = id & 255;
    frame[o + 6] = 0x40;
    frame[o + 7] = 0; // DF: we never fragment (RFC 1191 path MTU discovery)
    frame[o + 8] = hopLimit;
    frame[o + 9] = proto;
    frame[o + 10] = 0;
    frame[o + 11] = 0;
    frame.set(src, o + 12);
    frame.set(dst, o + 16);
    const c = checksum(frame, o, 20);
    frame[o + 10] = c >>> 8;
    frame[o + 11] = c & 255;
  }
  return { frame, l4Off: o + hl };
}

/** Writes the upper-layer checksum at l4Off+csumAt over the pseudo-header and the segment. */
export function finishL4(frame: Uint8Array, proto: number, csumAt: number): void {
  const o = ETH_HLEN;
  const v6 = u8(frame, o) >>> 4 === 6;
  const l4Off = o + (v6 ? 40 : 20);
  const l4Len = frame.length - l4Off;
  frame[l4Off + csumAt] = 0;
  frame[l4Off + csumAt + 1] = 0;
  const acc = pseudoSum(frame, o, v6 ? 6 : 4, proto, l4Len);
  let c = fold(sum16(frame, l4Off, l4Len, acc));
  if (c === 0 && proto === PROTO_UDP) c = 0xffff; // RFC 768: zero means "no checksum"
  frame[l4Off + csumAt] = c >>> 8;
  frame[l4Off + csumAt + 1] = c & 255;
}
