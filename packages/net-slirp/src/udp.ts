// UDP (RFC 768) NAT: one host socket per guest source endpoint and host address family
// (endpoint-independent mapping, RFC 4787 4.1), closed after an idle timeout; the number of
// flows is capped and the least recently used flow is closed first. Replies are presented to
// the guest as coming from the address the guest sent to (10.0.2.2 for the host's loopback,
// 10.0.2.3:53 for the resolver).
import dgram from 'node:dgram';
import { buildIpFrame, finishL4, l4ChecksumOk, PROTO_UDP, type IpPacket } from './ip.ts';
import { formatIp, parseIp } from './address.ts';
import type { SlirpContext } from './context.ts';
import { be16 } from './bytes.ts';

interface Peer {
  addr: Uint8Array;
  port: number;
}

/** The UDP header of a guest datagram (RFC 768), filled by parseUdp. */
export interface UdpHeader {
  sport: number;
  dport: number;
  length: number;
}

/** Checks the header of p's UDP datagram and fills h; returns a drop reason when malformed. */
export function parseUdp(p: IpPacket, h: UdpHeader): string | undefined {
  const f = p.frame;
  const o = p.l4Off;
  if (p.l4Len < 8) return 'udp-short';
  const ulen = be16(f, o + 4);
  if (ulen < 8 || ulen > p.l4Len) return 'udp-length';
  const hasSum = f[o + 6] !== 0 || f[o + 7] !== 0;
  if (p.version === 6 && !hasSum) return 'udp-checksum'; // mandatory over IPv6 (RFC 8200 8.1)
  if (hasSum && !l4ChecksumOk({ ...p, l4Len: ulen })) return 'udp-checksum';
  h.sport = be16(f, o);
  h.dport = be16(f, o + 2);
  h.length = ulen;
  if (h.sport === 0 || h.dport === 0) return 'udp-port-zero'; // reserved (RFC 6335 6)
  return undefined;
}

/** Destinations remembered per flow for rewriting reply sources; a guest scanning many
 *  destinations from one port forgets the oldest. */
const MAX_PEERS = 64;
const DNS_IDLE_MS = 10_000;

class UdpFlow {
  readonly key: string;
  readonly guestAddr: Uint8Array;
  readonly guestPort: number;
  readonly socket: dgram.Socket;
  readonly peers = new Map<string, Peer>();
  lastUse = Date.now();
  /** Only DNS so far: a resolver's source port is used once, so the flow can go sooner. */
  dnsOnly = true;
  constructor(key: string, guestAddr: Uint8Array, guestPort: number, socket: dgram.Socket) {
    this.key = key;
    this.guestAddr = guestAddr;
    this.guestPort = guestPort;
    this.socket = socket;
  }
}

export class UdpNat {
  private readonly ctx: SlirpContext;
  private readonly flows = new Map<string, UdpFlow>();

  constructor(ctx: SlirpContext) {
    this.ctx = ctx;
  }

  get size(): number {
    return this.flows.size;
  }

  /** A guest datagram (header checked by parseUdp) for a host outside. */
  input(p: IpPacket, h: UdpHeader): void {
    const f = p.frame;
    const o = p.l4Off;
    const { sport, dport } = h;
    const target = this.ctx.mapOutbound(p.dst, dport);
    if (!target) return this.ctx.count('udp-refused');
    const family = target.host.includes(':') ? 6 : 4;
    const key = `${formatIp(p.src)}|${sport}|${family}`;
    let flow = this.flows.get(key);
    if (!flow) flow = this.open(key, Uint8Array.from(p.src), sport, family);
    else {
      this.flows.delete(key);
      this.flows.set(key, flow);
    } // keep LRU order
    flow.lastUse = Date.now();
    if (target.port !== 53) flow.dnsOnly = false;
    const peerKey = `${target.host}|${target.port}`;
    if (!flow.peers.delete(peerKey) && flow.peers.size >= MAX_PEERS) flow.peers.delete(flow.peers.keys().next().value!);
    flow.peers.set(peerKey, { addr: Uint8Array.from(p.dst), port: dport });
    flow.socket.send(f.subarray(o + 8, o + h.length), target.port, target.host, (err) => {
      if (err) this.ctx.count('udp-send-error');
    });
  }

  private open(key: string, guestAddr: Uint8Array, guestPort: number, family: 4 | 6): UdpFlow {
    if (this.flows.size >= this.ctx.config.maxUdpFlows) {
      const oldest = this.flows.values().next().value;
      if (oldest) this.close(oldest);
    }
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    const flow = new UdpFlow(key, guestAddr, guestPort, socket);
    socket.on('message', (msg, rinfo) => this.fromHost(flow, msg, rinfo.address, rinfo.port));
    socket.on('error', () => this.close(flow));
    this.flows.set(key, flow);
    return flow;
  }

  private fromHost(flow: UdpFlow, msg: Uint8Array, address: string, port: number): void {
    flow.lastUse = Date.now();
    const peer = flow.peers.get(`${address}|${port}`);
    let src: Uint8Array | undefined = peer?.addr;
    const sport = peer?.port ?? port;
    if (!src) {
      const a = address.replace(/^::ffff:(?=\d+\.)/, '');
      const bytes = parseIp(a);
      if (bytes.length === flow.guestAddr.length) src = bytes;
    }
    if (!src) return this.ctx.count('udp-reply-family');
    sendUdp(this.ctx, src, sport, flow.guestAddr, flow.guestPort, msg);
  }

  private close(flow: UdpFlow): void {
    if (this.flows.get(flow.key) === flow) this.flows.delete(flow.key);
    flow.socket.close();
  }

  tick(now: number): void {
    for (const flow of this.flows.values()) {
      const idle = flow.dnsOnly ? Math.min(DNS_IDLE_MS, this.ctx.config.udpIdleMs) : this.ctx.config.udpIdleMs;
      if (now - flow.lastUse > idle) this.close(flow);
    }
  }

  closeAll(): void {
    for (const flow of [...this.flows.values()]) this.close(flow);
  }
}

/** Sends one datagram to the guest; too big for the MTU is dropped, as we never fragment. */
export function sendUdp(ctx: SlirpContext, src: Uint8Array, sport: number, dst: Uint8Array, dport: number, data: Uint8Array): void {
  const mac = ctx.guestMac;
  if (!mac) return ctx.count('udp-no-guest');
  const l4Len = 8 + data.length;
  if (l4Len + (src.length === 16 ? 40 : 20) > ctx.config.mtu) return ctx.count('udp-too-big');
  const { frame, l4Off } = buildIpFrame(mac, ctx.config.gatewayMac, src, dst, PROTO_UDP, l4Len);
  frame[l4Off] = sport >>> 8;
  frame[l4Off + 1] = sport & 255;
  frame[l4Off + 2] = dport >>> 8;
  frame[l4Off + 3] = dport & 255;
  frame[l4Off + 4] = l4Len >>> 8;
  frame[l4Off + 5] = l4Len & 255;
  frame.set(data, l4Off + 8);
  finishL4(frame, PROTO_UDP, 6);
  ctx.emit(frame);
}
