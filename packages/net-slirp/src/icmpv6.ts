// ICMPv6 (RFC 4443): echo for our addresses (others go to the ping forwarder), Neighbor
// Discovery messages to ndp.ts, everything else dropped and counted.
import { buildIpFrame, finishL4, PROTO_ICMPV6, l4ChecksumOk, type IpPacket } from './ip.ts';
import { isOurAddress6 } from './nat.ts';
import { ndpInput, NDP_TYPES } from './ndp.ts';
import type { SlirpContext } from './context.ts';
import type { PingForwarder } from './ping.ts';
import { u8 } from './bytes.ts';

const ECHO_REQUEST = 128;
const ECHO_REPLY = 129;

export function icmpv6Input(ctx: SlirpContext, p: IpPacket, ping: PingForwarder): void {
  if (p.l4Len < 8) return ctx.count('icmpv6-short');
  if (!l4ChecksumOk(p)) return ctx.count('icmpv6-checksum');
  const f = p.frame;
  const o = p.l4Off;
  const type = u8(f, o);
  if (type === ECHO_REQUEST) {
    if (isOurAddress6(ctx.config, p.dst)) return reply(ctx, p.dst, p.src, f.subarray(o, o + p.l4Len), ECHO_REPLY);
    return ping.forward(p);
  }
  if (NDP_TYPES.has(type)) return ndpInput(ctx, p);
  ctx.count('icmpv6-type');
}

function reply(ctx: SlirpContext, from: Uint8Array, to: Uint8Array, request: Uint8Array, type: number): void {
  const mac = ctx.guestMac;
  if (!mac) return;
  const { frame, l4Off } = buildIpFrame(mac, ctx.config.gatewayMac, from, to, PROTO_ICMPV6, request.length);
  frame.set(request, l4Off);
  frame[l4Off] = type;
  frame[l4Off + 1] = 0;
  finishL4(frame, PROTO_ICMPV6, 2);
  ctx.emit(frame);
}
