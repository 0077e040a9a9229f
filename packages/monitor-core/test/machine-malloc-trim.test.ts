// The machine worker's trim of the C heap while the guest idles (machine/malloc-trim.ts): when
// it trims, and that a trim really gives glibc's free pages back to the kernel.

import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { IdleTrim, TRIM_AFTER_COMPILE_MS, releaseFreeMemory } from '../src/machine/malloc-trim.ts';

t.test('a trim comes at the first idle moment after a burst of compiles has been over for a while, once', async (t) => {
  let trims = 0;
  const trim = new IdleTrim(() => trims++);
  trim.idle(10_000);
  t.equal(trims, 0, 'nothing compiled yet: nothing to trim');
  trim.compiled(5, 10_000);
  trim.compiled(5, 10_500); // this slice compiled nothing
  trim.idle(10_000 + TRIM_AFTER_COMPILE_MS - 1);
  t.equal(trims, 0, 'too soon after the last compile');
  trim.compiled(7, 10_900);
  trim.idle(10_000 + TRIM_AFTER_COMPILE_MS + 50);
  t.equal(trims, 0, 'a later compile restarts the wait');
  trim.idle(10_900 + TRIM_AFTER_COMPILE_MS);
  t.equal(trims, 1, 'idle long enough after the last compile');
  trim.idle(20_000);
  t.equal(trims, 1, 'once per burst');
  trim.compiled(8, 30_000);
  trim.idle(30_000 + TRIM_AFTER_COMPILE_MS);
  t.equal(trims, 2, 'the next burst is trimmed again');
});

t.test('malloc_trim gives back free pages in the middle of the heap', async (t) => {
  if (process.platform !== 'linux' || releaseFreeMemory() < 0) {
    t.fail('glibc malloc_trim is not available');
    return;
  }
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // 64 KiB buffers come from malloc's heap (below its 128 KiB mmap threshold); freeing every
  // other one leaves free chunks between live ones, which free() itself never gives back.
  const CHUNK = 64 * 1024;
  const kept: ArrayBuffer[] = [];
  let dropped: ArrayBuffer[] = [];
  for (let i = 0; i < 1024; i++) {
    const b = new ArrayBuffer(CHUNK);
    new Uint8Array(b).fill(1); // resident
    (i % 2 ? kept : dropped).push(b);
  }
  dropped = [];
  // V8 frees dead buffers' memory on a background thread after a full GC; the next full GC
  // waits for that sweep to finish.
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const before = process.memoryUsage.rss();
  releaseFreeMemory();
  const after = process.memoryUsage.rss();
  t.ok(kept.length === 512 && dropped.length === 0);
  // 512 × 64 KiB = 32 MiB were freed.
  t.ok(before - after > 16 * 2 ** 20, `RSS ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB`);
});
