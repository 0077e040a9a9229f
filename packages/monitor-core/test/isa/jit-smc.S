#include "harness.h"
// The translator (cpu/jit.ts) and code that changes: a function called often enough to be
// translated is rewritten and the change made visible with fence.i (unpriv spec, Zifencei);
// every later call must run the new instruction. The translated block notices that its guest
// bytes differ and hands the pc back to the interpreter.
tests:
  TEST 1
  li s2, 0
  li s3, 30000
1:
  call patchme
  add s2, s2, a0
  addi s3, s3, -1
  bnez s3, 1b
  CHECK s2, 30000

  TEST 2
  la t0, patchme
  li t1, 0x00300513 // addi a0, zero, 3
  sw t1, 0(t0)
  fence.i
  li s2, 0
  li s3, 30000
2:
  call patchme
  add s2, s2, a0
  addi s3, s3, -1
  bnez s3, 2b
  CHECK s2, 90000
  j pass

.align 2
patchme:
  .word 0x00100513 // addi a0, zero, 1 (a full word, so the patch is one aligned store)
  ret
