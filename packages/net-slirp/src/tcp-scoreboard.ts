// The sender's SACK scoreboard (RFC 6675, simplified): byte ranges above SND.UNA that the guest
// reported holding, merged and sorted. Used to resend only the holes during fast recovery and
// to skip held data when going back after a timeout. Bounded to 64 ranges.
import { seqDiff } from './tcp-sequence.ts';

const MAX_RANGES = 64;

export class SackScoreboard {
  private ranges: Array<[number, number]> = [];

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** Adds the blocks of one ACK (pairs in blocks[0..2*count)), ignoring bogus or old ones. */
  update(blocks: number[], count: number, sndUna: number, sndMax: number): void {
    for (let b = 0; b < count; b++) {
      // parseTcp wrote 2 * count entries (TcpSegment.sackCount).
      let l = blocks[2 * b]!;
      const r = blocks[2 * b + 1]!;
      if (seqDiff(r, l) <= 0 || seqDiff(r, sndMax) > 0 || seqDiff(r, sndUna) <= 0) continue;
      if (seqDiff(l, sndUna) < 0) l = sndUna;
      const ranges = this.ranges;
      let i = 0;
      while (i < ranges.length && seqDiff(ranges[i]![1], l) < 0) i++;
      let nl = l;
      let nr = r;
      let j = i;
      for (let next = ranges[j]; next !== undefined && seqDiff(next[0], nr) <= 0; next = ranges[++j]) {
        if (seqDiff(next[0], nl) < 0) nl = next[0];
        if (seqDiff(next[1], nr) > 0) nr = next[1];
      }
      ranges.splice(i, j - i, [nl, nr]);
      if (ranges.length > MAX_RANGES) ranges.pop(); // forget the highest ranges
    }
  }

  /** Forgets what a cumulative ACK up to sndUna now covers. */
  trim(sndUna: number): void {
    let first = this.ranges[0];
    while (first !== undefined && seqDiff(first[1], sndUna) <= 0) {
      this.ranges.shift();
      first = this.ranges[0];
    }
    if (first !== undefined && seqDiff(first[0], sndUna) < 0) first[0] = sndUna;
  }

  sackedBytes(): number {
    let n = 0;
    for (const [l, r] of this.ranges) n += seqDiff(r, l);
    return n;
  }

  /** The end of the held range containing seq, if any. */
  heldUntil(seq: number): number | undefined {
    for (const [l, r] of this.ranges) {
      if (seqDiff(seq, l) < 0) return undefined;
      if (seqDiff(seq, r) < 0) return r;
    }
    return undefined;
  }

  /** The start of the first held range after seq, if any. */
  nextHeld(seq: number): number | undefined {
    for (const [l] of this.ranges) if (seqDiff(l, seq) > 0) return l;
    return undefined;
  }

  /** The first hole at or after seq below the highest held byte: [start, end), if any. */
  nextHole(seq: number): [number, number] | undefined {
    let s = seq;
    for (const [l, r] of this.ranges) {
      if (seqDiff(s, l) < 0) return [s, l];
      if (seqDiff(s, r) < 0) s = r;
    }
    return undefined;
  }

  clear(): void {
    this.ranges = [];
  }
}
