// Address translation between the virtual network and the host (libslirp sotranslate_out4/6):
// which host address and port a guest packet goes to, or that it may not leave at all.
import { formatIp, inPrefix, sameAddress } from './address.ts';
import type { SlirpConfig } from './config.ts';
import type { Resolver } from './dns.ts';
import { u8 } from './bytes.ts';

export interface HostTarget {
  host: string;
  port: number;
}

/** True for destinations that never leave: the virtual networks, broadcast, multicast,
 *  loopback, unspecified and link-local addresses. */
export function staysInside(c: SlirpConfig, d: Uint8Array): boolean {
  const first = u8(d, 0);
  if (d.length === 4) return inPrefix(d, c.network, c.prefixLength) || first >= 224 || first === 0 || first === 127;
  return (
    inPrefix(d, c.prefix6, 64) ||
    first === 0xff ||
    (first === 0xfe && (u8(d, 1) & 0xc0) === 0x80) ||
    d.every((b, i) => b === (i === 15 ? 1 : 0)) ||
    d.every((b) => b === 0)
  );
}

/** Where a guest packet to dst:port goes on the host, or undefined when it may not leave: the
 *  gateway is the host's loopback (unless disabled), the DNS address on port 53 is the host's
 *  resolver, other inside destinations stay inside, and restrict mode lets nothing out. */
export function mapOutbound(c: SlirpConfig, dst: Uint8Array, port: number, resolver: () => Resolver | undefined): HostTarget | undefined {
  if (c.restrict) return undefined;
  const v4 = dst.length === 4;
  if (sameAddress(dst, v4 ? c.gateway : c.gateway6)) {
    return c.disableHostLoopback ? undefined : { host: v4 ? '127.0.0.1' : '::1', port };
  }
  if (sameAddress(dst, v4 ? c.dns : c.dns6)) return port === 53 ? resolver() : undefined;
  if (staysInside(c, dst)) return undefined;
  return { host: formatIp(dst), port };
}

/** The router's link-local, gateway and DNS IPv6 addresses: the ones the stack answers for. */
export function isOurAddress6(c: SlirpConfig, a: Uint8Array): boolean {
  return sameAddress(a, c.linkLocal6) || sameAddress(a, c.gateway6) || sameAddress(a, c.dns6);
}
