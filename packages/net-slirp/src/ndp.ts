// Neighbor Discovery (RFC 4861): neighbor advertisements for the router's link-local, gateway
// and DNS addresses, and router advertisements carrying the /64 prefix for SLAAC (RFC 4862),
// the MTU and the DNS server (RDNSS, RFC 8106). The guest's own addresses are never answered
// for, so its duplicate address detection succeeds.
import { buildIpFrame, finishL4, PROTO_ICMPV6, type IpPacket } from './ip.ts';
import { parseIpv6 } from './address.ts';
import { isOurAddress6 } from './nat.ts';
import type { SlirpContext } from './context.ts';

const ROUTER_SOLICIT = 133;
const ROUTER_ADVERT = 134;
const NEIGHBOR_SOLICIT = 135;
const NEIGHBOR_ADVERT = 136;
export const NDP_TYPES = new Set([ROUTER_SOLICIT, ROUTER_ADVERT, NEIGHBOR_SOLICIT, NEIGHBOR_ADVERT]);
const ALL_NODES = parseIpv6('ff02::1');
const ROUTER_LIFETIME = 1800;

/** An ICMPv6 message of one of NDP_TYPES whose checksum is already verified. */
export function ndpInput(ctx: SlirpContext, p: IpPacket): void {
  const f = p.frame;
  const o = p.l4Off;
  const type = f[o];
  // RFC 4861 6.1.1/7.1.1: ND messages must arrive with hop limit 255 (never forwarded).
  if (p.hopLimit !== 255) return ctx.count('ndp-hop-limit');
  if (type === ROUTER_SOLICIT) {
    return sendRouterAdvert(ctx, p.src.every((b) => b === 0) ? ALL_NODES : Uint8Array.from(p.src));
  }
  if (type === NEIGHBOR_SOLICIT) {
    if (p.l4Len < 24) return ctx.count('ndp-format');
    const target = f.subarray(o + 8, o + 24);
    if (!isOurAddress6(ctx.config, target)) return;
    const unspecified = p.src.every((b) => b === 0);
    return sendNeighborAdvert(ctx, Uint8Array.from(target), unspecified ? ALL_NODES : Uint8Array.from(p.src), !unspecified);
  }
  // Router and neighbor advertisements from the guest: nothing to learn (one guest, one router).
}

function sendNeighborAdvert(ctx: SlirpContext, target: Uint8Array, to: Uint8Array, solicited: boolean): void {
  const mac = ctx.guestMac;
  if (!mac) return;
  const c = ctx.config;
  const { frame, l4Off: o } = buildIpFrame(mac, c.gatewayMac, target, to, PROTO_ICMPV6, 32, 255);
  frame.fill(0, o);
  frame[o] = NEIGHBOR_ADVERT;
  frame[o + 4] = 0x80 | (solicited ? 0x40 : 0) | 0x20; // Router, Solicited, Override
  frame.set(target, o + 8);
  frame[o + 24] = 2;
  frame[o + 25] = 1;
  frame.set(c.gatewayMac, o + 26); // target link-layer address
  finishL4(frame, PROTO_ICMPV6, 2);
  ctx.emit(frame);
}

export function sendRouterAdvert(ctx: SlirpContext, to: Uint8Array): void {
  const mac = ctx.guestMac;
  if (!mac) return;
  const c = ctx.config;
  const len = 16 + 8 + 8 + 32 + (c.restrict ? 0 : 24);
  const { frame, l4Off: o } = buildIpFrame(mac, c.gatewayMac, c.linkLocal6, to, PROTO_ICMPV6, len, 255);
  frame.fill(0, o);
  frame[o] = ROUTER_ADVERT;
  frame[o + 4] = 64; // current hop limit
  // In restrict mode we are no default router and name no DNS server (as DHCP leaves out
  // router and DNS there), but the prefix still gives the guest its address.
  const lifetime = c.restrict ? 0 : ROUTER_LIFETIME;
  frame[o + 6] = lifetime >>> 8;
  frame[o + 7] = lifetime & 255;
  let i = o + 16;
  frame[i] = 1;
  frame[i + 1] = 1;
  frame.set(c.gatewayMac, i + 2);
  i += 8; // source link-layer
  frame[i] = 5;
  frame[i + 1] = 1;
  put32(frame, i + 4, c.mtu);
  i += 8; // MTU
  frame[i] = 3;
  frame[i + 1] = 4;
  frame[i + 2] = 64;
  frame[i + 3] = 0xc0; // prefix: on-link, autonomous
  put32(frame, i + 4, 86400);
  put32(frame, i + 8, 14400);
  frame.set(c.prefix6.subarray(0, 8), i + 16);
  i += 32;
  if (!c.restrict) {
    frame[i] = 25;
    frame[i + 1] = 3;
    put32(frame, i + 4, ROUTER_LIFETIME);
    frame.set(c.dns6, i + 8);
  } // RDNSS (RFC 8106)
  finishL4(frame, PROTO_ICMPV6, 2);
  ctx.emit(frame);
}

function put32(f: Uint8Array, i: number, v: number): void {
  f[i] = v >>> 24;
  f[i + 1] = (v >>> 16) & 255;
  f[i + 2] = (v >>> 8) & 255;
  f[i + 3] = v & 255;
}
