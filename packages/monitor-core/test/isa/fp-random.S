// Pseudo-random F/D instruction stream through the whole CPU path (decode, static and dynamic
// rounding modes, NaN boxing, fflags): every result register and the flags of every instruction
// are folded into a checksum, compared with the value qemu-system-riscv64 computes for the same
// program (build with -DPRINT_CHECKSUM to print it). The operand generator leans on the exponent
// edges: zeros/subnormals, infinities/NaNs, near 1, near the binary32 range and integer limits.
#include "harness.h"
#define ITERATIONS 4000
#define EXPECTED 0x21f0c8cc8493137f

// s0: xorshift state, s1: checksum, s2: mixing multiplier, s3: iteration counter
.macro NEXT reg // xorshift64
  slli t0, s0, 13
  xor s0, s0, t0
  srli t0, s0, 7
  xor s0, s0, t0
  slli t0, s0, 17
  xor s0, s0, t0
  mv \reg, s0
.endm
.macro MIX reg
  xor s1, s1, \reg
  mul s1, s1, s2
  srli t0, s1, 29
  xor s1, s1, t0
.endm
.macro MIXF freg // the whole 64-bit register: singles show their NaN boxing
  fmv.x.d t1, \freg
  MIX t1
  fsflags t1, zero
  MIX t1
.endm
.macro MIXX reg
  MIX \reg
  fsflags t1, zero
  MIX t1
.endm
// A double with an exponent field from exp64[], a single with one from exp32[].
.macro GEN_D freg
  NEXT t2
  srli t3, t2, 52
  andi t3, t3, 15
  slli t3, t3, 3
  la t4, exp64
  add t4, t4, t3
  ld t4, 0(t4)
  li t3, 0x800fffffffffffff
  and t2, t2, t3
  or t2, t2, t4
  fmv.d.x \freg, t2
.endm
.macro GEN_S freg
  NEXT t2
  srli t3, t2, 23
  andi t3, t3, 15
  slli t3, t3, 2
  la t4, exp32
  add t4, t4, t3
  lwu t4, 0(t4)
  li t3, 0x807fffff
  and t2, t2, t3
  or t2, t2, t4
  fmv.w.x \freg, t2
.endm

tests:
  TEST 1
  li s0, 0x9e3779b97f4a7c15
  li s1, 0
  li s2, 0x9fb21c651e98df25
  li s3, ITERATIONS
  fsflags zero
