#include "harness.h"
// More hot regions than the translator's function table holds (the host's MAX_BLOCKS, 40,000
// in machine/hart.ts), then other hot code: once the table is full the translator drops every
// translation and starts over (docs/cpu-core.md, "Flush"), so that code is translated too.
// Each `auipc; jalr` pair is a block whose successor is reached only by the computed jump, so
// every pair is a region of its own and takes a table slot.
#define REGIONS 45000
// ROUNDS must pass the translator's JIT_THRESHOLD (4,000 executions, cpu/jit.ts) so that every
// region gets hot; more rounds flush again and again (bench/RESULTS.md measures memory so).
#ifndef ROUNDS
#define ROUNDS 4200
#endif
#define LOOP_REGIONS 1000
#define LOOP_ROUNDS 100000
tests:
  TEST 1
  li s0, ROUNDS
  li s2, 0
1:
  .rept REGIONS
  auipc t1, 0
  jalr x0, 8(t1)
  .endr
  addi s2, s2, 1
  addi s0, s0, -1
  beqz s0, 2f
  j 1b
2:
  CHECK s2, ROUNDS
  TEST 2
  // The workload after the table filled up: other hot regions, which must run translated.
  li s0, LOOP_ROUNDS
  li s2, 0
  li s3, 0
3:
  .rept LOOP_REGIONS
  .rept 8
  addi s3, s3, 1
  .endr
  auipc t1, 0
  jalr x0, 8(t1)
  .endr
  addi s2, s2, 1
  addi s0, s0, -1
  beqz s0, 4f
  j 3b
4:
  CHECK s2, LOOP_ROUNDS
  CHECK s3, 8 * LOOP_REGIONS * LOOP_ROUNDS
  j pass
