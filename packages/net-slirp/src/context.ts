// SlirpContext: what the protocol files of the stack share, and nothing more: the configuration,
// the log, the event counters, what is known of the guest, where a guest packet goes on the
// host, and the way out to the guest. Protocol files take a context, never the stack: stack.ts
// dispatches frames to them and owns the timers, so no protocol file imports it.
import type { Logger } from 'pino';
import type { SlirpConfig } from './config.ts';
import { DnsResolvers } from './dns.ts';
import { mapOutbound, type HostTarget } from './nat.ts';
import { inPrefix, sameAddress } from './address.ts';
import { formatMac, MIN_ETHERNET } from './ethernet.ts';

export class SlirpContext {
  readonly config: SlirpConfig;
  readonly log: Logger;
  /** Events by name: every dropped frame by its reason, TCP recovery events (retransmissions,
   *  loss probes, out-of-order arrivals); SlirpStack.stats() reports them. */
  readonly counters: Record<string, number> = Object.create(null) as Record<string, number>;
  /** The host's resolvers for the virtual DNS address (dns.ts). */
  readonly dns: DnsResolvers;
  /** The guest's MAC, from the first frame it sent; undefined until then. */
  guestMac: Uint8Array | undefined;
  /** The last global source address the guest used in our IPv6 prefix, if any. */
  private guest6: Uint8Array | undefined;
  /** Where a finished frame goes (the stack's output: capture, counting, the caller). */
  private readonly output: (frame: Uint8Array) => void;

  constructor(config: SlirpConfig, log: Logger, output: (frame: Uint8Array) => void) {
    this.config = config;
    this.log = log;
    this.output = output;
    this.dns = new DnsResolvers(config.dnsServers, config.resolvConf);
  }

  /** Counts an event by name (see counters). */
  count(reason: string): void {
    this.counters[reason] = (this.counters[reason] ?? 0) + 1;
  }

  /** One frame to the guest, padded to the Ethernet minimum (libslirp 4.8 fix #34, passt). */
  emit(frame: Uint8Array): void {
    if (frame.length < MIN_ETHERNET) {
      const padded = new Uint8Array(MIN_ETHERNET);
      padded.set(frame);
      frame = padded;
    }
    this.output(frame);
  }

  /** Remembers the guest's MAC (a unicast source); the first sighting is logged at info. */
  learnGuest(mac: Uint8Array): void {
    const g = this.guestMac;
    if (g && g[0] === mac[0] && g[1] === mac[1] && g[2] === mac[2] && g[3] === mac[3] && g[4] === mac[4] && g[5] === mac[5]) return;
    const first = !g;
    this.guestMac = Uint8Array.from(mac);
    // A guest can change its MAC at will: only the first sighting is worth an info line.
    this.log[first ? 'info' : 'debug']({ mac: formatMac(mac) }, 'guest seen');
  }

  /** Remembers a global source address of the guest in our IPv6 prefix. */
  learnGuest6(src: Uint8Array): void {
    if (inPrefix(src, this.config.prefix6, 64) && !(this.guest6 && sameAddress(src, this.guest6))) this.guest6 = Uint8Array.from(src);
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

  /** Where a guest packet to dst:port goes on the host (see nat.ts). */
  mapOutbound(dst: Uint8Array, port: number): HostTarget | undefined {
    return mapOutbound(this.config, dst, port, () => this.dns.current()[0]);
  }
}
