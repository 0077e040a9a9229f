// Floating-point state control (priv spec 3.1.6.6 mstatus.FS, unpriv 11.2 frm): FP
// instructions trap while FS is Off, a write makes FS Dirty and sets SD, and a reserved
// rounding mode (static 5/6, or dynamic with frm >= 5) is an illegal instruction.
#include "harness.h"
#include "fp-macros.h"
#define FS_MASK (3 << 13)
tests:
  TEST 1 // FS = Off: FP instructions and the FP CSRs are illegal
  li t0, FS_MASK
  csrc mstatus, t0
  fadd.s f1, f0, f0
  CHECK_MTRAP 2
  fmv.x.d a0, f0
  CHECK_MTRAP 2
  csrr a0, fflags
  CHECK_MTRAP 2
  li t0, 1 << 13 // Initial
  csrs mstatus, t0
  csrr a0, mstatus
  srli a0, a0, 63
  CHECK a0, 0

  TEST 2 // a write to an f register or fcsr makes FS Dirty and SD reads 1
  LOAD_S f0, 0x3f800000
  fadd.s f1, f0, f0
  csrr a0, mstatus
  li t0, FS_MASK
  and a1, a0, t0
  CHECK a1, FS_MASK
  srli a0, a0, 63
  CHECK a0, 1
  li t0, FS_MASK // back to Clean; an fcsr write dirties it again
  csrc mstatus, t0
  li t0, 2 << 13
  csrs mstatus, t0
  fsflags zero
  csrr a0, mstatus
  li t0, FS_MASK
  and a1, a0, t0
  CHECK a1, FS_MASK

  TEST 3 // reserved rounding modes
  LOAD_S f0, 0x3f800000
  .insn r 0x53, 5, 0, f1, f0, f0 // fadd.s with rm = 5
  CHECK_MTRAP 2
  .insn r 0x53, 6, 1, f1, f0, f0 // fadd.d with rm = 6
  CHECK_MTRAP 2
  fsrmi 5
  fadd.s f1, f0, f0 // dyn with frm = 5
  CHECK_MTRAP 2
  fsrmi 7 // frm = 7 is reserved too
  fmadd.d f1, f0, f0, f0
  CHECK_MTRAP 2
  fsrmi 0
  fadd.s f1, f0, f0
  CHECK_S f1, 0x40000000
  la t6, m_cause
  ld t6, 0(t6)
  CHECK t6, 0
  fsflags zero
  j pass
