// Guest data that arrived after a gap (RFC 9293 3.10.7.4 allows keeping or dropping it). Kept
// segments are delivered once the gap fills and are reported to the guest as SACK blocks
// (RFC 2018), so a lost frame costs one retransmission, not a window. Bounded in bytes and
// segments; what does not fit is dropped and simply resent by the guest later.
import { seqDiff } from './tcp-sequence.ts';

export interface HeldSegment {
  seq: number;
  data: Uint8Array;
  fin: boolean;
}

const MAX_SEGMENTS = 512;

export class ReassemblyQueue {
  private segments: HeldSegment[] = [];
  private bytes = 0;
  private lastArrival = 0;

  get length(): number {
    return this.segments.length;
  }
  get firstSeq(): number | undefined {
    return this.segments[0]?.seq;
  }

  /** Keeps a segment when it fits the byte budget; sorted by sequence, exact repeats ignored. */
  add(seg: HeldSegment, budget: number): void {
    if (this.bytes + seg.data.length > budget || this.segments.length >= MAX_SEGMENTS) return;
    let i = this.segments.length;
    while (i > 0 && seqDiff(this.segments[i - 1]!.seq, seg.seq) > 0) i--;
    const prev = this.segments[i - 1];
    if (prev && prev.seq === seg.seq && prev.data.length >= seg.data.length) return;
    this.segments.splice(i, 0, seg);
    this.bytes += seg.data.length;
    this.lastArrival = seg.seq;
  }

  /** Removes and returns the first held segment when it starts at or before rcvNxt. */
  takeReady(rcvNxt: number): HeldSegment | undefined {
    const first = this.segments[0];
    if (!first || seqDiff(first.seq, rcvNxt) > 0) return undefined;
    this.segments.shift();
    this.bytes -= first.data.length;
    return first;
  }

  /** Up to 4 blocks [left, right) of held data, the block of the latest arrival first
   *  (RFC 2018 4). */
  sackBlocks(): Array<[number, number]> {
    const blocks: Array<[number, number]> = [];
    for (const q of this.segments) {
      const end = (q.seq + q.data.length) >>> 0;
      const last = blocks[blocks.length - 1];
      if (last && seqDiff(q.seq, last[1]) <= 0) {
        if (seqDiff(end, last[1]) > 0) last[1] = end;
      } else blocks.push([q.seq, end]);
    }
    const latest = blocks.findIndex(([l, r]) => seqDiff(this.lastArrival, l) >= 0 && seqDiff(this.lastArrival, r) < 0);
    if (latest > 0) blocks.unshift(...blocks.splice(latest, 1));
    return blocks.slice(0, 4);
  }

  clear(): void {
    this.segments = [];
    this.bytes = 0;
  }
}
