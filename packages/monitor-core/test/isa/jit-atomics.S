#include "harness.h"
// The translator (cpu/jit.ts) and the A extension: loops of AMOs and LR/SC run often enough
// (30,000 rounds) that their translation produces the result, which must be what the
// interpreter and QEMU produce (unpriv spec ch. 14). The LR/SC reservation is shared by the
// interpreter and translated code.
tests:
  // An LR/SC increment: every SC succeeds (one hart, nothing in between).
  TEST 1
  la s0, counter
  li s3, 30000
  li s2, 0
1:
  lr.d t0, (s0)
  addi t0, t0, 1
  sc.d t1, t0, (s0)
  add s2, s2, t1
  addi s3, s3, -1
  bnez s3, 1b
  ld t0, 0(s0)
  CHECK t0, 30000
  CHECK s2, 0

  // A second SC without a new LR fails and stores nothing; an LR.W result is sign-extended.
  TEST 2
  la s0, word
  li s3, 30000
  li s2, 0
  li s4, 0
2:
  lr.w t0, (s0)
  add s4, s4, t0     // -5 each round
  sc.w t1, t0, (s0)  // succeeds: 0
  addi t3, t0, 100
  sc.w t2, t3, (s0)  // fails: 1, memory keeps -5
  add s2, s2, t1
  add s2, s2, t2
  addi s3, s3, -1
  bnez s3, 2b
  CHECK s2, 30000
  CHECK s4, -150000
  lw t0, 0(s0)
  CHECK t0, -5

  // AMOs: the old value in rd (sign-extended words), the new one in memory.
  TEST 3
  la s0, amo_words
  li s3, 30000
  li s2, 0
  li t4, -1
  li a1, 3
  addi s5, s0, 4
  addi s6, s0, 8
  addi s7, s0, 16
3:
  amoadd.w t0, a1, (s0)      // word 0 += 3
  amomin.w t1, t4, (s5)      // word 1 = min(word 1, -1): -1 from the first round on
  amomaxu.w t2, t4, (s6)     // word 2 = maxu(word 2, 0xffffffff)
  amoswap.d t3, s3, (s7)     // dword: the previous round's counter
  add s2, s2, t1
  add s2, s2, t2
  addi s3, s3, -1
  bnez s3, 3b
  lw t0, 0(s0)
  CHECK t0, 90000
  CHECK s2, -59995           // round 1: word 1 was 1, word 2 was 2; then -1 and -1 each round
  CHECK t3, 2
  ld t0, 16(s0)
  CHECK t0, 1
  j pass

.section .data
.align 3
counter: .dword 0
word: .word -5
.align 3
amo_words: .word 0, 1, 2, 0
  .dword 0
