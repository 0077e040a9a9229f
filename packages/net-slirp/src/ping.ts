// ICMP echo toward real hosts through unprivileged "ping" sockets (socket(AF_INET, SOCK_DGRAM,
// IPPROTO_ICMP), Linux since 3.0, allowed for the groups in net.ipv4.ping_group_range), the
// way libslirp and passt forward ping without privileges. Node has no ICMP sockets, so the
// calls go through koffi. The kernel owns the echo identifier of such a socket; replies are
// rewritten back to the guest's identifier. When the host refuses ping sockets this logs one
// line and only the gateway and DNS addresses answer ping.
import fs from 'node:fs';
import koffi from 'koffi';
import { formatIp } from './address.ts';
import { checksum } from './checksum.ts';
import { buildIpFrame, PROTO_ICMP, type IpPacket } from './ip.ts';
import type { SlirpStack } from './stack.ts';

const AF_INET = 2; const SOCK_DGRAM = 2; const SOCK_NONBLOCK = 0o4000; const IPPROTO_ICMP = 1;
const IDLE_MS = 10_000; const POLL_MS = 5; const MAX_SOCKETS = 16;

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

interface PingSocket { fd: number; guestId: number; guest: Uint8Array; lastUse: number }

export class PingForwarder {
  private readonly stack: SlirpStack;
  private readonly sockets = new Map<number, PingSocket>();
  private refused = false;
  private poller: NodeJS.Timeout | undefined;
  private readonly buf = new Uint8Array(65536);
  private readonly addr = new Uint8Array(16);

  constructor(stack: SlirpStack) { this.stack = stack; }

  forward(p: IpPacket): void {
    if (p.version !== 4 || this.refused) return this.stack.drop('icmp-not-forwarded');
    const id = (p.frame[p.l4Off + 4] << 8) | p.frame[p.l4Off + 5];
    let s = this.sockets.get(id);
    if (!s) {
      if (this.sockets.size >= MAX_SOCKETS) return this.stack.drop('icmp-sockets-full');
      const fd = load().socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_ICMP);
      if (fd < 0) {
        this.refused = true;
        let range = '?';
        try { range = fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().replace(/\s+/, ' '); } catch { /* not Linux */ }
        this.stack.log.warn(`ICMP echo to ${formatIp(p.dst)} not forwarded: this host does not allow unprivileged ICMP sockets (net.ipv4.ping_group_range = ${range}); only the gateway and DNS addresses answer ping`);
        return this.stack.drop('icmp-not-forwarded');
      }
      s = { fd, guestId: id, guest: Uint8Array.from(p.src), lastUse: 0 };
      this.sockets.set(id, s);
    }
    s.lastUse = Date.now();
    const sa = new Uint8Array(16);
    sa[0] = AF_INET; sa.set(p.dst, 4);
    load().sendto(s.fd, p.frame.subarray(p.l4Off, p.l4Off + p.l4Len), p.l4Len, 0, sa, 16);
    if (!this.poller) this.poller = setInterval(() => this.poll(), POLL_MS);
  }

  private poll(): void {
    const c = load();
    for (const s of this.sockets.values()) {
      for (;;) {
        const al = [16];
        const n = c.recvfrom(s.fd, this.buf, this.buf.length, 0, this.addr, al);
        if (n < 8) break;
        const mac = this.stack.guestMac;
        if (!mac) continue;
        const from = this.addr.slice(4, 8);
        const { frame, l4Off } = buildIpFrame(mac, this.stack.config.gatewayMac, from, s.guest, PROTO_ICMP, n);
        frame.set(this.buf.subarray(0, n), l4Off);
        frame[l4Off + 4] = s.guestId >>> 8; frame[l4Off + 5] = s.guestId & 255;
        frame[l4Off + 2] = 0; frame[l4Off + 3] = 0;
        const cs = checksum(frame, l4Off, n);
        frame[l4Off + 2] = cs >>> 8; frame[l4Off + 3] = cs & 255;
        this.stack.emit(frame);
      }
    }
  }

  tick(now: number): void {
    for (const [id, s] of this.sockets) {
      if (now - s.lastUse > IDLE_MS) { load().close(s.fd); this.sockets.delete(id); }
    }
    if (this.sockets.size === 0 && this.poller) { clearInterval(this.poller); this.poller = undefined; }
  }

  close(): void {
    for (const s of this.sockets.values()) load().close(s.fd);
    this.sockets.clear();
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}
