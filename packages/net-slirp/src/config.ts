// Stack configuration with the de-facto slirp addressing (QEMU -netdev user, libslirp):
// 10.0.2.0/24, gateway 10.0.2.2 standing for the host's loopback, DNS 10.0.2.3, guest 10.0.2.15;
// IPv6 uses the slirp4netns/VDE style fd00::/64 with ::2 and ::3.
import { parseIpv4, parseIpv6, inPrefix } from './address.ts';
import { parseMac } from './ethernet.ts';
import type { Redirection } from './redirect.ts';
import { be32 } from './bytes.ts';

export interface SlirpOptions {
  network?: string; // IPv4 network address, default 10.0.2.0
  prefixLength?: number; // default 24
  gateway?: string; // default <net>.2
  dns?: string; // default <net>.3
  guest?: string; // first DHCP lease, default <net>.15
  ipv6?: boolean; // default true
  ipv6Prefix?: string; // /64, default fd00::
  gatewayMac?: string; // default 52:55:0a:00:02:02 (derived from the gateway like libslirp)
  mtu?: number; // 68..65520, default 1500
  restrict?: boolean; // no outbound connections; only redirections (libslirp restrict=on)
  disableHostLoopback?: boolean; // the gateway does not map to the host's loopback
  dnsServers?: string[]; // host resolvers ("ip", "ip:port", "[v6]:port"); default resolv.conf
  resolvConf?: string; // default /etc/resolv.conf
  redirections?: Redirection[];
  maxTcpConnections?: number; // default 1024
  maxUdpFlows?: number; // default 256
  udpIdleMs?: number; // default 60 s
}

export interface SlirpConfig {
  network: Uint8Array;
  prefixLength: number;
  netmask: Uint8Array;
  gateway: Uint8Array;
  dns: Uint8Array;
  guest: Uint8Array;
  broadcast: Uint8Array;
  ipv6: boolean;
  prefix6: Uint8Array;
  gateway6: Uint8Array;
  dns6: Uint8Array;
  linkLocal6: Uint8Array;
  gatewayMac: Uint8Array;
  mtu: number;
  restrict: boolean;
  disableHostLoopback: boolean;
  dnsServers: string[] | undefined;
  resolvConf: string;
  redirections: Redirection[];
  maxTcpConnections: number;
  maxUdpFlows: number;
  udpIdleMs: number;
}

function withHost(net: Uint8Array, host: number): Uint8Array {
  const a = Uint8Array.from(net);
  a[3] = host;
  return a;
}

export function resolveConfig(o: SlirpOptions): SlirpConfig {
  const network = parseIpv4(o.network ?? '10.0.2.0');
  const prefixLength = o.prefixLength ?? 24;
  if (!Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 29) {
    throw new Error(`network prefix length ${prefixLength} must be 8..29`);
  }
  const maskNum = (0xffffffff << (32 - prefixLength)) >>> 0;
  const netmask = new Uint8Array([maskNum >>> 24, (maskNum >>> 16) & 255, (maskNum >>> 8) & 255, maskNum & 255]);
  const netNum = be32(network, 0) & maskNum;
  const base = new Uint8Array([netNum >>> 24, (netNum >>> 16) & 255, (netNum >>> 8) & 255, netNum & 255]);
  const bcNum = (netNum | ~maskNum) >>> 0;
  const broadcast = new Uint8Array([bcNum >>> 24, (bcNum >>> 16) & 255, (bcNum >>> 8) & 255, bcNum & 255]);
  const gateway = o.gateway ? parseIpv4(o.gateway) : withHost(base, 2);
  const dns = o.dns ? parseIpv4(o.dns) : withHost(base, 3);
  const guest = o.guest ? parseIpv4(o.guest) : withHost(base, 15);
  for (const [name, a] of [
    ['gateway', gateway],
    ['dns', dns],
    ['guest', guest],
  ] as const) {
    if (!inPrefix(a, base, prefixLength)) throw new Error(`${name} address is outside the slirp network`);
  }
  const prefix6 = parseIpv6(o.ipv6Prefix ?? 'fd00::');
  const gateway6 = Uint8Array.from(prefix6);
  gateway6.fill(0, 8);
  gateway6[15] = 2;
  const dns6 = Uint8Array.from(prefix6);
  dns6.fill(0, 8);
  dns6[15] = 3;
  const linkLocal6 = parseIpv6('fe80::2');
  const mtu = o.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 1280 || mtu > 65520) throw new Error(`MTU ${mtu} must be 1280..65520`);
  const gatewayMac = parseMac(o.gatewayMac ?? `52:55:${Array.from(gateway, (b) => b.toString(16).padStart(2, '0')).join(':')}`);
  return {
    network: base,
    prefixLength,
    netmask,
    gateway,
    dns,
    guest,
    broadcast,
    ipv6: o.ipv6 ?? true,
    prefix6,
    gateway6,
    dns6,
    linkLocal6,
    gatewayMac,
    mtu,
    restrict: o.restrict ?? false,
    disableHostLoopback: o.disableHostLoopback ?? false,
    dnsServers: o.dnsServers,
    resolvConf: o.resolvConf ?? '/etc/resolv.conf',
    redirections: o.redirections ?? [],
    maxTcpConnections: o.maxTcpConnections ?? 1024,
    maxUdpFlows: o.maxUdpFlows ?? 256,
    udpIdleMs: o.udpIdleMs ?? 60_000,
  };
}
