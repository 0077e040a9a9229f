#include "harness.h"
// The translator's if-conversion (cpu/jit.ts ifConvert): conditional branches forward over one
// to four register-only instructions become selects. A loop run 30,000 times (translated after
// the first few thousand rounds) takes each branch both ways on pseudo-random operands: unsigned
// and signed compares, a branch on zero, a shadow that writes the branch's own operand and reads
// it back, lui/auipc/addw in a shadow, and after them a load and a store that cross a page end
// every 16th round (the region leaves there, giving back the instructions it did not run). The
// checksum folds every result; minstret must count exactly the instructions that ran (each taken
// branch skips its shadow), which shows the budget's give-back at every exit and loop end.
#define ROUNDS 30000
// Instructions per round when no branch is taken, from label 1 to the bnez inclusive.
#define ROUND_INSNS 50
tests:
  TEST 1
  li s3, ROUNDS
  li s2, 0x2545f4914f6cdd1d     // LCG state
  li s4, 6364136223846793005
  li s5, 1442695040888963407
  li s6, 0                      // the instructions taken branches skipped
  li s7, 0                      // checksum
  li a0, 0
  li a3, 0
  li a5, 0
  li a6, 0
  li t4, 0
  la s8, ifconv_buf + 4096
  la s10, 1f
  csrr s9, minstret
1:
  mul s2, s2, s4                // 1
  add s2, s2, s5                // 2
  srli a1, s2, 33               // 3
  srli a2, s2, 1                // 4
  srli a2, a2, 33               // 5
  // a0 += (a1 >= a2): skips 1 when a1 < a2
  sltu t3, a1, a2               // 6
  add s6, s6, t3                // 7
  bltu a1, a2, 2f               // 8
  addi a0, a0, 1                // 9
2:
  // a3 = min(a1, a2) unsigned: skips 1 when a1 >= a2
  mv a3, a2                     // 10
  sltu t3, a1, a2               // 11
  xori t3, t3, 1                // 12
  add s6, s6, t3                // 13
  bgeu a1, a2, 3f               // 14
  mv a3, a1                     // 15
3:
  // the shadow writes the branch's operand and reads it back: skips 2 when a4 != 0
  andi a4, a2, 3                // 16
  snez t3, a4                   // 17
  slli t3, t3, 1                // 18
  add s6, s6, t3                // 19
  bnez a4, 4f                   // 20
  addi a4, a4, 7                // 21
  xor a5, a5, a4                // 22
4:
  // lui, auipc, sub, addw: skips 4 when a5 >= a0 (signed)
  slt t3, a5, a0                // 23
  xori t3, t3, 1                // 24
  slli t3, t3, 2                // 25
  add s6, s6, t3                // 26
  bge a5, a0, 5f                // 27
  lui a6, 0x12345               // 28
  auipc t4, 0                   // 29
  sub t4, t4, s10               // 30
  addw a6, a6, t4               // 31
5:
  // a load and a store at s8 or, every 16th round, across the page end at s8 + 4092
  andi t1, s3, 15               // 32
  seqz t1, t1                   // 33
  slli t0, t1, 12               // 34
  slli t1, t1, 2                // 35
  sub t1, t0, t1                // 36
  add a7, s8, t1                // 37
  ld t2, 0(a7)                  // 38
  sd s2, 0(a7)                  // 39
  // s7 = s7 * 31 + (a0 ^ a3 ^ a4 ^ a5 ^ a6 ^ t4 ^ t2)
  xor t3, a0, a3                // 40
  xor t3, t3, a4                // 41
  xor t3, t3, a5                // 42
  xor t3, t3, a6                // 43
  xor t3, t3, t4                // 44
  xor t3, t3, t2                // 45
  li t0, 31                     // 46
  mul s7, s7, t0                // 47
  add s7, s7, t3                // 48
  addi s3, s3, -1               // 49
  bnez s3, 1b                   // 50
  csrr s11, minstret
  sub s11, s11, s9
#ifdef PRINT_RESULTS
  mv a0, s7
  call puthex
  mv a0, s6
  call puthex
  mv a0, s11
  call puthex
#endif
  CHECK s7, 0x36768fb39d8f7a54
#ifndef QEMU_PEER // QEMU 7.2 counts minstret from host ticks without -icount
  // from the first csrr to the second: itself and every round's instructions but the skipped
  li t0, ROUNDS * ROUND_INSNS + 1
  sub t0, t0, s6
  bne s11, t0, fail
#endif
  j pass

#ifdef PRINT_RESULTS
puthex: // a0 as 16 hex digits and a newline
  li t0, UART
  li t1, 60
6: srl t2, a0, t1
  andi t2, t2, 15
  li t3, 10
  blt t2, t3, 7f
  addi t2, t2, 39
7: addi t2, t2, 48
  sb t2, 0(t0)
  addi t1, t1, -4
  bgez t1, 6b
  li t2, 10
  sb t2, 0(t0)
  ret
#endif

.section .data
.align 12
ifconv_buf: .space 3 * 4096
