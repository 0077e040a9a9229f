// ICMPv6 (RFC 4443): echo for our addresses (others go to the ping forwarder), Neighbor
// Discovery messages to ndp.ts, everything else dropped and counted.
import { buildIpFrame, finishL4, PROTO_ICMPV6, l4ChecksumOk, type IpPacket } from './ip.ts';
import { isOurAddress6 } from './nat.ts';
import { ndpInput, NDP_TYPES } from './ndp.ts';
import type { SlirpStack } from './stack.ts';

const ECHO_REQUEST = 128; const ECHO_REPLY = 129;

export function icmpv6Input(stack: SlirpStack, p: IpPacket): void {
  if (p.l4Len < 8) return stack.count('icmpv6-short');
  if (!l4ChecksumOk(p)) return stack.count('icmpv6-checksum');
  const f = p.frame; const o = p.l4Off;
  const type = f[o];
  if (type === ECHO_REQUEST) {
    if (isOurAddress6(stack.config, p.dst)) return reply(stack, p.dst, p.src, f.subarray(o, o + p.l4Len), ECHO_REPLY);
    return stack.pingForward(p);
  }
  if (NDP_TYPES.has(type)) return ndpInput(stack, p);
  stack.count('icmpv6-type');
}

function reply(stack: SlirpStack, from: Uint8Array, to: Uint8Array, request: Uint8Array, type: number): void {
  const mac = stack.guestMac;
  if (!mac) return;
  const { frame, l4Off } = buildIpFrame(mac, stack.config.gatewayMac, from, to, PROTO_ICMPV6, request.length);
  frame.set(request, l4Off);
  frame[l4Off] = type; frame[l4Off + 1] = 0;
  finishL4(frame, PROTO_ICMPV6, 2);
  stack.emit(frame);
}
