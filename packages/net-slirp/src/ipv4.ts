// IPv4 input (RFC 791): header checks before any upper layer sees the packet.
import { ETH_HLEN } from './ethernet.ts';
import { checksum } from './checksum.ts';
import type { IpPacket } from './ip.ts';
import { be16, u8 } from './bytes.ts';

/** Why an IPv4 packet is refused; undefined when accepted. Fragments are refused rather than
 *  reassembled: a guest with PMTU discovery never fragments TCP, and refusing them removes the
 *  overlapping-fragment and reassembly-memory attacks (libslirp's ip_reass CVE history). */
export function parseIpv4(frame: Uint8Array, out: IpPacket): string | undefined {
  const o = ETH_HLEN;
  if (frame.length < o + 20) return 'ipv4-short';
  const vihl = u8(frame, o);
  if (vihl >>> 4 !== 4) return 'ipv4-version';
  const ihl = (vihl & 15) * 4;
  const total = be16(frame, o + 2);
  if (ihl < 20 || total < ihl || o + total > frame.length) return 'ipv4-length';
  if (checksum(frame, o, ihl) !== 0) return 'ipv4-checksum';
  const frag = be16(frame, o + 6) & 0x3fff;
  if (frag !== 0) return 'ipv4-fragment';
  out.version = 4;
  out.frame = frame;
  out.src = frame.subarray(o + 12, o + 16);
  out.dst = frame.subarray(o + 16, o + 20);
  out.proto = u8(frame, o + 9);
  out.l4Off = o + ihl;
  out.l4Len = total - ihl;
  out.hopLimit = u8(frame, o + 8);
  return undefined;
}
