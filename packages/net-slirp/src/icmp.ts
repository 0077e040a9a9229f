// ICMPv4 (RFC 792): echo requests to the gateway or DNS address are answered here; echo to
// other hosts goes to the ping-socket forwarder when the host allows unprivileged ICMP
// sockets (net.ipv4.ping_group_range), else it is dropped after one log line.
import { buildIpFrame, PROTO_ICMP, type IpPacket } from './ip.ts';
import { checksum } from './checksum.ts';
import { sameAddress } from './address.ts';
import type { SlirpContext } from './context.ts';
import type { PingForwarder } from './ping.ts';

const ECHO_REPLY = 0;
const ECHO_REQUEST = 8;

export function icmpInput(ctx: SlirpContext, p: IpPacket, ping: PingForwarder): void {
  if (p.l4Len < 8) return ctx.count('icmp-short');
  if (checksum(p.frame, p.l4Off, p.l4Len) !== 0) return ctx.count('icmp-checksum');
  if (p.frame[p.l4Off] !== ECHO_REQUEST) return ctx.count('icmp-type');
  const c = ctx.config;
  if (sameAddress(p.dst, c.gateway) || sameAddress(p.dst, c.dns)) {
    return echoReply(ctx, p.dst, p.src, p.frame.subarray(p.l4Off, p.l4Off + p.l4Len));
  }
  ping.forward(p);
}

/** Sends an echo reply carrying the request's identifier, sequence and data. */
export function echoReply(ctx: SlirpContext, from: Uint8Array, to: Uint8Array, request: Uint8Array): void {
  const mac = ctx.guestMac;
  if (!mac) return;
  const { frame, l4Off } = buildIpFrame(mac, ctx.config.gatewayMac, from, to, PROTO_ICMP, request.length);
  frame.set(request, l4Off);
  frame[l4Off] = ECHO_REPLY;
  frame[l4Off + 1] = 0;
  finishL4ICMPv4(frame, l4Off);
  ctx.emit(frame);
}

function finishL4ICMPv4(frame: Uint8Array, l4Off: number): void {
  // ICMPv4 has no pseudo-header (RFC 792), unlike ICMPv6.
  frame[l4Off + 2] = 0;
  frame[l4Off + 3] = 0;
  const cs = checksum(frame, l4Off, frame.length - l4Off);
  frame[l4Off + 2] = cs >>> 8;
  frame[l4Off + 3] = cs & 255;
}
