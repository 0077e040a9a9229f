#include "harness.h"
// The translator (cpu/jit.ts) and code that changes: code run often enough to be translated is
// rewritten and the change made visible with fence.i (unpriv spec, Zifencei); every later run
// must see the new instruction. The store to a page holding translated code drops that page's
// blocks (cpu/code-pages.ts), whether it comes from the interpreter or from translated code.
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

  // A translated loop rewrites an instruction of its own body, with a new value every 4096
  // rounds (so that the loop is translated and compiled in between): the store leaves the
  // block, and the rest of the round must run the new instruction.
  TEST 3
  li s2, 0
  li s3, 100000
  la t0, 4f
  li t2, 0x00100513 // addi a0, zero, 1
3:
  srli t4, s3, 12
  andi t4, t4, 3
  slli t4, t4, 20
  add t1, t2, t4    // addi a0, zero, 1 + ((s3 >> 12) & 3)
  sw t1, 0(t0)
  fence.i
4:
  .word 0x00000013  // rewritten above
  add s2, s2, a0
  addi s3, s3, -1
  bnez s3, 3b
  CHECK s2, 247456

  // The same from a translated loop calling a rewritten function on another page.
  TEST 4
  li s2, 0
  li s3, 100000
  la t0, patchfar
  li t2, 0x00100513
5:
  srli t4, s3, 11
  andi t4, t4, 1
  slli t4, t4, 20
  add t1, t2, t4    // addi a0, zero, 1 + ((s3 >> 11) & 1)
  sw t1, 0(t0)
  fence.i
  call patchfar
  add s2, s2, a0
  addi s3, s3, -1
  bnez s3, 5b
  CHECK s2, 149152
  j pass

.align 2
patchme:
  .word 0x00100513 // addi a0, zero, 1 (a full word, so the patch is one aligned store)
  ret

.align 12
patchfar:
  .word 0x00100513
  ret
