// One NATed TCP connection: a real TCP endpoint toward the guest (RFC 9293) glued to a host
// net.Socket. Window scaling (RFC 7323) lets up to RECV_BUFFER bytes be in flight, unlike
// libslirp's 64 KiB cap (libslirp tcp_subr.c); the advertised window is the room left in the host
// socket's write buffer, and the host socket is paused while SEND_BUFFER bytes wait for the
// guest, so memory stays bounded in both directions (caps shrink when many connections are
// open, see TcpNat.bufferCap). The path to an emulated guest can drop frames when its queue
// is full, so loss recovery is complete: SACK both ways (RFC 2018), NewReno fast retransmit
// and recovery driven by SACK (RFC 5681, 6582, 6675), limited and early retransmit
// (RFC 3042, 5827), a tail loss probe (RFC 8985 7), and the RFC 6298 timer as a last resort.
// The file is longer than most because the send and receive halves share all their state.
import type net from 'node:net';
import { ByteQueue } from './byte-queue.ts';
import { ACK, buildReset, buildSegment, FIN, PSH, RST, sackOption, SYN, synOptions, type SegmentAddrs, type TcpSegment } from './tcp-segment.ts';
import { sendToGuest } from './arp.ts';
import type { SlirpContext } from './context.ts';
import { seqDiff } from './tcp-sequence.ts';
import { ReassemblyQueue } from './tcp-reassembly.ts';
import { SackScoreboard } from './tcp-scoreboard.ts';

export const RECV_BUFFER = 4 * 1024 * 1024;
export const SEND_BUFFER = 4 * 1024 * 1024;
export const OUR_WSCALE = 7; // 65535 << 7 = 8 MiB > RECV_BUFFER
const RTO_INITIAL = 1000;
const RTO_MIN = 200;
const RTO_MAX = 60_000;
const MAX_RETRIES = 12;
const SYN_RETRIES = 5;
const CONNECT_TIMEOUT = 30_000;
const OOO_BUFFER = 1024 * 1024;
const PROBE_MIN = 10;

export type TcpState = 'connecting' | 'syn-received' | 'syn-sent' | 'established' | 'closed';

/** What a connection needs of the table it lives in (TcpNat in tcp.ts). */
export interface ConnectionTable {
  readonly ctx: SlirpContext;
  /** The per-connection buffer cap in each direction now (it shrinks as connections are added). */
  bufferCap(full: number): number;
  /** One ACK at the end of the current input batch (delayed ACK). */
  scheduleAck(c: TcpConnection): void;
  /** The connection closed: forget it. */
  remove(c: TcpConnection): void;
}

// The connection's state, one field a line (the way passt's tcp_conn.h lays out its
// struct tcp_tap_conn). Sequence numbers are 32-bit and compared with seqDiff.
export class TcpConnection {
  // ---- identity -----------------------------------------------------------------------------
  /** The table key: guest address|guest port|our address|our port. */
  readonly key: string;
  /** The table this connection lives in: the context, buffer caps, delayed ACKs. */
  readonly table: ConnectionTable;
  /** MACs, addresses and ports of the segments toward the guest. */
  readonly addrs: SegmentAddrs;
  /** The host side of the connection. */
  readonly socket: net.Socket;
  /** Where the handshake stands; 'closed' once the connection has left the table. */
  state: TcpState;
  /** When the connection was made (Date.now() ms). */
  readonly createdAt = Date.now();

