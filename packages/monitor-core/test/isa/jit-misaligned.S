#include "harness.h"
// The translator (cpu/jit.ts) and misaligned loads and stores: in a loop run 30,000 times (so that
// translated code runs it), every width stores a changing value at a misaligned address inside a
// page, and a doubleword also across a page boundary, and reads it back. Translated code performs
// the ones inside a page itself (wasm accesses need no alignment) and leaves before the ones that
// cross a page for the interpreter, which does them byte by byte (unpriv spec 2.6: misaligned
// accesses may be performed in parts). Each read must give what was stored.
tests:
  TEST 1
  li t0, 0x6000 // mstatus.FS = Dirty: FP loads and stores allowed (priv spec 3.1.6.6)
  csrs mstatus, t0
  la s1, mis_buf
  li t0, 4000
  add s2, s1, t0 // s2 + 93 = s1 + 4093: 3 bytes before the page end
  li s0, 30000
  li s3, 0x0123456789abcdef
  li s4, 0x5851f42d4c957f2d // LCG multiplier (PCG's)
1:
  sd s3, 93(s2) // crosses into the next page
  ld t0, 93(s2)
  bne t0, s3, fail
  sd s3, 0x101(s1)
  ld t0, 0x101(s1)
  bne t0, s3, fail
  sw s3, 0x206(s1)
  lw t0, 0x206(s1)
  sext.w t1, s3
  bne t0, t1, fail
  lwu t0, 0x206(s1)
  slli t1, s3, 32
  srli t1, t1, 32
  bne t0, t1, fail
  sh s3, 0x30b(s1)
  lh t0, 0x30b(s1)
  slli t1, s3, 48
  srai t1, t1, 48
  bne t0, t1, fail
  lhu t0, 0x30b(s1)
  slli t1, s3, 48
  srli t1, t1, 48
  bne t0, t1, fail
  fmv.d.x ft0, s3
  fsd ft0, 0x40d(s1)
  fld ft1, 0x40d(s1)
  fmv.x.d t0, ft1
  bne t0, s3, fail
  // A word read across two earlier stores: the bytes' order is little-endian.
  ld t0, 0x101(s1)
  lw t1, 0x105(s1) // bytes 4..7 of the doubleword at 0x101
  srai t0, t0, 32
  bne t0, t1, fail
  mul s3, s3, s4
  addi s3, s3, 1
  addi s0, s0, -1
  bnez s0, 1b
  j pass

.section .data
.align 12
mis_buf: .space 8192
