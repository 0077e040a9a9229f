// TCP header (RFC 9293 3.1) parsing and segment building. Options understood: MSS (RFC 9293
// 3.7.1) and window scale (RFC 7323 2); SACK and timestamps are not offered, so the guest
// never sends them on our connections.
import { buildIpFrame, finishL4, PROTO_TCP } from './ip.ts';
import type { ByteQueue } from './byte-queue.ts';

export const FIN = 0x01; export const SYN = 0x02; export const RST = 0x04;
export const PSH = 0x08; export const ACK = 0x10;

export interface TcpSegment {
  sport: number; dport: number; seq: number; ack: number; flags: number; window: number;
  dataOff: number; dataLen: number;
  mss: number;     // 0 when absent
  wscale: number;  // -1 when absent
}

/** Parses the header at off (segment length len); returns a reason string when malformed. */
export function parseTcp(f: Uint8Array, off: number, len: number, out: TcpSegment): string | undefined {
  if (len < 20) return 'tcp-short';
  const hl = (f[off + 12] >>> 4) * 4;
  if (hl < 20 || hl > len) return 'tcp-header-length';
  out.sport = (f[off] << 8) | f[off + 1];
  out.dport = (f[off + 2] << 8) | f[off + 3];
  out.seq = ((f[off + 4] << 24) | (f[off + 5] << 16) | (f[off + 6] << 8) | f[off + 7]) >>> 0;
  out.ack = ((f[off + 8] << 24) | (f[off + 9] << 16) | (f[off + 10] << 8) | f[off + 11]) >>> 0;
  out.flags = f[off + 13] & 0x3f;
  out.window = (f[off + 14] << 8) | f[off + 15];
  out.dataOff = off + hl;
  out.dataLen = len - hl;
  out.mss = 0;
  out.wscale = -1;
  if (hl > 20 && (out.flags & SYN)) {
    for (let i = off + 20; i < off + hl;) {
      const kind = f[i];
      if (kind === 0) break;
      if (kind === 1) { i++; continue; }
      if (i + 1 >= off + hl) return 'tcp-option';
      const l = f[i + 1];
      if (l < 2 || i + l > off + hl) return 'tcp-option';
      if (kind === 2 && l === 4) out.mss = (f[i + 2] << 8) | f[i + 3];
      if (kind === 3 && l === 3) out.wscale = Math.min(f[i + 2], 14); // RFC 7323 2.3: cap at 14
      i += l;
    }
  }
  return undefined;
}

export interface SegmentAddrs {
  mac: Uint8Array; ourMac: Uint8Array;
  local: Uint8Array; localPort: number;   // our side as the guest sees it
  remote: Uint8Array; remotePort: number; // the guest
}

/** Builds and returns one frame. Data, when len > 0, is copied from queue at offset. */
export function buildSegment(a: SegmentAddrs, flags: number, seq: number, ack: number, window: number,
  synOpts: { mss: number; wscale: number } | undefined, queue: ByteQueue | undefined, offset: number, len: number): Uint8Array {
  const optLen = synOpts ? (synOpts.wscale >= 0 ? 8 : 4) : 0;
  const hl = 20 + optLen;
  const { frame, l4Off: o } = buildIpFrame(a.mac, a.ourMac, a.local, a.remote, PROTO_TCP, hl + len);
  frame[o] = a.localPort >>> 8; frame[o + 1] = a.localPort & 255;
  frame[o + 2] = a.remotePort >>> 8; frame[o + 3] = a.remotePort & 255;
  frame[o + 4] = seq >>> 24; frame[o + 5] = (seq >>> 16) & 255; frame[o + 6] = (seq >>> 8) & 255; frame[o + 7] = seq & 255;
  frame[o + 8] = ack >>> 24; frame[o + 9] = (ack >>> 16) & 255; frame[o + 10] = (ack >>> 8) & 255; frame[o + 11] = ack & 255;
  frame[o + 12] = (hl / 4) << 4; frame[o + 13] = flags;
  frame[o + 14] = window >>> 8; frame[o + 15] = window & 255;
  frame[o + 16] = 0; frame[o + 17] = 0; frame[o + 18] = 0; frame[o + 19] = 0;
  if (synOpts) {
    frame[o + 20] = 2; frame[o + 21] = 4; frame[o + 22] = synOpts.mss >>> 8; frame[o + 23] = synOpts.mss & 255;
    if (synOpts.wscale >= 0) { frame[o + 24] = 1; frame[o + 25] = 3; frame[o + 26] = 3; frame[o + 27] = synOpts.wscale; }
  }
  if (len > 0 && queue) queue.copyOut(offset, len, frame, o + hl);
  finishL4(frame, PROTO_TCP, 16);
  return frame;
}
