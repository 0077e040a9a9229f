// The one seeded random generator of the tests (fuzzers, random programs, lossy links; the
// fast-check properties have their own, which prints its seed on failure too). xorshift32
// (Marsaglia, "Xorshift RNGs", Journal of Statistical Software 8(14), 2003, the 13/17/5 triple):
// small, and the same stream everywhere, so a seed names a run exactly.
//
// A test takes its seed from testSeed(): COLINUX_TEST_SEED when that is set, else the test's own
// default (a fixed seed, or the clock for a fuzzer that should try something new on every run).
// The seed is printed when the test starts and again, with the command line that repeats the
// run, when it fails.
import { relative } from 'node:path';
import type { Test } from 'tap';

/** The environment variable that fixes the seed of every randomised test. */
export const SEED_ENV = 'COLINUX_TEST_SEED';

export class Random {
  /** The seed this stream started from (never 0: xorshift would stay at 0). */
  readonly seed: number;
  private state: number;

  constructor(seed: number) {
    this.seed = seed >>> 0 || 1;
    this.state = this.seed;
  }

  /** The next value, 0 ≤ x < 2^32. */
  u32(): number {
    let s = this.state;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    this.state = s;
    return s;
  }

  /** An integer 0 ≤ x < n. */
  int(n: number): number {
    return this.u32() % n;
  }

  /** A number 0 ≤ x < 1. */
  fraction(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

/**
 * The seed of this run of test t: COLINUX_TEST_SEED if set, else `fallback` ('clock': from the
 * time of day). Printed now, and on failure with the command that repeats the run.
 */
export function testSeed(t: Test, fallback: number | 'clock'): number {
  const fromEnv = process.env[SEED_ENV];
  let seed: number;
  if (fromEnv !== undefined && fromEnv !== '') {
    seed = Number(fromEnv);
    if (!Number.isInteger(seed) || seed < 1 || seed > 0xffff_ffff) throw new Error(`${SEED_ENV}=${fromEnv}: must be an integer 1..4294967295`);
  } else {
    seed = fallback === 'clock' ? (Date.now() % 0xffff_ffff) >>> 0 || 1 : fallback;
  }
  const again = `${SEED_ENV}=${seed} node_modules/.bin/tap ${relative(process.cwd(), process.argv[1] ?? '')}`;
  t.comment(`seed ${seed}`);
  t.teardown(() => {
    if (!t.passing()) process.stderr.write(`# ${t.name}: seed ${seed}; repeat with ${again}\n`);
  });
  return seed;
}
