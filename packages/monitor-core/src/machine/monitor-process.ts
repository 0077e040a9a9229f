// What a monitor's Node process and its machine worker run with, in one place: the manager starts
// monitor processes (manager/registry.ts) and their workers (manager/monitor.ts) with these, and
// the developer tool the benchmarks measure the machine through (tools/boot-direct.ts, started
// by bench/guest-process.ts) does the same, so that the benches' memory figures are a monitor's.
// Why each: docs/manager.md "Memory"; measured in bench/RESULTS.md.

/** Environment added to a monitor process's (the caller's own environment wins). glibc gives
 *  each thread that allocates (the machine worker, V8's and libuv's helper threads: the
 *  translator's modules are compiled on the latter) a malloc arena of its own (mallopt(3)
 *  M_ARENA_MAX), and what one arena frees no other reuses: 45-50 MB resident per monitor process
 *  by default, 18 MB with 2 ("One process per monitor"); with 1, 7-8 MiB less again than with 2
 *  after the bundled guest ran fork/exec, find and gzip, at the same CPU time ("Monitor process
 *  memory", 2026-12-02). */
export const MONITOR_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/** The machine worker's V8 young generation, in MB (worker_threads `resourceLimits`). A busy
 *  guest allocates fast (device messages, output batches, translator modules) and V8 then grows
 *  its heap to ~83 MB where 32 MB do with this cap (the bundled guest running `yes` on its
 *  console, heap statistics of the worker): about 50 MB of resident memory per busy monitor. */
export const MACHINE_WORKER_YOUNG_GENERATION_MB = 16;