loop:
  GEN_D f0
  GEN_D f1
  GEN_D f2
  GEN_S f3
  GEN_S f4
  GEN_S f5
  NEXT a1 // integer source for conversions
  li t1, 5 // frm cycles through the five modes
  remu t1, s3, t1
  fsrm t1

  fadd.d f6, f0, f1, rne
  MIXF f6
  fsub.d f6, f0, f1, rtz
  MIXF f6
  fmul.d f6, f0, f1, rdn
  MIXF f6
  fdiv.d f6, f0, f1, rup
  MIXF f6
  fsqrt.d f6, f0, rmm
  MIXF f6
  fmadd.d f6, f0, f1, f2
  MIXF f6
  fmsub.d f6, f0, f1, f2, rne
  MIXF f6
  fnmsub.d f6, f0, f1, f2, rtz
  MIXF f6
  fnmadd.d f6, f0, f1, f2, rup
  MIXF f6
  fmin.d f6, f0, f1
  MIXF f6
  fmax.d f6, f1, f2
  MIXF f6
  fsgnjn.d f6, f0, f1
  MIXF f6
  fsgnjx.d f6, f1, f2
  MIXF f6
  feq.d a0, f0, f1
  MIXX a0
  flt.d a0, f1, f2
  MIXX a0
  fle.d a0, f0, f2
  MIXX a0
  fclass.d a0, f0
  MIXX a0
  fcvt.w.d a0, f0, rtz
  MIXX a0
  fcvt.wu.d a0, f1, rdn
  MIXX a0
  fcvt.l.d a0, f2, rmm
  MIXX a0
  fcvt.lu.d a0, f0
  MIXX a0
  fcvt.d.l f6, a1, rup
  MIXF f6
  fcvt.d.lu f6, a1
  MIXF f6
  fcvt.d.w f6, a1
  MIXF f6
  fcvt.d.wu f6, a1
  MIXF f6
  fcvt.s.d f6, f0
  MIXF f6
  fcvt.s.d f6, f1, rmm
  MIXF f6
  fcvt.d.s f6, f3
  MIXF f6

  fadd.s f6, f3, f4
  MIXF f6
  fsub.s f6, f3, f4, rdn
  MIXF f6
  fmul.s f6, f3, f4, rtz
  MIXF f6
  fdiv.s f6, f3, f4, rmm
  MIXF f6
  fsqrt.s f6, f4, rup
  MIXF f6
  fmadd.s f6, f3, f4, f5, rmm
  MIXF f6
  fmsub.s f6, f3, f4, f5
  MIXF f6
  fnmsub.s f6, f3, f4, f5, rdn
  MIXF f6
  fnmadd.s f6, f3, f4, f5, rne
  MIXF f6
  fmin.s f6, f3, f4
  MIXF f6
  fmax.s f6, f4, f5
  MIXF f6
  fsgnj.s f6, f3, f4
  MIXF f6
  feq.s a0, f3, f4
  MIXX a0
  flt.s a0, f4, f5
  MIXX a0
  fle.s a0, f3, f5
  MIXX a0
  fclass.s a0, f3
  MIXX a0
  fcvt.w.s a0, f3, rne
  MIXX a0
  fcvt.wu.s a0, f4, rtz
  MIXX a0
  fcvt.l.s a0, f5
  MIXX a0
  fcvt.lu.s a0, f3, rup
  MIXX a0
  fcvt.s.w f6, a1, rdn
  MIXF f6
  fcvt.s.wu f6, a1
  MIXF f6
  fcvt.s.l f6, a1, rmm
  MIXF f6
  fcvt.s.lu f6, a1, rtz
  MIXF f6
  fmv.x.w a0, f3 // sign-extends
  MIXX a0
  fadd.s f6, f0, f3 // f0 is not a boxed single: reads as the canonical NaN
  MIXF f6
  fclass.s a0, f1
  MIXX a0

  addi s3, s3, -1
  bnez s3, loop

  csrr a0, fcsr // frm from the last iteration, flags already cleared
  CHECK a0, 1 << 5
#ifdef PRINT_CHECKSUM
  mv a0, s1
  call puthex
  j pass
#endif
  li t1, EXPECTED
  bne s1, t1, fail
  j pass

puthex: // a0 as 16 hex digits and a newline
  li t0, UART
  li t1, 60
1: srl t2, a0, t1
  andi t2, t2, 15
  li t3, 10
  blt t2, t3, 2f
  addi t2, t2, 'a' - 10
  j 3f
2: addi t2, t2, '0'
3: sb t2, 0(t0)
  addi t1, t1, -4
  bgez t1, 1b
  li t2, '\n'
  sb t2, 0(t0)
  ret

.section .rodata
.align 3
exp64: // exponent fields, in place
  .dword 0x0000000000000000, 0x7ff0000000000000, 0x3ff0000000000000, 0x3fe0000000000000
  .dword 0x4000000000000000, 0x0010000000000000, 0x7fe0000000000000, 0x3800000000000000
  .dword 0x36a0000000000000, 0x43e0000000000000, 0x41e0000000000000, 0x41f0000000000000
  .dword 0x3c90000000000000, 0x4340000000000000, 0x2000000000000000, 0x5ff0000000000000
exp32:
  .word 0x00000000, 0x7f800000, 0x3f800000, 0x3f000000, 0x40000000, 0x00800000, 0x7f000000
  .word 0x4f000000, 0x5f000000, 0x4f800000, 0x33800000, 0x4b800000, 0x0c000000, 0x72000000
  .word 0x3e800000, 0x5e800000
