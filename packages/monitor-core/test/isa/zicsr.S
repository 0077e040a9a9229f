// Zicsr, Zicntr, machine CSRs: csrrw/s/c and their immediate forms, read-only and unknown CSRs
// (illegal instruction, mtval = the instruction), misa, mhartid, counters that count, WARL fields.
#include "harness.h"
tests:
  TEST 1
  li a0, 0x1234
  csrw mscratch, a0
  csrr a1, mscratch
  CHECK a1, 0x1234
  li a0, 0xf0
  csrrs a1, mscratch, a0
  CHECK a1, 0x1234
  csrr a1, mscratch
  CHECK a1, 0x12f4
  li a0, 0x1200
  csrrc a1, mscratch, a0
  csrr a1, mscratch
  CHECK a1, 0xf4
  csrrwi a1, mscratch, 7
  CHECK a1, 0xf4
  csrrsi a1, mscratch, 8
  csrrci a1, mscratch, 1
  CHECK a1, 15
  csrr a1, mscratch
  CHECK a1, 14

  TEST 2 // identification
  csrr a0, misa
  li a1, 0x800000000014112d // RV64 ACDFIMSU
#ifdef QEMU_PEER
  and a0, a0, a1 // QEMU 7.2 also reports H and more
#endif
  bne a0, a1, fail
  csrr a1, misa
  csrr a0, mhartid
  CHECK a0, 0
  csrr a0, mvendorid
  CHECK a0, 0
  li a0, 0
  csrw misa, a0 // WARL: ignored
  csrr a0, misa
  bne a0, a1, fail

  TEST 3 // writing a read-only CSR is illegal; mtval holds the instruction
  M_RESUME 1f
2: csrw mhartid, a0
  j fail
1: CHECK_MTRAP 2
  la t6, 2b
  lwu t6, 0(t6)
  la t5, m_tval
  ld t5, 0(t5)
  bne t5, t6, fail
  csrr a0, cycle // reading a read-only CSR is fine
  csrrs a0, mhartid, zero // and so is csrrs with x0

  TEST 4 // an unknown CSR is illegal
  M_RESUME 1f
  csrr a0, 0x7ff
  j fail
1: CHECK_MTRAP 2

  TEST 5 // counters count
  csrr a0, cycle
  csrr a1, instret
  nop
  nop
  csrr a2, cycle
  csrr a3, instret
  bleu a2, a0, fail
  bleu a3, a1, fail
  csrr a0, mcycle
  beqz a0, fail
  csrr a0, hpmcounter3 // present, reads 0 here
  csrr a0, mhpmcounter3

  TEST 6 // mtvec / mepc WARL
  csrr s0, mtvec
  li a0, 0x80000002
  csrw mepc, a0
  csrr a1, mepc
  CHECK a1, 0x80000002
#ifndef QEMU_PEER // QEMU 7.2 keeps mepc[0]; the spec makes it read 0 (priv 3.1.14)
  li a0, 0x80000003
  csrw mepc, a0
  csrr a1, mepc
  CHECK a1, 0x80000002
#endif
  csrw mtvec, s0

  TEST 7 // mstatus: UXL/SXL = 2, MPP WARL, SD follows FS
  csrr a0, mstatus
  srli a1, a0, 32
  andi a1, a1, 15
  CHECK a1, 10
  li a1, 3 << 13
  csrs mstatus, a1
  csrr a0, mstatus
  bgez a0, fail // SD set when FS is dirty
  li a1, 2 << 13
  csrc mstatus, a1 // FS = Initial
  csrr a0, mstatus
  bltz a0, fail

  TEST 8 // medeleg cannot delegate ecall from M; mideleg holds only S interrupts
  li a0, -1
  csrw medeleg, a0
  csrr a1, medeleg
#ifndef QEMU_PEER // QEMU 7.2 lets medeleg[11] be set; the spec makes it read-only 0 (priv 3.1.8)
  srli a2, a1, 11
  andi a2, a2, 1
  CHECK a2, 0
#endif
  andi a2, a1, 0x100 // ecall from U delegable
  beqz a2, fail
  csrw mideleg, a0
  csrr a1, mideleg
#ifdef QEMU_PEER
  andi a1, a1, 0x222 // QEMU 7.2 also delegates its H-extension interrupts
#endif
  CHECK a1, 0x222
  csrw medeleg, zero
  csrw mideleg, zero

  TEST 9 // pmp CSRs are accepted
  csrw pmpaddr1, zero
  csrr a0, pmpcfg0

#ifndef QEMU_PEER // QEMU 7.2 counts host ticks in mcycle/minstret, not retired instructions
  TEST 10 // a write to minstret/mcycle replaces that instruction's own increment (Zicsr)
  csrwi minstret, 0
  csrr a0, minstret
  CHECK a0, 0
  csrwi mcycle, 5
  csrr a0, mcycle
  CHECK a0, 5
  csrwi minstret, 0
  nop
  csrr a0, minstret // the nop retired; this read sees the count before itself
  CHECK a0, 1
  li a1, 1000
  csrw minstret, a1
  csrrs a0, minstret, zero
  CHECK a0, 1000

  TEST 11 // time advances between any two reads (our clock; QEMU's ticks at 10 MHz)
  rdtime a0
  rdtime a1
  bleu a1, a0, fail
  csrr a2, time
  bleu a2, a1, fail
#endif
  j pass
