// RV64A: LR/SC (success, failure without a reservation, reservation dropped by SC and by a
// trap) and every AMO in W and D width, with W results sign-extended (unpriv spec ch. 14).
#include "harness.h"
tests:
  TEST 1
  la a0, word
  li a1, 0x11
  sd a1, 0(a0)
  lr.d a2, (a0)
  CHECK a2, 0x11
  li a3, 0x22
  sc.d a4, a3, (a0)
  CHECK a4, 0
  ld a2, 0(a0)
  CHECK a2, 0x22
  sc.d a4, a1, (a0) // the reservation is gone
  CHECK a4, 1
  ld a2, 0(a0)
  CHECK a2, 0x22

  TEST 2
  li a1, 0xffffffff80000000
  sd a1, 0(a0)
  lr.w a2, (a0)
  CHECK a2, 0xffffffff80000000
  li a3, 5
  sc.w a4, a3, (a0)
  CHECK a4, 0
  ld a2, 0(a0)
  CHECK a2, 0xffffffff00000005

  TEST 3 // a trap between LR and SC drops the reservation
  lr.d a2, (a0)
  ecall
  CHECK_MTRAP 11
  sc.d a4, a3, (a0)
  CHECK a4, 1

  TEST 4 // doubleword AMOs
  li a1, 10
  sd a1, 0(a0)
  li a3, -3
  amoadd.d a2, a3, (a0)
  CHECK a2, 10
  ld a2, 0(a0)
  CHECK a2, 7
  amoswap.d a2, a3, (a0)
  CHECK a2, 7
  li a3, 0xf0
  amoor.d a2, a3, (a0)
  CHECK a2, -3
  amoand.d a2, a3, (a0)
  CHECK a2, -3
  amoxor.d a2, a3, (a0)
  CHECK a2, 0xf0
  ld a2, 0(a0)
  CHECK a2, 0
  li a3, -1
  amomax.d a2, a3, (a0)
  amomaxu.d a2, a3, (a0)
  ld a2, 0(a0)
  CHECK a2, -1
  li a3, 1
  amominu.d a2, a3, (a0)
  ld a2, 0(a0)
  CHECK a2, 1
  li a3, -5
  amomin.d a2, a3, (a0)
  CHECK a2, 1
  ld a2, 0(a0)
  CHECK a2, -5

  TEST 5 // word AMOs: sign-extended old value, upper word untouched
  li a1, 0x123456787ffffffe
  sd a1, 0(a0)
  li a3, 3
  amoadd.w a2, a3, (a0)
  CHECK a2, 0x7ffffffe
  ld a2, 0(a0)
  CHECK a2, 0x1234567880000001
  amoswap.w a2, a3, (a0)
  CHECK a2, 0xffffffff80000001
  li a3, -1
  amomin.w a2, a3, (a0)
  lw a2, 0(a0)
  CHECK a2, -1
  li a3, 7
  amomaxu.w a2, a3, (a0)
  lw a2, 0(a0)
  CHECK a2, -1
  amominu.w a2, a3, (a0)
  lw a2, 0(a0)
  CHECK a2, 7
  li a3, -9
  amomax.w a2, a3, (a0)
  lw a2, 0(a0)
  CHECK a2, 7
  li a3, 0xc
  amoxor.w a2, a3, (a0)
  amoand.w a2, a3, (a0)
  amoor.w a2, a3, (a0)
  lw a2, 0(a0)
  CHECK a2, 0xc
  ld a2, 0(a0)
  CHECK a2, 0x123456780000000c

  TEST 6 // misaligned AMO: store/AMO address misaligned (cause 6)
  addi a1, a0, 4
  amoadd.d a2, a3, (a1)
#ifdef QEMU_PEER
  CHECK_MTRAP 4 // QEMU 7.2 reports a load-misaligned for AMOs; the spec says store/AMO (6)
#else
  CHECK_MTRAP 6
#endif
  la t6, m_tval
  ld t6, 0(t6)
  bne t6, a1, fail
  lr.d a2, (a1) // misaligned LR: load address misaligned (4)
  CHECK_MTRAP 4
  j pass

.section .data
.align 3
word: .dword 0, 0
