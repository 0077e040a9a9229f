// F and D through the CPU (unpriv spec ch. 11-12; priv 3.1.6.6 for FS): loads/stores, moves,
// NaN-boxing of singles, rounding modes (static, dynamic, reserved = illegal), fflags
// accumulation in fcsr, conversions with sign-extended results, compares, fclass, fused
// multiply-add signs, and FS = Off making every FP instruction illegal.
#include "harness.h"
#define ONE_D 0x3ff0000000000000
tests:
  TEST 1 // moves and memory
  li a0, 0x400c000000000000 // 3.5
  fmv.d.x fa0, a0
  fmv.x.d a1, fa0
  bne a0, a1, fail
  la s0, buf
  fsd fa0, 0(s0)
  ld a1, 0(s0)
  bne a0, a1, fail
  li a0, 0x40490fdb // pi as a single
  sw a0, 8(s0)
  flw fa1, 8(s0)
  fmv.x.d a1, fa1 // NaN-boxed in the register
  CHECK a1, 0xffffffff40490fdb
  fmv.x.w a1, fa1
  CHECK a1, 0x40490fdb
  li a0, 0x80000000
  fmv.w.x fa2, a0
  fmv.x.w a1, fa2 // fmv.x.w sign-extends
  CHECK a1, 0xffffffff80000000
  fsw fa1, 12(s0)
  lwu a1, 12(s0)
  CHECK a1, 0x40490fdb

  TEST 2 // arithmetic
  li a0, 0x3ff8000000000000 // 1.5
  fmv.d.x fa0, a0
  li a0, 0x4002000000000000 // 2.25
  fmv.d.x fa1, a0
  fadd.d fa2, fa0, fa1
  fmv.x.d a1, fa2
  CHECK a1, 0x400e000000000000 // 3.75
  fmul.d fa2, fa0, fa1
  fmv.x.d a1, fa2
  CHECK a1, 0x400b000000000000 // 3.375
  fsub.d fa2, fa0, fa1
  fmv.x.d a1, fa2
  CHECK a1, 0xbfe8000000000000 // -0.75
  li a0, 0x40400000 // 3.0f
  fmv.w.x fa3, a0
  fmul.s fa4, fa3, fa3
  fmv.x.w a1, fa4
  CHECK a1, 0x41100000 // 9.0f
  fsqrt.s fa4, fa4
  fmv.x.w a1, fa4
  CHECK a1, 0x40400000

  TEST 3 // fflags: divide by zero, accumulation, fcsr layout
  fsflags zero
  fmv.d.x fa1, zero
  fdiv.d fa2, fa0, fa1
  fmv.x.d a1, fa2
  CHECK a1, 0x7ff0000000000000
  frflags a1
  CHECK a1, 8 // DZ
  li a0, 0x3fb999999999999a // 0.1: 0.1 + 1.5 is inexact
  fmv.d.x fa3, a0
  fadd.d fa2, fa3, fa0
  frflags a1
  CHECK a1, 9 // DZ | NX
  li a0, 2
  fsrm a0 // RDN
  csrr a1, fcsr
  CHECK a1, (2 << 5) | 9
  csrw fcsr, zero

  TEST 4 // unboxed single reads as the canonical NaN
  li a0, 0x000000003f800000 // 1.0f without the NaN box
  fmv.d.x fa0, a0
  li a0, 0x3f800000
  fmv.w.x fa1, a0
  fadd.s fa2, fa0, fa1
  fmv.x.d a1, fa2
  CHECK a1, 0xffffffff7fc00000
  fsgnj.s fa2, fa0, fa0
  fmv.x.d a1, fa2
  CHECK a1, 0xffffffff7fc00000
  fsgnjn.s fa2, fa1, fa1
  fmv.x.w a1, fa2
  CHECK a1, 0xffffffffbf800000

  TEST 5 // rounding modes: static, dynamic
  li a0, 0x4004000000000000 // 2.5
  fmv.d.x fa0, a0
  fcvt.w.d a1, fa0, rne
  CHECK a1, 2
  fcvt.w.d a1, fa0, rup
  CHECK a1, 3
  fcvt.w.d a1, fa0, rtz
  CHECK a1, 2
  fcvt.w.d a1, fa0, rmm
  CHECK a1, 3
  li a0, 3
  fsrm a0 // RUP
  fcvt.w.d a1, fa0, dyn
  CHECK a1, 3
  fsrm zero
  li a0, 0xbff8000000000000 // -1.5
  fmv.d.x fa0, a0
  fcvt.l.d a1, fa0, rdn
  CHECK a1, -2
  fsflags zero
  fcvt.wu.d a1, fa0, rtz // negative to unsigned: 0 and invalid
  CHECK a1, 0
  frflags a1
  CHECK a1, 16
  li a0, 0x41efffffffe00000 // 4294967295.0
  fmv.d.x fa0, a0
  fcvt.wu.d a1, fa0, rtz // 0xffffffff, sign-extended into the register
  CHECK a1, -1
  li a0, -7
  fcvt.d.w fa0, a0
  fmv.x.d a1, fa0
  CHECK a1, 0xc01c000000000000
  fcvt.s.d fa1, fa0
  fmv.x.d a1, fa1
  CHECK a1, 0xffffffffc0e00000
  fcvt.d.s fa2, fa1
  fmv.x.d a1, fa2
  CHECK a1, 0xc01c000000000000
  li a0, -1
  fcvt.d.lu fa0, a0
  fmv.x.d a1, fa0
  CHECK a1, 0x43f0000000000000

  TEST 6 // reserved rounding modes are illegal (static rm 5, dynamic with frm 5)
  .word 0x0220d053 // fadd.d f0, f1, f2 with rm = 5
  CHECK_MTRAP 2
  CHECK_MTVAL 0x0220d053
  li a0, 5
  fsrm a0
  fadd.d fa0, fa1, fa2, dyn
  CHECK_MTRAP 2
  fsrm zero
  fadd.d fa0, fa1, fa2, dyn
  CHECK_MTRAP 0

  TEST 7 // compares and NaN signalling rules
  li a0, ONE_D
  fmv.d.x fa0, a0
  li a0, 0x7ff8000000000000 // qNaN
  fmv.d.x fa1, a0
  fsflags zero
  feq.d a1, fa0, fa0
  CHECK a1, 1
  feq.d a1, fa0, fa1
  CHECK a1, 0
  frflags a1
  CHECK a1, 0 // quiet compare
  flt.d a1, fa0, fa1
  CHECK a1, 0
  frflags a1
  CHECK a1, 16 // signalling compare
  fle.d a1, fa0, fa0
  CHECK a1, 1
  fmin.d fa2, fa1, fa0 // the non-NaN operand
  fmv.x.d a1, fa2
  CHECK a1, ONE_D

  TEST 8 // fclass
  li a0, 0xfff0000000000000
  fmv.d.x fa0, a0
  fclass.d a1, fa0
  CHECK a1, 1
  fmv.d.x fa0, zero
  fclass.d a1, fa0
  CHECK a1, 0x10
  fclass.d a1, fa1
  CHECK a1, 0x200
  fclass.s a1, fa0 // unboxed: canonical NaN
  CHECK a1, 0x200

  TEST 9 // fused multiply-add and its sign variants: 2*3 +- 1
  li a0, 0x4000000000000000
  fmv.d.x fa0, a0
  li a0, 0x4008000000000000
  fmv.d.x fa1, a0
  li a0, ONE_D
  fmv.d.x fa2, a0
  fmadd.d fa3, fa0, fa1, fa2
  fmv.x.d a1, fa3
  CHECK a1, 0x401c000000000000 // 7
  fmsub.d fa3, fa0, fa1, fa2
  fmv.x.d a1, fa3
  CHECK a1, 0x4014000000000000 // 5
  fnmsub.d fa3, fa0, fa1, fa2
  fmv.x.d a1, fa3
  CHECK a1, 0xc014000000000000 // -5
  fnmadd.d fa3, fa0, fa1, fa2
  fmv.x.d a1, fa3
  CHECK a1, 0xc01c000000000000 // -7
  li a0, 0x40000000
  fmv.w.x fa0, a0
  li a0, 0x3f800000
  fmv.w.x fa2, a0
  fmadd.s fa3, fa0, fa0, fa2
  fmv.x.w a1, fa3
  CHECK a1, 0x40a00000 // 5.0f

  TEST 10 // an FP write makes FS dirty (and SD set)
  li a0, 3 << 13
  csrc mstatus, a0
  li a0, 1 << 13
  csrs mstatus, a0
  fmv.d.x fa0, zero
  csrr a0, mstatus
  srli a1, a0, 13
  andi a1, a1, 3
  CHECK a1, 3
  bgez a0, fail

  TEST 11 // FS = Off: FP instructions and fcsr are illegal
  li a0, 3 << 13
  csrc mstatus, a0
  fadd.d fa0, fa0, fa0
  CHECK_MTRAP 2
  fld fa0, 0(s0)
  CHECK_MTRAP 2
  csrr a1, fcsr
  CHECK_MTRAP 2
  fmv.x.d a1, fa0
  CHECK_MTRAP 2
  li a0, 1 << 13
  csrs mstatus, a0
  fmv.x.d a1, fa0
  CHECK_MTRAP 0
  j pass

.section .data
.align 4
buf: .space 32
