// A bare-metal loop benchmark for the interpreter's MIPS (colinux-bare-metal --stats): a mix of
// ALU, compressed, load/store and branch instructions like a kernel's inner loops. Runs
// ITERATIONS times (default ~40 M instructions; -DITERATIONS=N to change), then passes.
#include "harness.h"
#ifndef ITERATIONS
#define ITERATIONS 2000000
#endif
tests:
  TEST 1
  li s0, ITERATIONS
  la s1, bench_buf
  li a0, 0
  li a1, 0x9e3779b97f4a7c15
1:
  add a0, a0, a1
  xor a2, a0, s0
  slli a3, a2, 3
  srli a4, a2, 7
  or a3, a3, a4
  andi a4, a3, 0x1f8
  add a5, s1, a4
  ld a6, 0(a5)
  add a6, a6, a3
  sd a6, 0(a5)
  c.addi s0, -1
  mul a7, a2, a1
  sltu t0, a7, a2
  beqz t0, 2f
  addi a0, a0, 1
2: lw t1, 8(s1)
  addw t1, t1, a2
  sw t1, 8(s1)
  bnez s0, 1b
  j pass

.section .data
.align 12
bench_buf: .space 512
