// F/D conversions, comparisons, min/max, classify and NaN boxing: RISC-V's saturating
// float-to-integer results (unpriv spec table 11.4), canonical NaNs, fmin/fmax of 2.2+,
// quiet vs signaling comparisons, and singles held NaN-boxed in 64-bit registers (12.2).
#include "harness.h"
#include "fp-macros.h"
tests:
  TEST 1 // fcvt.w.s of +-2.5 in every mode
  fsflags zero
  LOAD_S f0, 0x40200000
  fcvt.w.s a0, f0, rne
  CHECK a0, 2
  fcvt.w.s a0, f0, rtz
  CHECK a0, 2
  fcvt.w.s a0, f0, rdn
  CHECK a0, 2
  fcvt.w.s a0, f0, rup
  CHECK a0, 3
  fcvt.w.s a0, f0, rmm
  CHECK a0, 3
  LOAD_S f0, 0xc0200000
  fcvt.w.s a0, f0, rne
  CHECK a0, -2
  fcvt.w.s a0, f0, rtz
  CHECK a0, -2
  fcvt.w.s a0, f0, rdn
  CHECK a0, -3
  fcvt.w.s a0, f0, rup
  CHECK a0, -2
  fcvt.w.s a0, f0, rmm
  CHECK a0, -3
  CHECK_FLAGS NX

  TEST 2 // out of range and NaN: saturate with NV only
  LOAD_S f0, 0x7fc00000
  fcvt.w.s a0, f0
  CHECK a0, 0x7fffffff
  fcvt.wu.s a0, f0
  CHECK a0, -1 // 2^32-1, sign-extended
  fcvt.l.s a0, f0
  CHECK a0, 0x7fffffffffffffff
  fcvt.lu.s a0, f0
  CHECK a0, -1
  CHECK_FLAGS NV
  LOAD_S f0, 0xff800000
  fcvt.w.s a0, f0
  CHECK a0, -0x80000000
  fcvt.lu.s a0, f0
  CHECK a0, 0
  CHECK_FLAGS NV
  LOAD_S f0, 0x4f000000 // 2^31
  fcvt.w.s a0, f0
  CHECK a0, 0x7fffffff
  CHECK_FLAGS NV
  fcvt.wu.s a0, f0
  CHECK a0, -0x80000000 // 0x80000000 sign-extended
  LOAD_S f0, 0xcf000000 // -2^31 fits
  fcvt.w.s a0, f0
  CHECK a0, -0x80000000
  CHECK_FLAGS 0
  LOAD_S f0, 0xbf800000 // -1 is out of range for unsigned
  fcvt.wu.s a0, f0
  CHECK a0, 0
  CHECK_FLAGS NV
  LOAD_S f0, 0xbf000000 // -0.5 truncates to 0: only inexact
  fcvt.wu.s a0, f0, rtz
  CHECK a0, 0
  CHECK_FLAGS NX
  fcvt.wu.s a0, f0, rdn // but rounds down to -1: invalid
  CHECK a0, 0
  CHECK_FLAGS NV

  TEST 3 // double to integer
  LOAD_D f0, 0x41efffffffe00000 // 2^32 - 1
  fcvt.wu.d a0, f0
  CHECK a0, -1
  CHECK_FLAGS 0
  LOAD_D f0, 0x43e0000000000000 // 2^63
  fcvt.l.d a0, f0
  CHECK a0, 0x7fffffffffffffff
  CHECK_FLAGS NV
  fcvt.lu.d a0, f0
  CHECK a0, 0x8000000000000000
  LOAD_D f0, 0x43efffffffffffff // 2^64 - 2048
  fcvt.lu.d a0, f0
  CHECK a0, 0xfffffffffffff800
  LOAD_D f0, 0x8000000000000000
  fcvt.lu.d a0, f0
  CHECK a0, 0
  CHECK_FLAGS 0
  LOAD_D f0, 0xc1e0000000100000 // -2^31 - 0.5
  fcvt.w.d a0, f0, rtz
  CHECK a0, -0x80000000
  CHECK_FLAGS NX
  fcvt.w.d a0, f0, rdn
  CHECK a0, -0x80000000
  CHECK_FLAGS NV
  fcvt.w.d a0, f0, rne // tie to even -2^31
  CHECK a0, -0x80000000
  CHECK_FLAGS NX

  TEST 4 // integer to float
  li a0, 16777217 // 2^24 + 1
  fcvt.s.w f0, a0, rne
  CHECK_S f0, 0x4b800000
  fcvt.s.w f0, a0, rup
  CHECK_S f0, 0x4b800001
  CHECK_FLAGS NX
  li a0, 0x8000000000000000
  fcvt.s.l f0, a0
  CHECK_S f0, 0xdf000000
  fcvt.d.l f0, a0
  CHECK_D f0, 0xc3e0000000000000
  li a0, 0xffffffff80000000 // only the low 32 bits: 2^31 unsigned
  fcvt.s.wu f0, a0
  CHECK_S f0, 0x4f000000
  CHECK_FLAGS 0
  li a0, -1
  fcvt.d.lu f0, a0, rne
  CHECK_D f0, 0x43f0000000000000
  fcvt.d.lu f0, a0, rtz
  CHECK_D f0, 0x43efffffffffffff
  fcvt.s.lu f0, a0, rdn
  CHECK_S f0, 0x5f7fffff
  CHECK_FLAGS NX
  fcvt.d.w f0, a0
  CHECK_D f0, 0xbff0000000000000
  CHECK_FLAGS 0

  TEST 5 // between the formats
  LOAD_D f0, 0x3ff0000010000000 // 1 + 2^-24: a tie for binary32
  fcvt.s.d f1, f0, rne
  CHECK_S f1, 0x3f800000
  fcvt.s.d f1, f0, rup
  CHECK_S f1, 0x3f800001
  CHECK_FLAGS NX
  LOAD_D f0, 0x7fefffffffffffff
  fcvt.s.d f1, f0, rne
  CHECK_S f1, 0x7f800000
  fcvt.s.d f1, f0, rtz
  CHECK_S f1, 0x7f7fffff
  CHECK_FLAGS OF | NX
  LOAD_D f0, 0x36a0000000000000 // 2^-149, the smallest binary32 subnormal: exact
  fcvt.s.d f1, f0
  CHECK_S f1, 0x00000001
  CHECK_FLAGS 0
  LOAD_D f0, 0x3690000000000000 // 2^-150: a tie with zero
  fcvt.s.d f1, f0, rne
  CHECK_S f1, 0
  fcvt.s.d f1, f0, rmm
  CHECK_S f1, 1
  CHECK_FLAGS UF | NX
  LOAD_D f0, 0x7ff0000000000001 // signaling NaN
  fcvt.s.d f1, f0
  CHECK_S f1, 0x7fc00000
  CHECK_FLAGS NV
  LOAD_S f0, 0x7f800001
  fcvt.d.s f1, f0
  CHECK_D f1, 0x7ff8000000000000
  CHECK_FLAGS NV
  LOAD_S f0, 0xffc12345 // quiet NaN with a payload: canonical, no flag
  fcvt.d.s f1, f0
  CHECK_D f1, 0x7ff8000000000000
  LOAD_S f0, 0x00000001
  fcvt.d.s f1, f0
  CHECK_D f1, 0x36a0000000000000
  CHECK_FLAGS 0

  TEST 6 // comparisons: feq is quiet, flt/fle signal on any NaN
  LOAD_S f0, 0x7fc00000
  LOAD_S f1, 0x3f800000
  feq.s a0, f0, f1
  CHECK a0, 0
  CHECK_FLAGS 0
  flt.s a0, f0, f1
  CHECK a0, 0
  CHECK_FLAGS NV
  fle.s a0, f1, f0
  CHECK a0, 0
  CHECK_FLAGS NV
  LOAD_S f0, 0x7f800001
  feq.s a0, f0, f0
  CHECK a0, 0
  CHECK_FLAGS NV
  LOAD_D f0, 0x8000000000000000
  LOAD_D f1, 0
  feq.d a0, f0, f1
  CHECK a0, 1
  flt.d a0, f0, f1
  CHECK a0, 0
  fle.d a0, f0, f1
  CHECK a0, 1
  CHECK_FLAGS 0

  TEST 7 // fmin/fmax: -0 < +0, a NaN operand yields the other, two NaNs the canonical NaN
  LOAD_S f0, 0x80000000
  LOAD_S f1, 0x00000000
  fmin.s f2, f1, f0
  CHECK_S f2, 0x80000000
  fmax.s f2, f0, f1
  CHECK_S f2, 0x00000000
  LOAD_S f0, 0x7fc00000
  LOAD_S f1, 0xc0000000
  fmin.s f2, f0, f1
  CHECK_S f2, 0xc0000000
  fmax.s f2, f1, f0
  CHECK_S f2, 0xc0000000
  CHECK_FLAGS 0
  LOAD_S f0, 0x7f800001
  fmax.s f2, f0, f1
  CHECK_S f2, 0xc0000000
  CHECK_FLAGS NV
  LOAD_D f0, 0xfff8000000000001
  LOAD_D f1, 0x7ff0000000000002
  fmin.d f2, f0, f1
  CHECK_D f2, 0x7ff8000000000000
  CHECK_FLAGS NV

  TEST 8 // fclass: one bit per class
  LOAD_S f0, 0xff800000
  fclass.s a0, f0
  CHECK a0, 1 << 0
  LOAD_S f0, 0xbf800000
  fclass.s a0, f0
  CHECK a0, 1 << 1
  LOAD_S f0, 0x807fffff
  fclass.s a0, f0
  CHECK a0, 1 << 2
  LOAD_D f0, 0x8000000000000000
  fclass.d a0, f0
  CHECK a0, 1 << 3
  LOAD_D f0, 0
  fclass.d a0, f0
  CHECK a0, 1 << 4
  LOAD_D f0, 1
  fclass.d a0, f0
  CHECK a0, 1 << 5
  LOAD_D f0, 0x3ff0000000000000
  fclass.d a0, f0
  CHECK a0, 1 << 6
  LOAD_D f0, 0x7ff0000000000000
  fclass.d a0, f0
  CHECK a0, 1 << 7
  LOAD_D f0, 0x7ff0000000000001
  fclass.d a0, f0
  CHECK a0, 1 << 8
  LOAD_S f0, 0x7fc00000
  fclass.s a0, f0
  CHECK a0, 1 << 9
  CHECK_FLAGS 0

  TEST 9 // NaN boxing: a single not boxed in 1s reads as the canonical NaN
  LOAD_D f0, 0x000000003f800000
  fadd.s f1, f0, f0
  CHECK_S f1, 0x7fc00000
  CHECK_FLAGS 0
  fclass.s a0, f0
  CHECK a0, 1 << 9
  fsgnj.s f1, f0, f0
  CHECK_S f1, 0x7fc00000
  fmv.x.w a0, f0 // moves the low 32 bits as they are
  CHECK a0, 0x3f800000
  LOAD_S f0, 0x3f800000 // single results are written boxed
  fadd.s f1, f0, f0
  fmv.x.d a0, f1
  CHECK a0, 0xffffffff40000000
  LOAD_S f0, 0x80000000 // fmv.x.w sign-extends
  fmv.x.w a0, f0
  CHECK a0, 0xffffffff80000000
  CHECK_FLAGS 0
  j pass
