// IPv6 input (RFC 8200): header checks before any upper layer sees the packet.
import { ETH_HLEN } from './ethernet.ts';
import type { IpPacket } from './ip.ts';
import { be16, u8 } from './bytes.ts';

/** Extension headers are not followed: the guest sends none for TCP/UDP/ICMPv6 traffic we
 *  serve (MLD reports carry hop-by-hop options and are ignored on purpose). */
export function parseIpv6(frame: Uint8Array, out: IpPacket): string | undefined {
  const o = ETH_HLEN;
  if (frame.length < o + 40) return 'ipv6-short';
  if (u8(frame, o) >>> 4 !== 6) return 'ipv6-version';
  const plen = be16(frame, o + 4);
  if (o + 40 + plen > frame.length) return 'ipv6-length';
  out.version = 6;
  out.frame = frame;
  out.src = frame.subarray(o + 8, o + 24);
  out.dst = frame.subarray(o + 24, o + 40);
  out.proto = u8(frame, o + 6);
  out.l4Off = o + 40;
  out.l4Len = plen;
  out.hopLimit = u8(frame, o + 7);
  return undefined;
}
