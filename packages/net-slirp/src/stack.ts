// SlirpStack: the user-mode network seen by one guest NIC. Frames go in through input() and
// come out through the output callback; how they travel (manager messages, a TAP device, a
// test pipe) is the caller's business. The stack dispatches each frame to its protocol file and
// owns the timers; what the protocol files share is a SlirpContext (context.ts). Every malformed
// or unwanted frame is dropped and counted by reason; nothing a guest sends can throw out of
// input().
import { pino, type Logger } from 'pino';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, MAX_FRAME, MIN_FRAME } from './ethernet.ts';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, type IpPacket } from './ip.ts';
import { parseIpv4 } from './ipv4.ts';
import { parseIpv6 } from './ipv6.ts';
import { parseIpv6 as parseIpv6Address } from './address.ts';
import { resolveConfig, type SlirpConfig, type SlirpOptions } from './config.ts';
import { SlirpContext } from './context.ts';
import { arpInput } from './arp.ts';
import { icmpInput } from './icmp.ts';
import { icmpv6Input } from './icmpv6.ts';
import { sendRouterAdvert } from './ndp.ts';
import { parseUdp, UdpNat, type UdpHeader } from './udp.ts';
import { TcpNat } from './tcp.ts';
import { DhcpServer } from './dhcp.ts';
import { Redirects, type RedirectResult } from './redirect-server.ts';
import { PcapWriter } from './pcap.ts';
import { PingForwarder } from './ping.ts';
import { be16, u8 } from './bytes.ts';

const TICK_MS = 50;
const RA_INTERVAL_MS = 120_000;
const ALL_NODES = parseIpv6Address('ff02::1');

export interface SlirpStackOptions extends SlirpOptions {
  logger?: Logger;
  pcap?: string;
}

export class SlirpStack {
  readonly ctx: SlirpContext;
  readonly udp: UdpNat;
  readonly tcp: TcpNat;
  readonly dhcp: DhcpServer;
  readonly redirects: Redirects;
  private readonly ping: PingForwarder;
  private readonly output: (frame: Uint8Array) => void;
  private readonly pcap: PcapWriter | undefined;
  private readonly pkt: IpPacket = {
    version: 4,
    frame: new Uint8Array(0),
    src: new Uint8Array(0),
    dst: new Uint8Array(0),
    proto: 0,
    l4Off: 0,
    l4Len: 0,
    hopLimit: 0,
  };
  private readonly udpHeader: UdpHeader = { sport: 0, dport: 0, length: 0 };
  private timer: NodeJS.Timeout | undefined;
  private lastRa = 0;
  framesIn = 0;
  framesOut = 0;
  bytesIn = 0;
  bytesOut = 0;

  constructor(options: SlirpStackOptions, output: (frame: Uint8Array) => void) {
    this.output = output;
    this.pcap = options.pcap ? new PcapWriter(options.pcap) : undefined;
    this.ctx = new SlirpContext(resolveConfig(options), options.logger ?? pino({ level: 'silent' }), (frame) => this.toGuest(frame));
    this.udp = new UdpNat(this.ctx);
    this.tcp = new TcpNat(this.ctx);
    this.dhcp = new DhcpServer(this.ctx);
    this.redirects = new Redirects(this.ctx, this.tcp);
    this.ping = new PingForwarder(this.ctx);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  get config(): SlirpConfig {
    return this.ctx.config;
  }
  get counters(): Readonly<Record<string, number>> {
    return this.ctx.counters;
  }

  /** Binds the configured redirections; failures are logged and reported, never thrown. */
  start(): Promise<RedirectResult[]> {
    return this.redirects.start(this.config.redirections);
  }

  /** One Ethernet frame from the guest. The stack may keep views into it (host socket writes),
   *  so the caller must not reuse the buffer afterwards. */
  input(frame: Uint8Array): void {
    this.framesIn++;
    this.bytesIn += frame.length;
    if (frame.length < MIN_FRAME) return this.ctx.count('frame-short');
    if (frame.length > MAX_FRAME) return this.ctx.count('frame-long');
    this.pcap?.write(frame);
    const known = this.ctx.guestMac !== undefined;
    try {
      this.dispatch(frame);
    } catch (e) {
      // A parser bug must cost one frame, not the guest's network.
      this.ctx.count('internal-error');
      this.ctx.log.error({ err: (e as Error).stack }, 'frame handling failed');
    }
    // The guest just appeared: tell it about our IPv6 prefix without waiting for its solicitation.
    if (!known && this.ctx.guestMac && this.config.ipv6) this.routerAdvert(Date.now());
  }

  private dispatch(frame: Uint8Array): void {
    const ctx = this.ctx;
    const type = be16(frame, 12); // input() refused frames shorter than MIN_FRAME
    const srcMac = frame.subarray(6, 12);
    if (type === ETHERTYPE_ARP) return arpInput(ctx, frame);
    const p = this.pkt;
    if (type === ETHERTYPE_IPV4) {
      const bad = parseIpv4(frame, p);
      if (bad) return ctx.count(bad);
      if (!(u8(srcMac, 0) & 1)) ctx.learnGuest(srcMac);
      const proto = p.proto;
      if (proto === PROTO_TCP) return this.tcp.input(p);
      if (proto === PROTO_UDP) return this.udpInput(p);
      if (proto === PROTO_ICMP) return icmpInput(ctx, p, this.ping);
      return ctx.count('ipv4-protocol');
    }
    if (type === ETHERTYPE_IPV6) {
      if (!this.config.ipv6) return ctx.count('ipv6-disabled');
      const bad = parseIpv6(frame, p);
      if (bad) return ctx.count(bad);
      if (!(u8(srcMac, 0) & 1)) ctx.learnGuest(srcMac);
      ctx.learnGuest6(p.src);
      const proto = p.proto;
      if (proto === PROTO_TCP) return this.tcp.input(p);
      if (proto === PROTO_UDP) return this.udpInput(p);
      if (proto === PROTO_ICMPV6) return icmpv6Input(ctx, p, this.ping);
      return ctx.count('ipv6-next-header');
    }
    ctx.count('ethertype');
  }

  /** A UDP datagram: to our DHCP server, an answer to a redirected host client, or NAT. */
  private udpInput(p: IpPacket): void {
    const h = this.udpHeader;
    const bad = parseUdp(p, h);
    if (bad) return this.ctx.count(bad);
    if (this.dhcp.accepts(p, h.dport)) return this.dhcp.input(p, h.length);
    if (this.redirects.udpReply(p, h.sport, h.dport, p.frame.subarray(p.l4Off + 8, p.l4Off + h.length))) return;
    this.udp.input(p, h);
  }

  private toGuest(frame: Uint8Array): void {
    this.framesOut++;
    this.bytesOut += frame.length;
    this.pcap?.write(frame);
    this.output(frame);
  }

  private routerAdvert(now: number): void {
    this.lastRa = now;
    sendRouterAdvert(this.ctx, ALL_NODES);
  }

  private tick(): void {
    const now = Date.now();
    this.tcp.tick(now);
    this.udp.tick(now);
    this.redirects.tick(now);
    this.ping.tick(now);
    if (this.config.ipv6 && this.ctx.guestMac && now - this.lastRa >= RA_INTERVAL_MS) this.routerAdvert(now);
  }

  stats(): Record<string, unknown> {
    return {
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      tcpConnections: this.tcp.size,
      udpFlows: this.udp.size,
      counters: { ...this.ctx.counters },
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.redirects.close();
    this.tcp.closeAll();
    this.udp.closeAll();
    this.ping.close();
    this.pcap?.close();
  }
}
