#include "harness.h"
// The translator's fused multiply-add (cpu/jit.ts fmaOp) against the interpreter's (fpu.ts
// f64_fma): a loop runs fmadd.d, fmsub.d, fnmsub.d and fnmadd.d (static and dynamic RNE, and RTZ,
// which stays the interpreter's) on the operands below ROUNDS times; the first round, before
// anything is translated, records each result and the fflags it raised, and every later round
// (translated after JIT_THRESHOLD executions) must give the same bits and flags. The operands
// cover the translated path (inexact, exact, results that need more than a double's precision
// to round right) and every way out of it (a zero, a subnormal, an infinity, a NaN, exponents
// outside its window, a zero or tiny result). Two results are also checked against their exact
// values: 3 * 0x3fd5555555555555 - 1 = -2^-54 and 0.1 * 10 - 1 = 2^-54 (fma, not mul then add),
// and 1 + 2^-52 for the last case (a double rounding would give 1).
#define ROUNDS 2000
#define CASES 19
#define RESULTS 6 /* per case, 16 bytes each: the result's bits and fflags */

// Run \insn on fa0, fa1, fa2 with fflags clear; record its result and flags in round one (s0 ==
// s11), compare them with the record in every other round. s2 walks the record.
.macro FMA_CASE insn:vararg
  fsflags zero
  \insn
  frflags t1
  fmv.x.d t0, ft0
  bne s0, s11, .Lcompare\@
  sd t0, 0(s2)
  sd t1, 8(s2)
  j .Lnext\@
.Lcompare\@:
  ld t2, 0(s2)
  bne t0, t2, fail
  ld t2, 8(s2)
  bne t1, t2, fail
.Lnext\@:
  addi s2, s2, 16
.endm

tests:
  TEST 1
  li t0, 0x6000 // mstatus.FS = Dirty (priv spec 3.1.6.6)
  csrs mstatus, t0
  csrwi fcsr, 0
  li s11, ROUNDS
  mv s0, s11
1:
  la s1, cases
  la s2, results
  li s3, CASES
2:
  fld fa0, 0(s1)
  fld fa1, 8(s1)
  fld fa2, 16(s1)
  FMA_CASE fmadd.d ft0, fa0, fa1, fa2, rne
  FMA_CASE fmsub.d ft0, fa0, fa1, fa2, rne
  FMA_CASE fnmsub.d ft0, fa0, fa1, fa2, rne
  FMA_CASE fnmadd.d ft0, fa0, fa1, fa2, rne
  FMA_CASE fmadd.d ft0, fa0, fa1, fa2, dyn
  FMA_CASE fmadd.d ft0, fa0, fa1, fa2, rtz
  addi s1, s1, 24
  addi s3, s3, -1
  bnez s3, 2b
  addi s0, s0, -1
  bnez s0, 1b

  TEST 2 // exact values of two fused results (fmadd.d, rne) from the record
  la s2, results
  ld t0, (2 * RESULTS * 16)(s2)
  CHECK t0, 0xbc90000000000000
  ld t0, (3 * RESULTS * 16)(s2)
  CHECK t0, 0x3c90000000000000
  ld t0, (18 * RESULTS * 16)(s2)
  CHECK t0, 0x3ff0000000000001
  j pass

.data
.balign 8
cases:
  .dword 0x3ff199999999999a, 0x4002666666666666, 0x3fe6666666666666 // 1.1 * 2.3 + 0.7
  .dword 0x3ff8000000000000, 0x4000000000000000, 0x3fd0000000000000 // 1.5 * 2.0 + 0.25
  .dword 0x4008000000000000, 0x3fd5555555555555, 0xbff0000000000000 // 3.0 * 0.3333333333333333 + -1.0
  .dword 0x3fb999999999999a, 0x4024000000000000, 0xbff0000000000000 // 0.1 * 10.0 + -1.0
  .dword 0x7e37e43c8800759c, 0x4202a05f20000000, 0x3ff0000000000000 // 1e+300 * 10000000000.0 + 1.0
  .dword 0x0000000000000000, 0x4014000000000000, 0x3ff0000000000000 // 0.0 * 5.0 + 1.0
  .dword 0x4000000000000000, 0x4008000000000000, 0xc018000000000000 // 2.0 * 3.0 + -6.0
  .dword 0x0000000000000001, 0x3ff0000000000000, 0x3ff0000000000000 // 5e-324 * 1.0 + 1.0
  .dword 0x7ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000 // inf * 1.0 + 1.0
  .dword 0x7ff8000000000000, 0x3ff0000000000000, 0x3ff0000000000000 // nan * 1.0 + 1.0
  .dword 0x20ca2fe76a3f9475, 0x20ca2fe76a3f9475, 0x03b8f2b061aea072 // 1e-150 * 1e-150 + 1e-290
  .dword 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000000 // 1.0000000000000002 * 1.0000000000000002 + -1.0
  .dword 0x3ff0000000000001, 0x3fefffffffffffff, 0x3ff0000000000000 // 1.0000000000000002 * 0.9999999999999999 + 1.0
  .dword 0x5c10000000000000, 0x5c10000000000000, 0x3ff0000000000000 // 2.9073548971824276e+135 * 2.9073548971824276e+135 + 1.0
  .dword 0x23d0000000000000, 0x23d0000000000000, 0x07b0000000000000 // 3.4395525670743494e-136 * 3.4395525670743494e-136 + 1.1830521861667747e-271
  .dword 0x23d0000000000000, 0x23d0000000000000, 0x87b0000000000001 // 3.4395525670743494e-136 * 3.4395525670743494e-136 + -1.183052186166775e-271
  .dword 0xc01d000000000000, 0x3f50624dd2f1a9fc, 0x40fe240c9fbe76c9 // -7.25 * 0.001 + 123456.789
  .dword 0x40c81cd6c8b43958, 0xc0c34a4587e7c06e, 0x3e45798ee2308c3a // 12345.678 * -9876.54321 + 1e-08
  .dword 0x3ca0000000000001, 0x3fefffffffffffff, 0x3ff0000000000000 // 2^-53(1 + 2^-52) * (1 - 2^-53) + 1.0: a tie after the first rounding, unless rounded to odd
results:
  .zero CASES * RESULTS * 16
