// The TCP connection table: demultiplexes guest segments, opens host connections for guest
// SYNs (after the host connect succeeds, like libslirp, so a refused port is a guest RST),
// opens guest connections for redirected host clients, and answers everything else with RST
// (RFC 9293 3.10.7.1). Half-open connections and the table are capped (SYN floods).
import net from 'node:net';
import { l4ChecksumOk, type IpPacket } from './ip.ts';
import { formatIp } from './address.ts';
import { ACK, buildReset, parseTcp, RST, SYN, type SegmentAddrs, type TcpSegment } from './tcp-segment.ts';
import { TcpConnection, type ConnectionTable } from './tcp-connection.ts';
import { sendToGuest } from './arp.ts';
import type { SlirpContext } from './context.ts';

const MAX_HALF_OPEN = 128;
/** All connections together buffer at most this much per direction (the per-connection caps
 *  shrink as connections are added, down to a floor), so memory stays bounded with a full
 *  table too. */
const TOTAL_BUFFER = 256 * 1024 * 1024;
const MIN_CONNECTION_BUFFER = 256 * 1024;
const EPHEMERAL_FIRST = 49152;

export class TcpNat implements ConnectionTable {
  readonly ctx: SlirpContext;
  private readonly conns = new Map<string, TcpConnection>();
  private readonly ackQueue = new Set<TcpConnection>();
  private ackScheduled = false;
  private halfOpen = 0;
  private nextPort = EPHEMERAL_FIRST;
  private readonly seg: TcpSegment = {
    sport: 0,
    dport: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    dataOff: 0,
    dataLen: 0,
    mss: 0,
    wscale: -1,
    sackOk: false,
    sackCount: 0,
    sack: [0, 0, 0, 0, 0, 0, 0, 0],
  };

  constructor(ctx: SlirpContext) {
    this.ctx = ctx;
  }

  get size(): number {
    return this.conns.size;
  }

  /** Per-connection buffer cap in each direction right now. */
  bufferCap(full: number): number {
    return Math.min(full, Math.max(MIN_CONNECTION_BUFFER, Math.floor(TOTAL_BUFFER / Math.max(1, this.conns.size))));
  }

  input(p: IpPacket): void {
    const seg = this.seg;
    const bad = parseTcp(p.frame, p.l4Off, p.l4Len, seg);
    if (bad) return this.ctx.count(bad);
    if (!l4ChecksumOk(p)) return this.ctx.count('tcp-checksum');
    if (seg.sport === 0 || seg.dport === 0) return this.ctx.count('tcp-port-zero'); // reserved (RFC 6335 6)
    const key = `${formatIp(p.src)}|${seg.sport}|${formatIp(p.dst)}|${seg.dport}`;
    const conn = this.conns.get(key);
    if (conn) {
      conn.input(seg, p.frame);
      return;
    }
    const addrs = this.addrsFor(p, seg);
    if (seg.flags & RST) return;
    if ((seg.flags & (SYN | ACK)) !== SYN) {
      this.ctx.count('tcp-no-connection');
      return this.sendReset(
        addrs,
        seg.flags & ACK ? seg.ack : 0,
        (seg.seq + seg.dataLen + (seg.flags & SYN ? 1 : 0) + (seg.flags & 1)) >>> 0,
        !(seg.flags & ACK),
      );
    }
    const target = this.ctx.mapOutbound(p.dst, seg.dport);
    if (!target) {
      this.ctx.count('tcp-refused');
      return this.sendReset(addrs, 0, (seg.seq + 1) >>> 0, true);
    }
    if (this.halfOpen >= MAX_HALF_OPEN) return this.ctx.count('tcp-connects-pending');
    if (this.conns.size >= this.ctx.config.maxTcpConnections && !this.evictHalfOpen()) {
      return this.ctx.count('tcp-table-full');
    }
    const socket = new net.Socket({ allowHalfOpen: true });
    const c = new TcpConnection(this, key, addrs, socket, 'connecting');
    c.acceptSyn(seg);
    this.conns.set(key, c);
    this.halfOpen++;
    let counted = true;
    const settle = (): void => {
      if (counted) {
        counted = false;
        this.halfOpen--;
      }
    };
    socket.once('connect', () => {
      settle();
      socket.setNoDelay(true);
      socket.pause();
      c.hostConnected();
    });
    socket.once('close', settle);
    socket.connect({ host: target.host, port: target.port });
  }

