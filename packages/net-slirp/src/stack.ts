// SlirpStack: the user-mode network seen by one guest NIC. Frames go in through input() and
// come out through the output callback; how they travel (manager messages, a TAP device, a
// test pipe) is the caller's business. Every malformed or unwanted frame is dropped and
// counted by reason; nothing a guest sends can throw out of input().
import { pino, type Logger } from 'pino';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, MAX_FRAME, MIN_FRAME } from './ethernet.ts';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, type IpPacket } from './ip.ts';
import { parseIpv4 } from './ipv4.ts';
import { parseIpv6 } from './ipv6.ts';
import { inPrefix, parseIpv6 as parseIpv6Address, sameAddress } from './address.ts';
import { mapOutbound, staysInside, type HostTarget } from './nat.ts';
import { resolveConfig, type SlirpConfig, type SlirpOptions } from './config.ts';
import { arpInput, arpRequest } from './arp.ts';
import { icmpInput } from './icmp.ts';
import { icmpv6Input } from './icmpv6.ts';
import { sendRouterAdvert } from './ndp.ts';
import { UdpNat } from './udp.ts';
import { TcpNat } from './tcp.ts';
import { DhcpServer } from './dhcp.ts';
import { DnsResolvers } from './dns.ts';
import { Redirects, type RedirectResult } from './redirect-server.ts';
import { PcapWriter } from './pcap.ts';
import { PingForwarder } from './ping.ts';

const TICK_MS = 50;
const MIN_ETHERNET = 60;
const RA_INTERVAL_MS = 120_000;
const ALL_NODES = parseIpv6Address('ff02::1');

export interface SlirpStackOptions extends SlirpOptions {
  logger?: Logger;
  pcap?: string;
}

export class SlirpStack {
  readonly config: SlirpConfig;
  readonly log: Logger;
  readonly counters: Record<string, number> = Object.create(null) as Record<string, number>;
  guestMac: Uint8Array | undefined;
  /** The last global source address the guest used in our fd00::/64 prefix, if any. */
  private guest6: Uint8Array | undefined;
  readonly udp: UdpNat;
  readonly tcp: TcpNat;
  readonly dhcp: DhcpServer;
  readonly dns: DnsResolvers;
  readonly redirects: Redirects;
  private readonly ping: PingForwarder;
  private readonly output: (frame: Uint8Array) => void;
  private readonly pcap: PcapWriter | undefined;
  private readonly pkt: IpPacket = { version: 4, frame: new Uint8Array(0), src: new Uint8Array(0), dst: new Uint8Array(0), proto: 0, l4Off: 0, l4Len: 0, hopLimit: 0 };
  private timer: NodeJS.Timeout | undefined;
  private lastRa = 0;
  framesIn = 0; framesOut = 0; bytesIn = 0; bytesOut = 0;

  constructor(options: SlirpStackOptions, output: (frame: Uint8Array) => void) {
    this.config = resolveConfig(options);
    this.log = options.logger ?? pino({ level: 'silent' });
    this.output = output;
    this.udp = new UdpNat(this);
    this.tcp = new TcpNat(this);
    this.dhcp = new DhcpServer(this);
    this.dns = new DnsResolvers(this.config.dnsServers, this.config.resolvConf);
    this.redirects = new Redirects(this);
    this.ping = new PingForwarder(this);
    this.pcap = options.pcap ? new PcapWriter(options.pcap) : undefined;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
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
    if (frame.length < MIN_FRAME) return this.count('frame-short');
    if (frame.length > MAX_FRAME) return this.count('frame-long');
    this.pcap?.write(frame);
    try {
      this.dispatch(frame);
    } catch (e) {
      // A parser bug must cost one frame, not the guest's network.
      this.count('internal-error');
      this.log.error({ err: (e as Error).stack }, 'frame handling failed');
    }
  }

