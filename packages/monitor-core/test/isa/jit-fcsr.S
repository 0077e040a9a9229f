#include "harness.h"
// The translator (cpu/jit.ts fcsrOp) and fflags, frm and fcsr (unpriv spec 11.2, Zicsr): a loop
// run 30,000 times (so that translated code runs it) writes and reads them with every form —
// csrrw (fsflags, fsrm, and fcsr with rd = rs1), csrrs/csrrc with immediates, reads — and sums
// what each read returned. The expected sum follows from the loop by hand: per round v (30,000
// down to 1), with f = v & 31 and r = v & 3, the reads give the previous round's f, 0, f, f | 4,
// then twice r << 5 | ((f | 4) & ~1), and f.
tests:
  TEST 1
  li t0, 0x6000 // mstatus.FS = Dirty (priv spec 3.1.6.6)
  csrs mstatus, t0
  csrwi fcsr, 0
  li s0, 30000
  li s2, 0
1:
  andi t0, s0, 31
  fsflags t1, t0 // csrrw t1, fflags, t0
  add s2, s2, t1
  frflags t2
  bne t2, t0, fail
  andi t3, s0, 3
  fsrm t4, t3 // csrrw t4, frm, t3
  add s2, s2, t4
  frrm t5
  bne t5, t3, fail
  csrrsi t1, fflags, 4
  add s2, s2, t1
  csrrci t1, fflags, 1
  add s2, s2, t1
  csrr t1, fcsr
  add s2, s2, t1
  mv a0, t0
  csrrw a0, fcsr, a0 // rd = rs1: the old fcsr comes back, the old a0 goes in
  add s2, s2, a0
  frflags a1
  add s2, s2, a1
  addi s0, s0, -1
  bnez s0, 1b
  CHECK s2, 5819327
  j pass