  /** SYN flood defence: a full table gives up its oldest connection that never completed the
   *  handshake (the map iterates in insertion order), so real connections still get in. */
  private evictHalfOpen(): boolean {
    for (const c of this.conns.values()) {
      if (c.state === 'syn-received') {
        this.ctx.count('tcp-half-open-evicted');
        c.abort(true);
        return true;
      }
    }
    return false;
  }

  /** A host client connected to a redirected port: connect it to the guest's port. */
  redirect(socket: net.Socket, guest: Uint8Array, guestPort: number): void {
    if (this.conns.size >= this.ctx.config.maxTcpConnections) {
      socket.destroy();
      return;
    }
    const local = guest.length === 16 ? this.ctx.config.gateway6 : this.ctx.config.gateway;
    for (let i = 0; i < 16384; i++) {
      const port = this.nextPort;
      this.nextPort = this.nextPort >= 65535 ? EPHEMERAL_FIRST : this.nextPort + 1;
      const key = `${formatIp(guest)}|${guestPort}|${formatIp(local)}|${port}`;
      if (!this.conns.has(key)) {
        socket.setNoDelay(true);
        const addrs: SegmentAddrs = {
          mac: this.ctx.guestMac ?? new Uint8Array(6),
          ourMac: this.ctx.config.gatewayMac,
          local,
          localPort: port,
          remote: Uint8Array.from(guest),
          remotePort: guestPort,
        };
        const c = new TcpConnection(this, key, addrs, socket, 'syn-sent');
        this.conns.set(key, c);
        c.openToGuest();
        return;
      }
    }
    socket.destroy();
  }

  private addrsFor(p: IpPacket, seg: TcpSegment): SegmentAddrs {
    return {
      mac: this.ctx.guestMac ?? new Uint8Array(6),
      ourMac: this.ctx.config.gatewayMac,
      local: Uint8Array.from(p.dst),
      localPort: seg.dport,
      remote: Uint8Array.from(p.src),
      remotePort: seg.sport,
    };
  }

  private sendReset(a: SegmentAddrs, seq: number, ack: number, withAck: boolean): void {
    sendToGuest(this.ctx, buildReset(a, seq, ack, withAck), a.remote);
  }

  /** Delayed ACK: one ACK per connection per batch of input frames (RFC 9293 3.8.6.3 allows
   *  acknowledging every second full segment; a batch is at least that). */
  scheduleAck(c: TcpConnection): void {
    c.ackPending = true;
    this.ackQueue.add(c);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => this.flushAcks());
    }
  }

  private flushAcks(): void {
    this.ackScheduled = false;
    for (const c of this.ackQueue) {
      c.flushHost();
      if (c.ackPending) c.sendAck();
    }
    this.ackQueue.clear();
  }

  remove(c: TcpConnection): void {
    if (this.conns.get(c.key) === c) this.conns.delete(c.key);
    this.ackQueue.delete(c);
  }

  tick(now: number): void {
    for (const c of this.conns.values()) {
      if (c.rtoDeadline !== 0 && now >= c.rtoDeadline) c.timeout(now);
      else if (c.probeDeadline !== 0 && now >= c.probeDeadline) c.probe();
    }
  }

  closeAll(): void {
    for (const c of [...this.conns.values()]) c.abort(false);
  }

  describe(): Record<string, unknown>[] {
    return [...this.conns.values()].map((c) => c.describe());
  }
}