  // ---- toward the guest (host data): RFC 9293 3.3.1 send sequence variables, congestion ------
  /** ISS: our initial sequence number, random (RFC 9293 3.4.1). */
  private readonly iss: number;
  /** SND.UNA: the oldest byte the guest has not acknowledged; sendQueue starts here. */
  private sndUna: number;
  /** SND.NXT: the next sequence number to send (it goes back after a timeout). */
  private sndNxt: number;
  /** The highest sequence number sent so far, plus one (snd_max in BSD's tcp_var.h). */
  private sndMax: number;
  /** SND.WND: the guest's receive window in bytes, scaled. */
  private sndWnd = 0;
  /** The guest's window scale shift (RFC 7323 2.2), 0 when it sent none. */
  private sndWscale = 0;
  /** Our segment size toward the guest: its MSS option, bounded by our MTU. */
  private mss = 536;
  /** Host data from sndUna on: first sent and unacknowledged, then not yet sent. */
  private readonly sendQueue = new ByteQueue();
  /** The host ended its side: our FIN follows the queued data. */
  private hostEnded = false;
  /** Our FIN went out (it takes the sequence number after the data). */
  private finSent = false;
  /** The guest acknowledged our FIN. */
  private finAcked = false;
  /** Congestion window in bytes (RFC 5681 2). */
  private cwnd = 0;
  /** Slow start threshold in bytes (RFC 5681 3.1). */
  private ssthresh = Number.MAX_SAFE_INTEGER;
  /** Duplicate ACKs in a row (RFC 5681 3.2). */
  private dupAcks = 0;
  /** In fast recovery (RFC 6582) until `recover` is acknowledged. */
  private inRecovery = false;
  /** sndMax when fast recovery began: the ACK that ends it (RFC 6582 3.2, "recover"). */
  private recover = 0;
  /** Ranges above sndUna the guest reported holding, merged and sorted (SACK, RFC 6675). */
  private readonly sacked = new SackScoreboard();
  /** The next sequence number to consider for a hole retransmission in this recovery. */
  private holeNext = 0;
  /** New segments the first duplicate ACKs let out (limited transmit, RFC 3042): 0 to 2. */
  private limitedTransmit = 0;
  /** Duplicate ACKs since the last hole retransmission; at 8 the hole walk starts over. */
  private dupSinceHole = 0;
  /** The host socket is paused: sendQueue reached its cap. */
  private hostPaused = false;
  /** The host socket's data and end listeners are installed (from the handshake's end on). */
  private reading = false;

  // ---- from the guest: RFC 9293 3.3.1 receive sequence variables ----------------------------
  /** RCV.NXT: the next sequence number expected from the guest. */
  private rcvNxt = 0;
  /** Our window scale shift as announced in the handshake, 0 when not negotiated. */
  private rcvWscale = 0;
  /** The right edge of the window we advertised (RCV.NXT + RCV.WND); it never moves left. */
  private advRight = 0;
  /** The guest sent its FIN: no more data comes. */
  private guestFin = false;
  /** The host socket is corked for this input batch, so its writes go out as one writev. */
  private corked = false;
  /** Guest segments that arrived after a gap, kept until the gap is filled. */
  private readonly ooo = new ReassemblyQueue();
  /** SACK is permitted on this connection (both sides offered it, RFC 2018 2). */
  private sack = false;
  /** An ACK is owed to the guest: at the end of the batch, or on the next segment out. */
  ackPending = false;

  // ---- timers: RFC 6298 retransmission and the tail loss probe -------------------------------
  /** RTO: the retransmission timeout in ms (RFC 6298 2). */
  private rto = RTO_INITIAL;
  /** SRTT: the smoothed round-trip time in ms, 0 before the first sample. */
  private srtt = 0;
  /** RTTVAR: the round-trip time variation in ms. */
  private rttvar = 0;
  /** When the retransmission timer fires (Date.now() ms); 0 when it is not armed. */
  rtoDeadline = 0;
  /** Timeouts in a row without progress; past the limit the connection is aborted. */
  private retries = 0;
  /** The sequence number whose ACK ends the running RTT sample; -1 when none runs. */
  private rttSeq = -1;
  /** When the running RTT sample started (Date.now() ms). */
  private rttStart = 0;
  /** When the tail loss probe fires (RFC 8985 7, Date.now() ms); 0 when it is not armed. */
  probeDeadline = 0;

