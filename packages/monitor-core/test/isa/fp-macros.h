// Helpers shared by the fp-*.S ISA tests: load raw bits into f registers, check result bits and
// the accrued flags (unpriv spec chapter 11: fflags NV 16, DZ 8, OF 4, UF 2, NX 1). t0/t1 are
// scratch here; t5/t6 stay with the harness.
#define NV 16
#define DZ 8
#define OF 4
#define UF 2
#define NX 1
.macro LOAD_S freg, bits // single, NaN-boxed by fmv.w.x
  li t0, \bits
  fmv.w.x \freg, t0
.endm
.macro LOAD_D freg, bits
  li t0, \bits
  fmv.d.x \freg, t0
.endm
// fmv.x.w sign-extends bit 31 into the x register, so compare against the sign-extended bits.
.macro CHECK_S freg, bits
  fmv.x.w t1, \freg
  li t6, \bits
  addiw t6, t6, 0
  bne t1, t6, fail
.endm
.macro CHECK_D freg, bits
  fmv.x.d t1, \freg
  li t6, \bits
  bne t1, t6, fail
.endm
// Compare and clear the accrued flags.
.macro CHECK_FLAGS value
  fsflags t1, zero
  li t6, \value
  bne t1, t6, fail
.endm
