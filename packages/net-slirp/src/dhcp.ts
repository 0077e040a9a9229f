// DHCPv4 server (RFC 2131, options RFC 2132) handing out <net>.15 upward, one address per
// client MAC, 16 clients, 24 h leases like libslirp's bootp.c. In restrict mode the router and
// DNS options are left out, as libslirp does, so the guest does not try to go anywhere.
import { buildIpFrame, finishL4, PROTO_UDP, type IpPacket } from './ip.ts';
import { formatMac } from './ethernet.ts';
import { sameAddress } from './address.ts';
import type { SlirpContext } from './context.ts';
import { be32, u8 } from './bytes.ts';

const MAGIC = 0x63825363;
const DISCOVER = 1;
const OFFER = 2;
const REQUEST = 3;
const ACK = 5;
const NAK = 6;
const RELEASE = 7;
const INFORM = 8;
const LEASE_SECONDS = 86400;
const MAX_CLIENTS = 16;
const BOOTP_FIXED = 236;
const SERVER_PORT = 67;
const CLIENT_PORT = 68; // RFC 2131 4.1

export class DhcpServer {
  private readonly leases = new Map<string, number>();
  private readonly ctx: SlirpContext;
  constructor(ctx: SlirpContext) {
    this.ctx = ctx;
  }

  /** True for a datagram to the DHCP server port at the gateway or the broadcast address. */
  accepts(p: IpPacket, dport: number): boolean {
    if (p.version !== 4 || dport !== SERVER_PORT) return false;
    const d = p.dst;
    return sameAddress(d, this.ctx.config.gateway) || (d[0] === 255 && d[1] === 255 && d[2] === 255 && d[3] === 255);
  }

  /** A client message: the UDP datagram of p is len bytes long (header included). */
  input(p: IpPacket, len: number): void {
    const f = p.frame;
    const b = p.l4Off + 8;
    const n = len - 8;
    if (n < BOOTP_FIXED + 4 || f[b] !== 1 || f[b + 1] !== 1 || f[b + 2] !== 6) return this.ctx.count('dhcp-format');
    const magic = be32(f, b + 236);
    if (magic !== MAGIC) return this.ctx.count('dhcp-format');
    let type = 0;
    let requested: Uint8Array | undefined;
    for (let i = b + 240; i < b + n;) {
      const code = f[i];
      if (code === 255) break;
      if (code === 0) {
        i++;
        continue;
      }
      if (i + 1 >= b + n) break;
      const l = u8(f, i + 1);
      if (i + 2 + l > b + n) return this.ctx.count('dhcp-option');
      if (code === 53 && l === 1) type = u8(f, i + 2);
      if (code === 50 && l === 4) requested = f.subarray(i + 2, i + 6);
      i += 2 + l;
    }
    const mac = f.slice(b + 28, b + 34);
    const xid = f.subarray(b + 4, b + 8);
    const ciaddr = f.subarray(b + 12, b + 16);
    const key = formatMac(mac);
    if (type === RELEASE) {
      this.leases.delete(key);
      return;
    }
    const flags = u8(f, b + 10); // the high byte of BOOTP flags: broadcast bit (RFC 2131 2)
    const ip = this.addressFor(key);
    if (!ip) return this.ctx.log.warn({ mac: key }, 'DHCP: no free address for this client (16 leases in use)');
    if (type === DISCOVER) return this.reply(OFFER, xid, mac, ip, flags);
    if (type === REQUEST) {
      const asked = requested ?? (ciaddr.some((x) => x !== 0) ? ciaddr : undefined);
      if (asked && !asked.every((x, i) => x === ip[i])) return this.reply(NAK, xid, mac, new Uint8Array(4), flags);
      this.ctx.log.info({ mac: key, ip: ip.join('.') }, 'DHCP lease');
      return this.reply(ACK, xid, mac, ip, flags);
    }
    if (type === INFORM) return this.reply(ACK, xid, mac, ip, flags);
  }

  private addressFor(mac: string): Uint8Array | undefined {
    const c = this.ctx.config;
    let host = this.leases.get(mac);
    if (host === undefined) {
      const used = new Set(this.leases.values());
      for (let i = 0; i < MAX_CLIENTS; i++) {
        const h = u8(c.guest, 3) + i;
        if (h < 255 && !used.has(h)) {
          host = h;
          break;
        }
      }
      if (host === undefined) return undefined;
      this.leases.set(mac, host);
    }
    const ip = Uint8Array.from(c.guest);
    ip[3] = host;
    return ip;
  }

  private reply(type: number, xid: Uint8Array, mac: Uint8Array, yiaddr: Uint8Array, flags: number): void {
    const c = this.ctx.config;
    const opts: number[] = [53, 1, type, 54, 4, ...c.gateway];
    if (type !== NAK) {
      opts.push(
        1,
        4,
        ...c.netmask,
        51,
        4,
        ...u32(LEASE_SECONDS),
        58,
        4,
        ...u32(LEASE_SECONDS / 2),
        59,
        4,
        ...u32((LEASE_SECONDS * 7) / 8),
        26,
        2,
        c.mtu >>> 8,
        c.mtu & 255,
        28,
        4,
        ...c.broadcast,
      );
      if (!c.restrict) opts.push(3, 4, ...c.gateway, 6, 4, ...c.dns);
    }
    opts.push(255);
    const bootpLen = Math.max(300, 240 + opts.length);
    const l4Len = 8 + bootpLen;
    const { frame, l4Off } = buildIpFrame(mac, c.gatewayMac, c.gateway, new Uint8Array([255, 255, 255, 255]), PROTO_UDP, l4Len);
    frame.fill(0, l4Off);
    frame[l4Off] = 0;
    frame[l4Off + 1] = SERVER_PORT;
    frame[l4Off + 2] = 0;
    frame[l4Off + 3] = CLIENT_PORT;
    frame[l4Off + 4] = l4Len >>> 8;
    frame[l4Off + 5] = l4Len & 255;
    const b = l4Off + 8;
    frame[b] = 2;
    frame[b + 1] = 1;
    frame[b + 2] = 6;
    frame.set(xid, b + 4);
    frame[b + 10] = flags & 0x80;
    frame.set(yiaddr, b + 16);
    frame.set(c.gateway, b + 20);
    frame.set(mac, b + 28);
    frame.set(u32(MAGIC), b + 236);
    frame.set(opts, b + 240);
    finishL4(frame, PROTO_UDP, 6);
    this.ctx.emit(frame);
  }
}

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}
