// Traps and privilege: ecall from M/S/U, ebreak, illegal instructions (mtval = bits), access
// faults, delegation to S, privileged instructions and CSRs from lower modes (TSR, TVM, TW,
// counter enables), M/S interrupts (CLINT timer and software, delegated SSIP), vectored mtvec.
#include "harness.h"
tests:
  TEST 1 // ecall from M: cause 11, mepc = the ecall
  la s0, 1f
1: ecall
  CHECK_MTRAP 11
  la t6, m_epc
  ld t6, 0(t6)
  bne t6, s0, fail

  TEST 2 // ebreak: cause 3
  ebreak
  CHECK_MTRAP 3

  TEST 3 // illegal instruction (slli with shamt[6] set), mtval = the instruction
  .word 0xfc001013
  CHECK_MTRAP 2
  CHECK_MTVAL 0xfc001013

  TEST 4 // ecall from S (9) and from U (8)
  ENTER_MODE 1, 1f
1: ecall
  CHECK_MTRAP 9
  BACK_TO_M 2f
2: ENTER_MODE 0, 3f
3: ecall
  CHECK_MTRAP 8
  BACK_TO_M 4f
4:

  TEST 5 // delegating ecall-from-U to S
  li a0, 1 << 8
  csrw medeleg, a0
  ENTER_MODE 0, 1f
1: ecall
  CHECK_STRAP 8
  la t6, m_cause
  ld t6, 0(t6)
  bnez t6, fail // M saw nothing
  BACK_TO_M 2f
2: csrw medeleg, zero

  TEST 6 // M-level CSRs and instructions are illegal in S and U
  ENTER_MODE 1, 1f
1: csrr a0, mstatus
  CHECK_MTRAP 2
  csrr a0, mscratch
  CHECK_MTRAP 2
  mret
  CHECK_MTRAP 2
  csrr a0, sstatus // S may read its own CSRs
  CHECK_MTRAP 0
  BACK_TO_M 2f
2: ENTER_MODE 0, 3f
3: sret
  CHECK_MTRAP 2
  wfi
  CHECK_MTRAP 2
  csrr a0, sscratch
  CHECK_MTRAP 2
  BACK_TO_M 4f
4:

  TEST 7 // TSR, TVM, TW
  li a0, (1 << 22) | (1 << 20) | (1 << 21)
  csrs mstatus, a0
  ENTER_MODE 1, 1f
1: sret
  CHECK_MTRAP 2
  csrw satp, zero
  CHECK_MTRAP 2
  sfence.vma
  CHECK_MTRAP 2
  wfi
  CHECK_MTRAP 2
  BACK_TO_M 2f
2: li a0, (1 << 22) | (1 << 20) | (1 << 21)
  csrc mstatus, a0

  TEST 8 // counter enables (Zicntr): mcounteren for S, and scounteren for U
  csrw mcounteren, zero
  csrw scounteren, zero
  ENTER_MODE 1, 1f
1: rdcycle a0
  CHECK_MTRAP 2
  rdinstret a0
  CHECK_MTRAP 2
  BACK_TO_M 2f
2: li a0, 7
  csrw mcounteren, a0
  ENTER_MODE 1, 3f
3: rdcycle a0
  rdtime a0
  rdinstret a0
  CHECK_MTRAP 0
  BACK_TO_M 4f
4: ENTER_MODE 0, 5f
5: rdcycle a0
  CHECK_MTRAP 2
  BACK_TO_M 6f
6: li a0, 7
  csrw scounteren, a0
  ENTER_MODE 0, 7f
7: rdcycle a0
  rdtime a1
  CHECK_MTRAP 0
  BACK_TO_M 8f
8:

  TEST 9 // access faults: load (5), store (7), fetch (1), mtval = the address
  li s0, 0x1000000000
  ld a0, 0(s0)
  CHECK_MTRAP 5
  la t6, m_tval
  ld t6, 0(t6)
  bne t6, s0, fail
  sd a0, 8(s0)
  CHECK_MTRAP 7
  M_RESUME 1f
  jr s0
1: CHECK_MTRAP 1
  la t6, m_tval
  ld t6, 0(t6)
  bne t6, s0, fail

  TEST 10 // machine timer interrupt from the CLINT; wfi wakes on it even with MIE = 0
  li s0, MTIME
  ld a0, 0(s0)
  addi a0, a0, 200
  li s1, MTIMECMP
  sd a0, 0(s1)
  li a0, 1 << 7
  csrw mie, a0
1: wfi // (taking the interrupt here, before wfi, could sleep forever: keep MIE clear)
  csrr a0, mip
  andi a0, a0, 1 << 7
  beqz a0, 1b
  CHECK_MTRAP 0
  csrsi mstatus, 8
  nop
  csrci mstatus, 8
  CHECK_MTRAP 0x8000000000000007

  TEST 11 // machine software interrupt, vectored mtvec (entry 3)
  la a0, m_vectors + 1
  csrw mtvec, a0
  li s0, CLINT
  li a0, 1
  sw a0, 0(s0)
  li a0, 1 << 3
  csrw mie, a0
  csrsi mstatus, 8
  nop
  nop
  csrci mstatus, 8
  la a0, m_trap
  csrw mtvec, a0
  CHECK_MTRAP 0x8000000000000003
  la a0, vector_hit
  ld a0, 0(a0)
  CHECK a0, 3

  TEST 12 // an M interrupt is taken in S even with mstatus.MIE = 0
  li s0, CLINT
  li a0, 1
  sw a0, 0(s0)
  li a0, 1 << 3
  csrw mie, a0
  csrr a0, mstatus
  andi a0, a0, 8
  bnez a0, fail
  la t6, m_cause
  ld t6, 0(t6)
  bnez t6, fail // not taken in M with MIE clear
  ENTER_MODE 1, 1f
1: nop
  CHECK_MTRAP 0x8000000000000003
  BACK_TO_M 2f
2:

  TEST 13 // delegated supervisor software interrupt, taken in S with SIE
  li a0, 1 << 1
  csrw mideleg, a0
  csrw mie, a0
  ENTER_MODE 1, 1f
1: csrsi sstatus, 2
  csrsi sip, 2
  nop
  csrci sstatus, 2
  CHECK_STRAP 0x8000000000000001
  CHECK_MTRAP 0
  BACK_TO_M 2f
2: csrw mideleg, zero
  csrw mie, zero

  TEST 14 // mret pops MPIE into MIE and leaves MPP = U (priv 3.1.6.1)
  li a0, 1 << 7
  csrs mstatus, a0 // MPIE
  li a0, 3 << 11
  csrs mstatus, a0 // MPP = M
  la a0, 1f
  csrw mepc, a0
  mret
1: csrr a0, mstatus
  andi a1, a0, 8
  beqz a1, fail
  srli a1, a0, 11
  andi a1, a1, 3
  CHECK a1, 0
  csrci mstatus, 8
  j pass

.align 8
m_vectors:
  j m_trap
  .rept 2
  j m_trap
  .endr
  j vector3
  .rept 12
  j m_trap
  .endr
vector3:
  la t5, vector_hit
  li t6, 3
  sd t6, 0(t5)
  csrr t6, mcause
  j m_interrupt

.section .data
.align 3
vector_hit: .dword 0
