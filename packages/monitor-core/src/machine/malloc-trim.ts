// Hands the C heap's free pages back to the kernel while the guest idles (docs/manager.md
// "Memory"). Compiling translated code (hart.ts jitCompile: the module's bytes, V8's
// compile zones on its background threads) allocates and frees megabytes through glibc's malloc;
// what is freed stays resident in its arenas until a trim. glibc trims only the top of a heap by
// itself (M_TRIM_THRESHOLD); malloc_trim(3) also gives back every free page in the middle of
// every arena (glibc >= 2.8, madvise MADV_DONTNEED). Doing it all the time (a low
// MALLOC_TRIM_THRESHOLD_ or MALLOC_MMAP_THRESHOLD_) cost fork/exec 7-10 % CPU (bench/RESULTS.md):
// pages given back while the guest works are faulted in again at once. So only once the guest
// has gone idle, some time after the last compile.
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

/** A trim waits for this long without a compile, so that a burst of compiles is over. */
export const TRIM_AFTER_COMPILE_MS = 1000;

type Trim = (pad: number) => number;
let trim: Trim | null | undefined;

/** glibc's malloc_trim, or null where there is none (another C library). Loaded on first use. */
function loadTrim(): Trim | null {
  if (trim !== undefined) return trim;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as Trim;
  } catch {
    trim = null;
  }
  return trim;
}

/** malloc_trim(0): 1 when pages were given back, 0 when there were none, -1 without glibc. */
export function releaseFreeMemory(): number {
  const fn = loadTrim();
  return fn ? fn(0) : -1;
}

/**
 * Decides when to trim: `compiled(ms)` is told the hart's total compile time after each run
 * slice, `idle(now)` when the guest waits for an interrupt; a trim happens at the first idle
 * moment TRIM_AFTER_COMPILE_MS after the last slice that compiled anything, once per such burst.
 */
export class IdleTrim {
  private compileMs = 0;
  private lastCompileAt = 0;
  private pending = false;
  private readonly release: () => void;

  /** `release`: what a trim does (by default glibc's malloc_trim(0)). */
  constructor(release: () => void = releaseFreeMemory) {
    this.release = release;
  }

  compiled(totalCompileMs: number, now: number): void {
    if (totalCompileMs === this.compileMs) return;
    this.compileMs = totalCompileMs;
    this.lastCompileAt = now;
    this.pending = true;
  }

  idle(now: number): void {
    if (!this.pending || now - this.lastCompileAt < TRIM_AFTER_COMPILE_MS) return;
    this.pending = false;
    this.release();
  }
}
