// TCP header (RFC 9293 3.1) parsing and segment building. Options understood: MSS (RFC 9293
// 3.7.1), window scale (RFC 7323 2), SACK-permitted and SACK (RFC 2018). We send SACK blocks
// as a receiver and use the guest's as a sender, so either side recovers several losses per
// window without timeouts. Timestamps are not offered.
import { buildIpFrame, finishL4, PROTO_TCP } from './ip.ts';
import type { ByteQueue } from './byte-queue.ts';
import { be16, be32, u8 } from './bytes.ts';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpSegment {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  dataOff: number;
  dataLen: number;
  mss: number; // 0 when absent
  wscale: number; // -1 when absent
  sackOk: boolean; // SACK-permitted in a SYN
  sackCount: number; // SACK blocks in this segment
  sack: number[]; // left, right pairs (reused between segments)
}

/** Parses the header at off (segment length len); returns a reason string when malformed. */
export function parseTcp(f: Uint8Array, off: number, len: number, out: TcpSegment): string | undefined {
  if (len < 20) return 'tcp-short';
  const hl = (u8(f, off + 12) >>> 4) * 4;
  if (hl < 20 || hl > len) return 'tcp-header-length';
  out.sport = be16(f, off);
  out.dport = be16(f, off + 2);
  out.seq = be32(f, off + 4);
  out.ack = be32(f, off + 8);
  out.flags = u8(f, off + 13) & 0x3f;
  out.window = be16(f, off + 14);
  out.dataOff = off + hl;
  out.dataLen = len - hl;
  out.mss = 0;
  out.wscale = -1;
  out.sackOk = false;
  out.sackCount = 0;
  if (hl > 20) {
    for (let i = off + 20; i < off + hl;) {
      const kind = u8(f, i);
      if (kind === 0) break;
      if (kind === 1) {
        i++;
        continue;
      }
      if (i + 1 >= off + hl) return 'tcp-option';
      const l = u8(f, i + 1);
      if (l < 2 || i + l > off + hl) return 'tcp-option';
      if (kind === 2 && l === 4) out.mss = be16(f, i + 2);
      if (kind === 3 && l === 3) out.wscale = Math.min(u8(f, i + 2), 14); // RFC 7323 2.3: cap at 14
      if (kind === 4 && l === 2) out.sackOk = true;
      if (kind === 5 && l >= 10 && (l - 2) % 8 === 0) {
        out.sackCount = Math.min(4, (l - 2) / 8);
        for (let b = 0; b < out.sackCount; b++) {
          const at = i + 2 + 8 * b;
          out.sack[2 * b] = be32(f, at);
          out.sack[2 * b + 1] = be32(f, at + 4);
        }
      }
      i += l;
    }
  }
  return undefined;
}

export interface SegmentAddrs {
  mac: Uint8Array;
  ourMac: Uint8Array;
  local: Uint8Array;
  localPort: number; // our side as the guest sees it
  remote: Uint8Array;
  remotePort: number; // the guest
}

/** SYN options: MSS, then window scale and SACK-permitted when wanted, NOP-padded to 32 bits. */
export function synOptions(mss: number, wscale: number, sack: boolean): number[] {
  const o = [2, 4, mss >>> 8, mss & 255];
  if (wscale >= 0) o.push(1, 3, 3, wscale);
  if (sack) o.push(1, 1, 4, 2);
  return o;
}

/** SACK option (RFC 2018 3) for up to 4 blocks [left, right), NOP-padded to 32 bits. */
export function sackOption(blocks: Array<[number, number]>): number[] {
  const o = [1, 1, 5, 2 + 8 * blocks.length];
  for (const [l, r] of blocks) o.push(l >>> 24, (l >>> 16) & 255, (l >>> 8) & 255, l & 255, r >>> 24, (r >>> 16) & 255, (r >>> 8) & 255, r & 255);
  return o;
}

/** Builds and returns one frame. Options are raw bytes (a multiple of 4); data, when len > 0,
 *  is copied from queue at offset. */
export function buildSegment(
  a: SegmentAddrs,
  flags: number,
  seq: number,
  ack: number,
  window: number,
  options: number[] | undefined,
  queue: ByteQueue | undefined,
  offset: number,
  len: number,
): Uint8Array {
  const optLen = options ? options.length : 0;
  const hl = 20 + optLen;
  const { frame, l4Off: o } = buildIpFrame(a.mac, a.ourMac, a.local, a.remote, PROTO_TCP, hl + len);
  frame[o] = a.localPort >>> 8;
  frame[o + 1] = a.localPort & 255;
  frame[o + 2] = a.remotePort >>> 8;
  frame[o + 3] = a.remotePort & 255;
  frame[o + 4] = seq >>> 24;
  frame[o + 5] = (seq >>> 16) & 255;
  frame[o + 6] = (seq >>> 8) & 255;
  frame[o + 7] = seq & 255;
  frame[o + 8] = ack >>> 24;
  frame[o + 9] = (ack >>> 16) & 255;
  frame[o + 10] = (ack >>> 8) & 255;
  frame[o + 11] = ack & 255;
  frame[o + 12] = (hl / 4) << 4;
  frame[o + 13] = flags;
  frame[o + 14] = window >>> 8;
  frame[o + 15] = window & 255;
  frame[o + 16] = 0;
  frame[o + 17] = 0;
  frame[o + 18] = 0;
  frame[o + 19] = 0;
  if (options) frame.set(options, o + 20);
  if (len > 0 && queue) queue.copyOut(offset, len, frame, o + hl);
  finishL4(frame, PROTO_TCP, 16);
  return frame;
}

/** A reset (RFC 9293 3.10.7): with withAck it also acknowledges ack. */
export function buildReset(a: SegmentAddrs, seq: number, ack: number, withAck: boolean): Uint8Array {
  return buildSegment(a, RST | (withAck ? ACK : 0), seq, withAck ? ack : 0, 0, undefined, undefined, 0, 0);
}