  constructor(table: ConnectionTable, key: string, addrs: SegmentAddrs, socket: net.Socket, state: TcpState) {
    this.table = table;
    this.key = key;
    this.addrs = addrs;
    this.socket = socket;
    this.state = state;
    this.iss = (Math.random() * 0x100000000) >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    socket.on('error', () => this.abort(true));
    socket.on('close', () => {
      if (this.state !== 'closed' && !(this.hostEnded && this.guestFin)) this.abort(true);
    });
    socket.on('drain', () => {
      if (this.advRight !== 0 && seqDiff(this.advRight, this.rcvNxt) < this.table.bufferCap(RECV_BUFFER) / 2) this.sendAck();
    });
    if (state === 'connecting') this.rtoDeadline = Date.now() + CONNECT_TIMEOUT;
  }

  private get segMax(): number {
    return this.table.ctx.config.mtu - (this.addrs.local.length === 16 ? 60 : 40);
  }

  // ---- handshake -------------------------------------------------------------------------

  /** Guest SYN for an outbound connection: remember its options until the host connects. */
  acceptSyn(seg: TcpSegment): void {
    this.rcvNxt = (seg.seq + 1) >>> 0;
    this.negotiate(seg);
  }

  /** The host connect() succeeded: answer the guest's SYN. */
  hostConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'syn-received';
    this.sendSyn(SYN | ACK);
  }

  /** A host client reached a redirected port: open toward the guest (we are the active side). */
  openToGuest(): void {
    this.socket.pause();
    this.sendSyn(SYN);
  }

  private negotiate(seg: TcpSegment): void {
    const theirs = seg.mss || (this.addrs.local.length === 16 ? 1220 : 536);
    this.mss = Math.max(64, Math.min(theirs, this.segMax));
    if (seg.wscale >= 0) {
      this.sndWscale = seg.wscale;
      this.rcvWscale = OUR_WSCALE;
    }
    this.sack = seg.sackOk;
    this.sndWnd = seg.window; // never scaled in a SYN (RFC 7323 2.2)
    this.cwnd = 10 * this.mss; // RFC 6928 initial window
  }

  private sendSyn(flags: number): void {
    this.sndNxt = (this.iss + 1) >>> 0;
    this.sndMax = this.sndNxt;
    const answer = (flags & ACK) !== 0; // SYN-ACK: only what the guest offered (RFC 7323 1.3, RFC 2018 2)
    const wscale = answer ? (this.rcvWscale ? OUR_WSCALE : -1) : OUR_WSCALE;
    const win = Math.min(65535, RECV_BUFFER);
    this.emit(
      buildSegment(this.addrs, flags, this.iss, answer ? this.rcvNxt : 0, win, synOptions(this.segMax, wscale, answer ? this.sack : true), undefined, 0, 0),
    );
    this.advRight = (this.rcvNxt + win) >>> 0;
    this.rtoDeadline = Date.now() + this.rto;
  }

  // ---- input from the guest ----------------------------------------------------------------

  input(seg: TcpSegment, frame: Uint8Array): void {
    if (seg.flags & RST) return this.guestReset(seg);
    if (this.state === 'syn-sent') {
      if ((seg.flags & (SYN | ACK)) === (SYN | ACK) && seg.ack === (this.iss + 1) >>> 0) {
        this.rcvNxt = (seg.seq + 1) >>> 0;
        this.negotiate(seg);
        if (seg.wscale < 0) this.rcvWscale = 0;
        this.sndUna = seg.ack;
        this.established();
        this.sendAck();
        this.pump();
      } else if (seg.flags & ACK) {
        this.sendReset(seg.ack, 0, false);
      }
      return;
    }
    if (this.state === 'connecting') return; // a retransmitted SYN while the host connects
    if (this.state === 'syn-received') {
      if (seg.flags & SYN) {
        this.sendSyn(SYN | ACK);
        return;
      }
      if (!(seg.flags & ACK) || seg.ack !== (this.iss + 1) >>> 0) return;
      this.sndUna = seg.ack;
      this.sndWnd = seg.window << this.sndWscale;
      this.established();
    }
    if (this.state !== 'established') return;
    if (seg.flags & SYN) {
      this.sendAck();
      return;
    } // RFC 5961 4.2 challenge ACK
    if (!(seg.flags & ACK)) return;
    this.retries = 0;
    this.ackInput(seg);
    if (this.state !== 'established') return;
    this.dataInput(seg, frame);
    this.pump();
    this.maybeFinish();
  }

  private established(): void {
    this.state = 'established';
    this.rtoDeadline = 0;
    this.rto = RTO_INITIAL;
    this.retries = 0;
    if (!this.reading) {
      this.reading = true;
      this.socket.on('data', (chunk: Buffer) => this.hostData(chunk));
      this.socket.on('end', () => {
        this.hostEnded = true;
        this.pump();
        this.maybeFinish();
      });
      this.socket.resume();
    }
  }

  private guestReset(seg: TcpSegment): void {
    // RFC 5961 3.2: only a reset inside the window we advertised is believed.
    if (this.state === 'established' || this.state === 'syn-received') {
      const d = seqDiff(seg.seq, this.rcvNxt);
      if (d < 0 || d > Math.max(1, seqDiff(this.advRight, this.rcvNxt))) return;
    }
    this.table.ctx.count('tcp-reset-by-guest');
    this.close();
    this.socket.resetAndDestroy();
  }

  private ackInput(seg: TcpSegment): void {
    const acked = seqDiff(seg.ack, this.sndUna);
    if (acked < 0) return;
    if (acked > seqDiff(this.sndMax, this.sndUna)) {
      this.sendAck();
      return;
    } // acks what we never sent
    const now = Date.now();
    if (this.sack && seg.sackCount > 0) this.sacked.update(seg.sack, seg.sackCount, this.sndUna, this.sndMax);
    if (acked > 0) {
      const dataAcked = Math.min(acked, this.sendQueue.length);
      if (acked > dataAcked) this.finAcked = true;
      this.sendQueue.consume(dataAcked);
      this.sndUna = seg.ack;
      if (seqDiff(this.sndNxt, this.sndUna) < 0) this.sndNxt = this.sndUna;
      this.sacked.trim(this.sndUna);
      if (this.rttSeq >= 0 && seqDiff(seg.ack, this.rttSeq) >= 0) {
        this.rttSample(now - this.rttStart);
        this.rttSeq = -1;
      }
      if (this.inRecovery && seqDiff(seg.ack, this.recover) < 0) {
        // NewReno partial ACK (RFC 6582 3.2 step 5): the next hole is lost too; resend it now
        // instead of waiting for three more duplicates or the timer.
        if (!this.retransmitHole()) this.retransmitFirst();
        this.cwnd = Math.max(this.mss, this.cwnd - dataAcked + this.mss);
      } else {
        if (this.inRecovery) {
          this.inRecovery = false;
          this.cwnd = this.ssthresh;
        } // full ACK (step 6)
        else if (this.cwnd < this.ssthresh)
          this.cwnd += Math.min(dataAcked, 2 * this.mss); // RFC 3465 L=2
        else this.cwnd += Math.max(1, Math.floor((this.mss * this.mss) / this.cwnd));
        this.dupAcks = 0;
      }
      this.cwnd = Math.min(this.cwnd, 2 * SEND_BUFFER);
      this.limitedTransmit = 0;
      this.probeDeadline = 0;
      this.armProbe(now);
      this.rtoDeadline = this.sndMax !== this.sndUna ? now + this.rto : 0;
      if (this.hostPaused && this.sendQueue.length < this.table.bufferCap(SEND_BUFFER) / 2) {
        this.hostPaused = false;
        this.socket.resume();
      }
    } else if (
      seg.dataLen === 0 &&
      !(seg.flags & FIN) &&
      this.sndMax !== this.sndUna &&
      this.sndWnd > 0 &&
      (seg.sackCount > 0 || seg.window << this.sndWscale === this.sndWnd)
    ) {
      // RFC 5681 3.2: the third duplicate ACK triggers fast retransmit. A duplicate carrying
      // SACK blocks counts even when the window moved (Linux autotunes its receive window),
      // and SACKed data three segments past a hole means loss too (RFC 6675 5 IsLost).
      this.dupAcks++;
      const flight = seqDiff(this.sndMax, this.sndUna);
      const sackedBytes = this.sacked.sackedBytes();
      // Early retransmit (RFC 5827): with fewer than four segments out and nothing new to
      // send, fewer duplicates can ever come, so fewer are enough.
      const segs = Math.ceil(flight / this.mss);
      const unsentData = this.sendQueue.length - Math.min(flight, this.sendQueue.length);
      const threshold = unsentData === 0 && segs < 4 ? Math.max(1, segs - 1) : 3;
      if (!this.inRecovery && this.dupAcks < threshold) this.limitedTransmit = Math.min(this.dupAcks, 2);
      if ((this.dupAcks >= threshold || sackedBytes >= 3 * this.mss) && !this.inRecovery) {
        this.dupAcks = Math.max(this.dupAcks, 3);
        this.limitedTransmit = 0;
        this.inRecovery = true;
        this.probeDeadline = 0;
        this.recover = this.sndMax;
        this.holeNext = this.sndUna;
        this.dupSinceHole = 0;
        this.ssthresh = Math.max(flight >>> 1, 2 * this.mss);
        this.cwnd = this.ssthresh + 3 * this.mss;
        this.table.ctx.count('tcp-fast-retransmit');
        if (!this.retransmitHole()) this.retransmitFirst();
      } else if (this.inRecovery) {
        this.cwnd += this.mss; // window inflation (RFC 6582 3.2 step 4)
        // Each duplicate ACK clocks out one more hole (RFC 6675 5). When every hole has been
        // resent and duplicates keep coming, a retransmission was lost: start over (the
        // RACK idea, RFC 8985, without timestamps) rather than wait for the timer.
        if (this.retransmitHole()) this.dupSinceHole = 0;
        else if (++this.dupSinceHole >= 8) {
          this.dupSinceHole = 0;
          this.holeNext = this.sndUna;
        }
      }
    }
    this.sndWnd = seg.window << this.sndWscale;
  }

  private dataInput(seg: TcpSegment, frame: Uint8Array): void {
    let len = seg.dataLen;
    let off = seg.dataOff;
    const fin = (seg.flags & FIN) !== 0;
    if (len === 0 && !fin) return;
    if (this.guestFin) {
      this.sendAck();
      return;
    }
    const d = seqDiff(this.rcvNxt, seg.seq);
    if (d < 0) {
      this.queueOutOfOrder(seg.seq, frame.subarray(off, off + len), fin);
      this.sendAck(); // duplicate ACK: the guest fast-retransmits the missing segment
      return;
    }
    if (d > 0) {
      if (d >= len + (fin ? 1 : 0)) {
        this.sendAck();
        return;
      } // all old: re-acknowledge
      off += d;
      len -= d;
    }
    this.deliver(frame.subarray(off, off + len), fin);
    let filled = false;
    for (let q = this.ooo.takeReady(this.rcvNxt); q && !this.guestFin; q = this.ooo.takeReady(this.rcvNxt)) {
      const skip = seqDiff(this.rcvNxt, q.seq);
      if (skip > q.data.length || (skip === q.data.length && !q.fin)) continue;
      this.deliver(q.data.subarray(skip), q.fin);
      filled = true;
    }
    if (filled) this.sendAck(); // RFC 5681 4.2: acknowledge at once when a gap is filled
  }

  /** Keeps a segment that arrived ahead of a gap when it lies inside the advertised window. */
  private queueOutOfOrder(seq: number, data: Uint8Array, fin: boolean): void {
    this.table.ctx.count('tcp-out-of-order');
    if (seqDiff(seq, this.rcvNxt) + data.length > seqDiff(this.advRight, this.rcvNxt)) return;
    this.ooo.add({ seq, data, fin }, Math.min(OOO_BUFFER, this.table.bufferCap(RECV_BUFFER) / 4));
  }

  /** Passes in-order guest data to the host, within the window; then the FIN if it came. */
  private deliver(data: Uint8Array, finIn: boolean): void {
    let fin = finIn;
    if (data.length > 0) {
      const room = Math.max(0, seqDiff(this.advRight, this.rcvNxt));
      const take = Math.min(data.length, room);
      if (take < data.length) {
        this.table.ctx.count('tcp-beyond-window');
        fin = false;
      }
      if (take > 0) {
        // Corked until the batch's delayed ACK: the segments of one batch reach the host
        // socket as one writev instead of one syscall per segment.
        if (!this.corked) {
          this.corked = true;
          this.socket.cork();
        }
        this.socket.write(take === data.length ? data : data.subarray(0, take));
        this.rcvNxt = (this.rcvNxt + take) >>> 0;
      }
      this.table.scheduleAck(this);
    }
    if (fin) {
      this.rcvNxt = (this.rcvNxt + 1) >>> 0;
      this.guestFin = true;
      this.ooo.clear();
      this.flushHost();
      this.socket.end(); // half-close toward the host (RFC 9293 3.6)
      this.sendAck();
    }
  }

  private rttSample(r: number): void {
    // RFC 6298 2.2/2.3 with alpha 1/8, beta 1/4.
    if (this.srtt === 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = Math.min(RTO_MAX, Math.max(RTO_MIN, this.srtt + Math.max(10, 4 * this.rttvar)));
  }

  // ---- output toward the guest ------------------------------------------------------------

  private hostData(chunk: Buffer): void {
    this.sendQueue.push(chunk);
    if (this.sendQueue.length >= this.table.bufferCap(SEND_BUFFER) && !this.hostPaused) {
      this.hostPaused = true;
      this.socket.pause();
    }
    this.pump();
  }

  /** Window the guest may still send, in units of our scale; also fixes the right edge. */
  private advertise(): number {
    const room = Math.max(0, this.table.bufferCap(RECV_BUFFER) - this.socket.writableLength);
    const w = Math.min(65535, room >>> this.rcvWscale);
    const right = (this.rcvNxt + (w << this.rcvWscale)) >>> 0;
    if (seqDiff(right, this.advRight) > 0) this.advRight = right; // never shrink (RFC 9293 3.8.6.2.2)
    return w;
  }

  /** End of an input batch: release corked host writes. */
  flushHost(): void {
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  sendAck(): void {
    if (this.state !== 'established' && this.state !== 'syn-received') return;
    this.ackPending = false;
    this.emit(
      buildSegment(
        this.addrs,
        ACK,
        this.sndNxt,
        this.rcvNxt,
        this.advertise(),
        this.sack && this.ooo.length > 0 ? sackOption(this.ooo.sackBlocks()) : undefined,
        undefined,
        0,
        0,
      ),
    );
  }

  private emit(frame: Uint8Array): void {
    sendToGuest(this.table.ctx, frame, this.addrs.remote);
  }

  private sendReset(seq: number, ack: number, withAck: boolean): void {
    this.emit(buildReset(this.addrs, seq, ack, withAck));
  }

  pump(): void {
    if (this.state !== 'established') return;
    const now = Date.now();
    let inFlight = Math.min(seqDiff(this.sndNxt, this.sndUna), this.sendQueue.length);
    let unsent = this.sendQueue.length - inFlight;
    // Limited transmit (RFC 3042): each of the first two duplicate ACKs lets one new segment out.
    const wnd = Math.min(this.sndWnd, this.cwnd + this.limitedTransmit * this.mss);
    while (unsent > 0 && !this.finSent) {
      if (!this.sacked.empty) {
        // After a timeout, go back but skip what the guest reported holding.
        const held = this.sacked.heldUntil(this.sndNxt);
        if (held !== undefined) {
          const skip = Math.min(seqDiff(held, this.sndNxt), unsent);
          this.sndNxt = (this.sndNxt + skip) >>> 0;
          inFlight += skip;
          unsent -= skip;
          continue;
        }
      }
      let room = wnd - inFlight;
      if (room <= 0) {
        if (this.sndWnd === 0 && inFlight === 0)
          room = 1; // zero-window probe (RFC 9293 3.8.6.1)
        else break;
      }
      let len = Math.min(this.mss, unsent, room);
      if (!this.sacked.empty) {
        const next = this.sacked.nextHeld(this.sndNxt);
        if (next !== undefined) len = Math.min(len, seqDiff(next, this.sndNxt));
      }
      if (len < this.mss && len < unsent && inFlight > 0) break; // no silly-window segments
      const flags = ACK | (len === unsent ? PSH : 0);
      this.ackPending = false;
      this.emit(buildSegment(this.addrs, flags, this.sndNxt, this.rcvNxt, this.advertise(), undefined, this.sendQueue, inFlight, len));
      if (this.rttSeq < 0 && this.sndNxt === this.sndMax) {
        this.rttSeq = (this.sndNxt + len) >>> 0;
        this.rttStart = now;
      }
      this.sndNxt = (this.sndNxt + len) >>> 0;
      if (seqDiff(this.sndNxt, this.sndMax) > 0) this.sndMax = this.sndNxt;
      inFlight += len;
      unsent -= len;
    }
    if (unsent === 0 && this.hostEnded && !this.finSent) {
      this.finSent = true;
      this.ackPending = false;
      this.emit(buildSegment(this.addrs, FIN | ACK, this.sndNxt, this.rcvNxt, this.advertise(), undefined, undefined, 0, 0));
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      if (seqDiff(this.sndNxt, this.sndMax) > 0) this.sndMax = this.sndNxt;
    }
    if (this.sndMax !== this.sndUna && this.rtoDeadline === 0) this.rtoDeadline = now + this.rto;
    this.armProbe(now);
    if (this.ackPending) this.sendAck();
  }

  /** Tail loss probe (RFC 8985 7): if nothing is acknowledged for about two round trips, the
   *  last segment is sent again so the guest answers with a duplicate ACK or SACK and fast
   *  recovery starts, instead of waiting for the retransmission timer. */
  private armProbe(now: number): void {
    if (this.probeDeadline === 0 && !this.inRecovery && this.sndMax !== this.sndUna) {
      this.probeDeadline = now + Math.max(PROBE_MIN, 2 * this.srtt);
    }
  }

  probe(): void {
    this.probeDeadline = 0;
    if (this.state !== 'established' || this.inRecovery || this.sndMax === this.sndUna) return;
    this.table.ctx.count('tcp-loss-probe');
    const dataOut = Math.min(seqDiff(this.sndMax, this.sndUna), this.sendQueue.length);
    if (this.finSent && seqDiff(this.sndMax, this.sndUna) > dataOut) {
      this.emit(buildSegment(this.addrs, FIN | ACK, (this.sndMax - 1) >>> 0, this.rcvNxt, this.advertise(), undefined, undefined, 0, 0));
      return;
    }
    const len = Math.min(this.mss, dataOut);
    if (len <= 0) return;
    this.rttSeq = -1;
    this.emit(buildSegment(this.addrs, ACK, (this.sndUna + dataOut - len) >>> 0, this.rcvNxt, this.advertise(), undefined, this.sendQueue, dataOut - len, len));
  }

  /** Retransmits one segment of the next hole below the highest SACKed byte; false when the
   *  guest reported nothing (or no hole is left). */
  private retransmitHole(): boolean {
    if (this.sacked.empty) return false;
    const hole = this.sacked.nextHole(seqDiff(this.holeNext, this.sndUna) > 0 ? this.holeNext : this.sndUna);
    if (!hole) return false;
    const [seq, end] = hole;
    const off = seqDiff(seq, this.sndUna);
    const len = Math.min(this.mss, seqDiff(end, seq), this.sendQueue.length - off);
    if (len <= 0) return false;
    this.rttSeq = -1;
    this.emit(buildSegment(this.addrs, ACK, seq, this.rcvNxt, this.advertise(), undefined, this.sendQueue, off, len));
    this.holeNext = (seq + len) >>> 0;
    return true;
  }

  private retransmitFirst(): void {
    const len = Math.min(this.mss, this.sendQueue.length);
    this.rttSeq = -1; // Karn's algorithm: no RTT sample from a retransmission
    if (len > 0) {
      this.emit(buildSegment(this.addrs, ACK, this.sndUna, this.rcvNxt, this.advertise(), undefined, this.sendQueue, 0, len));
    } else if (this.finSent && !this.finAcked) {
      this.emit(buildSegment(this.addrs, FIN | ACK, this.sndUna, this.rcvNxt, this.advertise(), undefined, undefined, 0, 0));
    }
  }

  /** Called from the stack's timer when rtoDeadline has passed. */
  timeout(now: number): void {
    this.rtoDeadline = 0;
    this.probeDeadline = 0;
    this.retries++;
    if (this.state === 'connecting') {
      this.abort(true);
      return;
    }
    const limit = this.state === 'established' ? MAX_RETRIES : SYN_RETRIES;
    if (this.retries > limit) {
      this.abort(true);
      return;
    }
    this.rto = Math.min(RTO_MAX, this.rto * 2); // RFC 6298 5.5
    if (this.state === 'syn-sent') {
      this.sendSyn(SYN);
      return;
    }
    if (this.state === 'syn-received') {
      this.sendSyn(SYN | ACK);
      return;
    }
    if (this.state !== 'established') return;
    this.table.ctx.count('tcp-retransmit-timeout');
    // RFC 5681 (4): one segment after a timeout; go back to the first unacknowledged byte.
    const flight = seqDiff(this.sndMax, this.sndUna);
    this.ssthresh = Math.max(flight >>> 1, 2 * this.mss);
    this.cwnd = this.mss;
    this.dupAcks = 0;
    this.inRecovery = false;
    this.limitedTransmit = 0;
    // RFC 2018 8: a receiver may renege on SACKed data; trust the scoreboard for one timeout
    // (skipping what the guest holds), forget it if the timeout repeats.
    if (this.retries >= 2) this.sacked.clear();
    this.rttSeq = -1;
    this.sndNxt = this.sndUna;
    if (!this.finAcked) this.finSent = false;
    this.pump();
    if (this.rtoDeadline === 0 && this.sndMax !== this.sndUna) this.rtoDeadline = now + this.rto;
  }

  private maybeFinish(): void {
    if (this.guestFin && this.finAcked) this.close();
  }

  /** Ends the connection; with reset, tells the guest (RST) and drops the host socket. */
  abort(reset: boolean): void {
    if (this.state === 'closed') return;
    if (reset && this.state !== 'syn-sent') this.sendReset(this.sndNxt, this.rcvNxt, true);
    if (reset && this.state === 'syn-sent') this.sendReset((this.iss + 1) >>> 0, 0, false);
    this.close();
    this.socket.destroy();
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.rtoDeadline = 0;
    this.sendQueue.clear();
    this.ooo.clear();
    this.sacked.clear();
    this.table.remove(this);
  }

  describe(): Record<string, unknown> {
    return {
      key: this.key,
      state: this.state,
      toGuestQueued: this.sendQueue.length,
      toHostBuffered: this.socket.writableLength,
      hostPaused: this.hostPaused,
      cwnd: this.cwnd,
      sndWnd: this.sndWnd,
      rto: this.rto,
      rcvNxt: this.rcvNxt,
      advRight: this.advRight,
      outOfOrder: this.ooo.length,
      firstOutOfOrder: this.ooo.firstSeq,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndMax: this.sndMax,
      guestFin: this.guestFin,
      hostEnded: this.hostEnded,
      finSent: this.finSent,
    };
  }
}