  private dispatch(frame: Uint8Array): void {
    const type = (frame[12] << 8) | frame[13];
    const srcMac = frame.subarray(6, 12);
    if (type === ETHERTYPE_ARP) return arpInput(this, frame);
    const p = this.pkt;
    if (type === ETHERTYPE_IPV4) {
      const bad = parseIpv4(frame, p);
      if (bad) return this.count(bad);
      if (!(srcMac[0] & 1)) this.learnGuest(srcMac);
      const proto = p.proto;
      if (proto === PROTO_TCP) return this.tcp.input(p);
      if (proto === PROTO_UDP) return this.udp.input(p);
      if (proto === PROTO_ICMP) return icmpInput(this, p);
      return this.count('ipv4-protocol');
    }
    if (type === ETHERTYPE_IPV6) {
      if (!this.config.ipv6) return this.count('ipv6-disabled');
      const bad = parseIpv6(frame, p);
      if (bad) return this.count(bad);
      if (!(srcMac[0] & 1)) this.learnGuest(srcMac);
      if (inPrefix(p.src, this.config.prefix6, 64) && !(this.guest6 && sameAddress(p.src, this.guest6))) this.guest6 = Uint8Array.from(p.src);
      const proto = p.proto;
      if (proto === PROTO_TCP) return this.tcp.input(p);
      if (proto === PROTO_UDP) return this.udp.input(p);
      if (proto === PROTO_ICMPV6) return icmpv6Input(this, p);
      return this.count('ipv6-next-header');
    }
    this.count('ethertype');
  }

  /** Where tcp6/udp6 forwards go: the guest's global IPv6 address as last seen, else the SLAAC
   *  address its MAC gives (modified EUI-64, RFC 4291 2.5.1 and appendix A; Linux's default
   *  addr_gen_mode). Undefined without IPv6 or before the guest has sent a frame. */
  guestAddress6(): Uint8Array | undefined {
    if (!this.config.ipv6) return undefined;
    if (this.guest6) return this.guest6;
    const mac = this.guestMac;
    if (!mac) return undefined;
    const a = Uint8Array.from(this.config.prefix6);
    a.set([mac[0]! ^ 0x02, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!], 8);
    return a;
  }

  learnGuest(mac: Uint8Array): void {
    const g = this.guestMac;
    if (g && g[0] === mac[0] && g[1] === mac[1] && g[2] === mac[2] && g[3] === mac[3] && g[4] === mac[4] && g[5] === mac[5]) return;
    const first = !g;
    this.guestMac = Uint8Array.from(mac);
    // A guest can change its MAC at will: only the first sighting is worth an info line.
    this.log[first ? 'info' : 'debug']({ mac: Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':') }, 'guest seen');
    if (first && this.config.ipv6) { this.lastRa = Date.now(); sendRouterAdvert(this, ALL_NODES); }
  }

  /** Counts an event by name: every dropped frame by its reason, and TCP recovery events
   *  (retransmissions, loss probes, out-of-order arrivals); see stats(). */
  count(reason: string): void {
    this.counters[reason] = (this.counters[reason] ?? 0) + 1;
  }

  emit(frame: Uint8Array): void {
    if (frame.length < MIN_ETHERNET) { // pad to the Ethernet minimum (libslirp 4.8 fix #34, passt)
      const padded = new Uint8Array(MIN_ETHERNET);
      padded.set(frame);
      frame = padded;
    }
    this.framesOut++;
    this.bytesOut += frame.length;
    this.pcap?.write(frame);
    this.output(frame);
  }

  /** Sends to the guest at ip, fixing the destination MAC; asks ARP when it is unknown. */
  emitTo(frame: Uint8Array, ip: Uint8Array): void {
    const mac = this.guestMac;
    if (!mac) {
      if (ip.length === 4) arpRequest(this, ip);
      return this.count('no-guest-mac');
    }
    frame.set(mac, 0);
    this.emit(frame);
  }

  /** Where a guest packet to dst:port goes on the host (see nat.ts). */
  mapOutbound(dst: Uint8Array, port: number): HostTarget | undefined {
    return mapOutbound(this.config, dst, port, () => this.resolver());
  }

  private resolver(): { host: string; port: number } | undefined {
    return this.dns.current()[0];
  }

  pingForward(p: IpPacket): void {
    if (this.config.restrict) return this.count('icmp-restricted');
    if (staysInside(this.config, p.dst)) return this.count('icmp-destination');
    this.ping.forward(p);
  }

  private tick(): void {
    const now = Date.now();
    this.tcp.tick(now);
    this.udp.tick(now);
    this.redirects.tick(now);
    this.ping.tick(now);
    if (this.config.ipv6 && this.guestMac && now - this.lastRa >= RA_INTERVAL_MS) {
      this.lastRa = now;
      sendRouterAdvert(this, ALL_NODES);
    }
  }

  stats(): Record<string, unknown> {
    return { framesIn: this.framesIn, framesOut: this.framesOut, bytesIn: this.bytesIn, bytesOut: this.bytesOut,
      tcpConnections: this.tcp.size, udpFlows: this.udp.size, counters: { ...this.counters } };
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
