// ICMP and ICMPv6 echo toward real hosts through unprivileged "ping" sockets
// (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) and the AF_INET6/IPPROTO_ICMPV6 twin, Linux since
// 3.0/3.11, allowed for the groups in net.ipv4.ping_group_range, which covers both), the way
// libslirp and passt forward ping without privileges. Node has no ICMP sockets, so the
// calls go through koffi. The kernel owns the echo identifier of such a socket; replies are
// rewritten back to the guest's identifier. When the host refuses ping sockets this logs one
// line and only the gateway and DNS addresses answer ping.
import fs from 'node:fs';
import koffi from 'koffi';
import { formatIp } from './address.ts';
import { staysInside } from './nat.ts';
import { checksum } from './checksum.ts';
import { buildIpFrame, finishL4, PROTO_ICMP, PROTO_ICMPV6, type IpPacket } from './ip.ts';
import type { SlirpContext } from './context.ts';
import { be16 } from './bytes.ts';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const IDLE_MS = 10_000;
const POLL_MS = 5;
const MAX_SOCKETS = 16;

interface Libc {
  socket: (d: number, t: number, p: number) => number;
  sendto: (fd: number, b: Uint8Array, n: number, fl: number, a: Uint8Array, al: number) => number;
  recvfrom: (fd: number, b: Uint8Array, n: number, fl: number, a: Uint8Array, al: number[]) => number;
  close: (fd: number) => number;
}
let libc: Libc | undefined;
function load(): Libc {
  if (libc) return libc;
  const l = koffi.load('libc.so.6');
  libc = {
    socket: l.func('int socket(int domain, int type, int protocol)') as Libc['socket'],
    sendto: l.func('long sendto(int fd, const uint8_t *buf, size_t len, int flags, const uint8_t *addr, uint32_t addrlen)') as Libc['sendto'],
    recvfrom: l.func('long recvfrom(int fd, _Out_ uint8_t *buf, size_t len, int flags, _Out_ uint8_t *addr, _Inout_ uint32_t *addrlen)') as Libc['recvfrom'],
    close: l.func('int close(int fd)') as Libc['close'],
  };
  return libc;
}

interface PingSocket {
  fd: number;
  v6: boolean;
  guestId: number;
  guest: Uint8Array;
  lastUse: number;
}

export class PingForwarder {
  private readonly ctx: SlirpContext;
  private readonly sockets = new Map<number, PingSocket>();
  private refused = false;
  private poller: NodeJS.Timeout | undefined;
  private readonly buf = new Uint8Array(65536);
  private readonly addr = new Uint8Array(28); // sockaddr_in6 is the larger of the two

  constructor(ctx: SlirpContext) {
    this.ctx = ctx;
  }

  /** An echo request from the guest to a host that is not ours. */
  forward(p: IpPacket): void {
    if (this.ctx.config.restrict) return this.ctx.count('icmp-restricted');
    if (staysInside(this.ctx.config, p.dst)) return this.ctx.count('icmp-destination');
    if (this.refused) return this.ctx.count('icmp-not-forwarded');
    const v6 = p.version === 6;
    const id = be16(p.frame, p.l4Off + 4); // icmp.ts and icmpv6.ts checked l4Len >= 8
    const key = v6 ? id + 0x10000 : id;
    let s = this.sockets.get(key);
    if (!s) {
      if (this.sockets.size >= MAX_SOCKETS) return this.ctx.count('icmp-sockets-full');
      const fd = load().socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
      if (fd < 0) {
        this.refused = true;
        let range = '?';
        try {
          range = fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().replace(/\s+/, ' ');
        } catch {
          /* not Linux */
        }
        this.ctx.log.warn(
          `ICMP echo to ${formatIp(p.dst)} not forwarded: this host does not allow unprivileged ICMP sockets (net.ipv4.ping_group_range = ${range}); only the gateway and DNS addresses answer ping`,
        );
        return this.ctx.count('icmp-not-forwarded');
      }
      s = { fd, v6, guestId: id, guest: Uint8Array.from(p.src), lastUse: 0 };
      this.sockets.set(key, s);
    }
    s.lastUse = Date.now();
    // sockaddr_in {family, port, addr[4]} / sockaddr_in6 {family, port, flowinfo, addr[16], scope}
    const sa = new Uint8Array(v6 ? 28 : 16);
    sa[0] = v6 ? AF_INET6 : AF_INET;
    sa.set(p.dst, v6 ? 8 : 4);
    load().sendto(s.fd, p.frame.subarray(p.l4Off, p.l4Off + p.l4Len), p.l4Len, 0, sa, sa.length);
    if (!this.poller) {
      this.poller = setInterval(() => this.poll(), POLL_MS);
      this.poller.unref();
    }
  }

  private poll(): void {
    const c = load();
    for (const s of this.sockets.values()) {
      for (;;) {
        const al = [this.addr.length];
        const n = c.recvfrom(s.fd, this.buf, this.buf.length, 0, this.addr, al);
        if (n < 8) break;
        const mac = this.ctx.guestMac;
        if (!mac) continue;
        const from = s.v6 ? this.addr.slice(8, 24) : this.addr.slice(4, 8);
        const { frame, l4Off } = buildIpFrame(mac, this.ctx.config.gatewayMac, from, s.guest, s.v6 ? PROTO_ICMPV6 : PROTO_ICMP, n);
        frame.set(this.buf.subarray(0, n), l4Off);
        frame[l4Off + 4] = s.guestId >>> 8;
        frame[l4Off + 5] = s.guestId & 255;
        if (s.v6) finishL4(frame, PROTO_ICMPV6, 2);
        else {
          frame[l4Off + 2] = 0;
          frame[l4Off + 3] = 0;
          const cs = checksum(frame, l4Off, n);
          frame[l4Off + 2] = cs >>> 8;
          frame[l4Off + 3] = cs & 255;
        }
        this.ctx.emit(frame);
      }
    }
  }

  tick(now: number): void {
    for (const [id, s] of this.sockets) {
      if (now - s.lastUse > IDLE_MS) {
        load().close(s.fd);
        this.sockets.delete(id);
      }
    }
    if (this.sockets.size === 0 && this.poller) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  close(): void {
    for (const s of this.sockets.values()) load().close(s.fd);
    this.sockets.clear();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}
