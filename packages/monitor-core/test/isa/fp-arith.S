// F/D arithmetic: every rounding mode (static rm field and dynamic frm), exact IEEE flags
// including tininess after rounding, fused multiply-add rounding once (unpriv spec ch. 11-12).
#include "harness.h"
#include "fp-macros.h"
tests:
  TEST 1 // 1 + 2^-24 is a tie between 1 and 1+2^-23
  LOAD_S f0, 0x3f800000
  LOAD_S f1, 0x33800000
  fsflags zero
  fadd.s f2, f0, f1, rne
  CHECK_S f2, 0x3f800000
  CHECK_FLAGS NX
  fadd.s f2, f0, f1, rtz
  CHECK_S f2, 0x3f800000
  fadd.s f2, f0, f1, rdn
  CHECK_S f2, 0x3f800000
  fadd.s f2, f0, f1, rup
  CHECK_S f2, 0x3f800001
  fadd.s f2, f0, f1, rmm
  CHECK_S f2, 0x3f800001
  CHECK_FLAGS NX

  TEST 2 // the same tie below zero: directed modes swap
  LOAD_S f0, 0xbf800000
  LOAD_S f1, 0xb3800000
  fadd.s f2, f0, f1, rne
  CHECK_S f2, 0xbf800000
  fadd.s f2, f0, f1, rtz
  CHECK_S f2, 0xbf800000
  fadd.s f2, f0, f1, rdn
  CHECK_S f2, 0xbf800001
  fadd.s f2, f0, f1, rup
  CHECK_S f2, 0xbf800000
  fadd.s f2, f0, f1, rmm
  CHECK_S f2, 0xbf800001
  CHECK_FLAGS NX

  TEST 3 // double: 1 + 2^-53, and 1.5 + 2.5 exactly (no flags)
  LOAD_D f0, 0x3ff0000000000000
  LOAD_D f1, 0x3ca0000000000000
  fadd.d f2, f0, f1, rne
  CHECK_D f2, 0x3ff0000000000000
  fadd.d f2, f0, f1, rup
  CHECK_D f2, 0x3ff0000000000001
  LOAD_D f1, 0x3c90000000000000 // 1 - 2^-54: a tie below 1
  fsub.d f2, f0, f1, rdn
  CHECK_D f2, 0x3fefffffffffffff
  fsub.d f2, f0, f1, rne
  CHECK_D f2, 0x3ff0000000000000
  CHECK_FLAGS NX
  LOAD_D f0, 0x3ff8000000000000
  LOAD_D f1, 0x4004000000000000
  fadd.d f2, f0, f1
  CHECK_D f2, 0x4010000000000000
  CHECK_FLAGS 0

  TEST 4 // dynamic rounding mode from frm
  fsrmi t1, 3 // RUP
  CHECK t1, 0
  LOAD_S f0, 0x3f800000
  LOAD_S f1, 0x33800000
  fadd.s f2, f0, f1
  CHECK_S f2, 0x3f800001
  frrm t1
  CHECK t1, 3
  csrr t1, fcsr
  CHECK t1, (3 << 5) | NX
  fsrmi 2 // RDN: x - x is -0
  fsub.s f2, f0, f0
  CHECK_S f2, 0x80000000
  fsrmi 0
  fsub.s f2, f0, f0
  CHECK_S f2, 0x00000000
  CHECK_FLAGS NX

  TEST 5 // overflow: infinity or the largest finite value, by mode and sign
  LOAD_S f0, 0x7f7fffff
  LOAD_S f1, 0x40000000
  fmul.s f2, f0, f1, rne
  CHECK_S f2, 0x7f800000
  CHECK_FLAGS OF | NX
  fmul.s f2, f0, f1, rtz
  CHECK_S f2, 0x7f7fffff
  CHECK_FLAGS OF | NX
  fmul.s f2, f0, f1, rdn
  CHECK_S f2, 0x7f7fffff
  fmul.s f2, f0, f1, rup
  CHECK_S f2, 0x7f800000
  LOAD_S f0, 0xff7fffff
  fmul.s f2, f0, f1, rup
  CHECK_S f2, 0xff7fffff
  fmul.s f2, f0, f1, rdn
  CHECK_S f2, 0xff800000
  CHECK_FLAGS OF | NX
  LOAD_D f0, 0x7fefffffffffffff
  LOAD_D f1, 0x3ff0000000000001
  fmul.d f2, f0, f1, rmm
  CHECK_D f2, 0x7ff0000000000000
  fmul.d f2, f0, f1, rtz
  CHECK_D f2, 0x7fefffffffffffff
  CHECK_FLAGS OF | NX

  TEST 6 // underflow: tiny and inexact, with tininess detected after rounding
  LOAD_S f0, 0x00800000 // 2^-126 * 0.5 = 2^-127 is an exact subnormal: no flags
  LOAD_S f1, 0x3f000000
  fmul.s f2, f0, f1
  CHECK_S f2, 0x00400000
  CHECK_FLAGS 0
  LOAD_S f0, 0x00800001 // (2^-126 + 2^-149) / 2: a tie on the subnormal grid
  fmul.s f2, f0, f1, rne
  CHECK_S f2, 0x00400000
  CHECK_FLAGS UF | NX
  fmul.s f2, f0, f1, rup
  CHECK_S f2, 0x00400001
  CHECK_FLAGS UF | NX
  LOAD_S f0, 0x3f7fffff // (1 - 2^-24) * 2^-126 rounds to 2^-126 but is tiny after rounding
  LOAD_S f1, 0x00800000
  fmul.s f2, f0, f1
  CHECK_S f2, 0x00800000
  CHECK_FLAGS UF | NX
  LOAD_S f0, 0x3f7ffffe // (1 - 2^-23)(1 + 2^-23) * 2^-126 rounds to 2^-126, not tiny after rounding
  LOAD_S f1, 0x00800001
  fmul.s f2, f0, f1
  CHECK_S f2, 0x00800000
  CHECK_FLAGS NX
  LOAD_D f0, 0x0010000000000001 // double: a subnormal tie, RMM away from zero
  LOAD_D f1, 0x3fe0000000000000
  fmul.d f2, f0, f1, rmm
  CHECK_D f2, 0x0008000000000001
  fmul.d f2, f0, f1, rtz
  CHECK_D f2, 0x0008000000000000
  CHECK_FLAGS UF | NX
  LOAD_D f0, 0x0000000000000001 // the smallest subnormal halved: 0 or the smallest again
  fmul.d f2, f0, f1, rne
  CHECK_D f2, 0
  fmul.d f2, f0, f1, rup
  CHECK_D f2, 1
  CHECK_FLAGS UF | NX

  TEST 7 // division and square root: DZ, NV, canonical NaN
  LOAD_S f0, 0x3f800000
  LOAD_S f1, 0x80000000
  fdiv.s f2, f0, f1
  CHECK_S f2, 0xff800000
  CHECK_FLAGS DZ
  fdiv.s f2, f1, f1
  CHECK_S f2, 0x7fc00000
  CHECK_FLAGS NV
  LOAD_S f0, 0xbf800000
  fsqrt.s f2, f0
  CHECK_S f2, 0x7fc00000
  CHECK_FLAGS NV
  fsqrt.s f2, f1 // sqrt(-0) = -0
  CHECK_S f2, 0x80000000
  CHECK_FLAGS 0
  LOAD_D f0, 0x4000000000000000 // sqrt(2) = 0x3ff6a09e667f3bcc.908...
  fsqrt.d f2, f0, rne
  CHECK_D f2, 0x3ff6a09e667f3bcd
  fsqrt.d f2, f0, rdn
  CHECK_D f2, 0x3ff6a09e667f3bcc
  fsqrt.d f2, f0, rup
  CHECK_D f2, 0x3ff6a09e667f3bcd
  CHECK_FLAGS NX
  LOAD_D f0, 0x4022000000000000 // sqrt(9) = 3 exactly
  fsqrt.d f2, f0, rdn
  CHECK_D f2, 0x4008000000000000
  CHECK_FLAGS 0
  LOAD_D f0, 0x3ff0000000000000 // 1/3 in two modes
  LOAD_D f1, 0x4008000000000000
  fdiv.d f2, f0, f1, rne
  CHECK_D f2, 0x3fd5555555555555
  fdiv.d f2, f0, f1, rup
  CHECK_D f2, 0x3fd5555555555556
  CHECK_FLAGS NX

  TEST 8 // fused: x*x - round(x*x) recovers the rounding error exactly
  LOAD_D f0, 0x3ff0000000000001 // x = 1 + 2^-52, x*x = 1 + 2^-51 + 2^-104
  fmul.d f1, f0, f0
  CHECK_D f1, 0x3ff0000000000002
  CHECK_FLAGS NX
  fmsub.d f2, f0, f0, f1
  CHECK_D f2, 0x3970000000000000
  CHECK_FLAGS 0
  fnmadd.d f2, f0, f0, f1 // -(x*x) - p
  fmv.x.d t1, f2
  li t6, 0xc000000000000002
  bne t1, t6, fail
  CHECK_FLAGS NX
  LOAD_S f0, 0x3f800001 // single: (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46
  LOAD_S f1, 0x3f800002
  fmsub.s f2, f0, f0, f1
  CHECK_S f2, 0x28800000
  fnmsub.s f2, f0, f0, f1 // -(x*x) + p
  CHECK_S f2, 0xa8800000
  CHECK_FLAGS 0
  LOAD_S f0, 0x7f800000 // inf * 0 + qNaN is invalid
  LOAD_S f1, 0x00000000
  LOAD_S f3, 0x7fc00000
  fmadd.s f2, f0, f1, f3
  CHECK_S f2, 0x7fc00000
  CHECK_FLAGS NV
  LOAD_S f3, 0x3f800000 // inf + (-inf) inside an fma
  LOAD_S f1, 0x3f800000
  LOAD_S f3, 0xff800000
  fmadd.s f2, f0, f1, f3
  CHECK_S f2, 0x7fc00000
  CHECK_FLAGS NV

  TEST 9 // flags accumulate until cleared; fsflags returns the old value
  LOAD_S f0, 0x3f800000
  LOAD_S f1, 0x40400000
  fdiv.s f2, f0, f1
  LOAD_S f1, 0x00000000
  fdiv.s f2, f0, f1
  frflags t1
  CHECK t1, NX | DZ
  csrrwi t1, fflags, UF
  CHECK t1, NX | DZ
  csrr t1, fcsr
  CHECK t1, UF
  fscsr zero
  CHECK_FLAGS 0
  j pass
