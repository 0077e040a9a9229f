// ARP (RFC 826) for Ethernet/IPv4: answer who-has for the gateway and DNS addresses with the
// gateway MAC, learn the guest from its requests and replies, and ask for the guest when we
// must reach it first (a redirected connection before the guest has said anything).
import { BROADCAST_MAC, ETH_HLEN, ETHERTYPE_ARP, MIN_ETHERNET, writeEthernet } from './ethernet.ts';
import { sameAddress } from './address.ts';
import type { SlirpContext } from './context.ts';
import { be16, u8 } from './bytes.ts';

const ARP_LEN = 28;
const OP_REQUEST = 1;
const OP_REPLY = 2;

export function arpInput(ctx: SlirpContext, frame: Uint8Array): void {
  const o = ETH_HLEN;
  if (frame.length < o + ARP_LEN) return ctx.count('arp-short');
  // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
  if (frame[o] !== 0 || frame[o + 1] !== 1 || frame[o + 2] !== 8 || frame[o + 3] !== 0 || frame[o + 4] !== 6 || frame[o + 5] !== 4)
    return ctx.count('arp-format');
  const op = be16(frame, o + 6);
  const senderMac = frame.subarray(o + 8, o + 14);
  const senderIp = frame.subarray(o + 14, o + 18);
  const targetIp = frame.subarray(o + 24, o + 28);
  if (!(u8(senderMac, 0) & 1)) ctx.learnGuest(senderMac);
  if (op !== OP_REQUEST) return;
  const c = ctx.config;
  if (!sameAddress(targetIp, c.gateway) && !sameAddress(targetIp, c.dns)) return;
  const reply = Buffer.alloc(Math.max(MIN_ETHERNET, o + ARP_LEN)) as Uint8Array;
  writeEthernet(reply, senderMac, c.gatewayMac, ETHERTYPE_ARP);
  reply.set(frame.subarray(o, o + 6), o);
  reply[o + 6] = 0;
  reply[o + 7] = OP_REPLY;
  reply.set(c.gatewayMac, o + 8);
  reply.set(targetIp, o + 14);
  reply.set(senderMac, o + 18);
  reply.set(senderIp, o + 24);
  ctx.emit(reply);
}

/** Sends a frame to the guest at ip, filling in its MAC. Before the guest has sent anything
 *  the frame is dropped and counted, and for IPv4 the guest is asked for (who-has ip): its
 *  answer teaches us the MAC, and the sender's retransmission gets through. */
export function sendToGuest(ctx: SlirpContext, frame: Uint8Array, ip: Uint8Array): void {
  const mac = ctx.guestMac;
  if (!mac) {
    if (ip.length === 4) arpRequest(ctx, ip);
    return ctx.count('no-guest-mac');
  }
  frame.set(mac, 0);
  ctx.emit(frame);
}

function arpRequest(ctx: SlirpContext, target: Uint8Array): void {
  const o = ETH_HLEN;
  const c = ctx.config;
  const f = Buffer.alloc(MIN_ETHERNET) as Uint8Array;
  writeEthernet(f, BROADCAST_MAC, c.gatewayMac, ETHERTYPE_ARP);
  f.set([0, 1, 8, 0, 6, 4, 0, OP_REQUEST], o);
  f.set(c.gatewayMac, o + 8);
  f.set(c.gateway, o + 14);
  f.set(target, o + 24);
  ctx.emit(f);
}
