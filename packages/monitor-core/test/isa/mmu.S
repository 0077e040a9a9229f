// Sv39/Sv48 (priv spec 4.3-4.5): translation through 1 GiB and 4 KiB pages, hardware A/D
// updates, R/W/X/U permission faults with stval = the address, SUM, MXR, reserved W-without-R,
// misaligned superpages, satp WARL, MPRV, and page faults delegated to S.
#include "harness.h"
#define VBASE 0x40000000
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128

// t0 = address of the PTE slot, \target = label of the page/table, \flags
.macro SET_PTE slot, target, flags
  la t0, \slot
  la t1, \target
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, \flags
  sd t1, 0(t0)
.endm

tests:
  TEST 1 // build the tables
  // VPN2 0: identity gigapage for MMIO (UART, finisher) so `fail` works in S
  la t0, pt_root
  li t1, (0 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t1, 0(t0)
  // VPN2 2: identity gigapage over RAM, supervisor RWX
  li t1, (0x80000 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  sd t1, 16(t0)
  // VPN2 3: a gigapage whose PPN is not 1 GiB aligned
  li t1, (0x80200 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t1, 24(t0)
  // VPN2 1 -> pt_l1 -> pt_l0: the 4 KiB test pages at VBASE
  SET_PTE pt_root + 8, pt_l1, PTE_V
  SET_PTE pt_l1, pt_l0, PTE_V
  SET_PTE pt_l0 + 0*8, data_page, PTE_V | PTE_R | PTE_W            // A=D=0: set by hardware
  SET_PTE pt_l0 + 1*8, data_page, PTE_V | PTE_R | PTE_A            // read-only
  SET_PTE pt_l0 + 2*8, data_page, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
  SET_PTE pt_l0 + 3*8, code_page, PTE_V | PTE_X | PTE_A            // execute-only
  // slot 4 stays invalid
  SET_PTE pt_l0 + 5*8, code_page, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A
  SET_PTE pt_l0 + 6*8, data_page, PTE_V | PTE_W | PTE_A | PTE_D    // W without R: reserved
  // Sv48 root: entry 0 points at the Sv39 root, used as the level-2 table
  SET_PTE pt_root48, pt_root, PTE_V
  la t0, data_page
  li t1, 0x5a5a
  sd t1, 0(t0)

  TEST 2 // satp WARL: unsupported modes leave satp unchanged
  la a0, pt_root
  srli a0, a0, 12
  li a1, 8 << 60
  or s1, a0, a1 // s1 = Sv39 satp
  csrw satp, s1
  csrr a2, satp
  bne a2, s1, fail
  li a1, 11 << 60 // Sv64 is reserved/unimplemented
  or a3, a0, a1
  csrw satp, a3
  csrr a2, satp
  bne a2, s1, fail
#ifndef QEMU_PEER // QEMU 7.2 implements Sv57; we do not
  li a1, 10 << 60
  or a3, a0, a1
  csrw satp, a3
  csrr a2, satp
  bne a2, s1, fail
#endif

  TEST 3 // S-mode loads/stores through a 4 KiB page, A and D set by hardware
  ENTER_MODE 1, 1f
1: li s0, VBASE
  ld a0, 0(s0)
  CHECK a0, 0x5a5a
  la t0, pt_l0
  ld a1, 0(t0)
  andi a2, a1, PTE_A
  beqz a2, fail
  andi a2, a1, PTE_D
  bnez a2, fail
  li a0, 0x77
  sd a0, 8(s0)
  ld a1, 0(t0)
  andi a2, a1, PTE_D
  beqz a2, fail
  la t0, data_page
  ld a1, 8(t0)
  CHECK a1, 0x77
  CHECK_MTRAP 0

  TEST 4 // store to a read-only page: store page fault, mtval = address
  li s0, VBASE + 0x1000
  ld a0, 0(s0)
  CHECK a0, 0x5a5a
  sd a0, 16(s0)
  CHECK_MTRAP 15
  CHECK_MTVAL VBASE + 0x1010

  TEST 5 // invalid PTE: load page fault; W without R: page fault
  li s0, VBASE + 0x4000
  lw a0, 4(s0)
  CHECK_MTRAP 13
  CHECK_MTVAL VBASE + 0x4004
  li s0, VBASE + 0x6000
  ld a0, 0(s0)
  CHECK_MTRAP 13
  sd a0, 0(s0)
  CHECK_MTRAP 15

  TEST 6 // U page from S: fault without SUM, fine with SUM
  li s0, VBASE + 0x2000
  ld a0, 0(s0)
  CHECK_MTRAP 13
  li a1, 1 << 18
  csrs sstatus, a1
  ld a0, 0(s0)
  CHECK a0, 0x5a5a
  csrc sstatus, a1
  CHECK_MTRAP 0
  ld a0, 0(s0) // the translation cached while SUM was set must not be used now
  CHECK_MTRAP 13

  TEST 7 // execute-only page: runs, but loads need MXR
  li s0, VBASE + 0x3000
  jalr s0
  CHECK a0, 42
  ld a0, 0(s0)
  CHECK_MTRAP 13
  li a1, 1 << 19
  csrs sstatus, a1
  lw a0, 0(s0)
  csrc sstatus, a1
  CHECK_MTRAP 0
  la t0, code_page
  lw a1, 0(t0)
  bne a0, a1, fail

  TEST 8 // S may not execute a U page: fetch page fault
  M_RESUME 1f
  li s0, VBASE + 0x5000
  jalr s0
1: CHECK_MTRAP 12
  CHECK_MTVAL VBASE + 0x5000
  BACK_TO_M 2f // (M_RESUME left us in S)

2: TEST 9 // U executes its page; misaligned superpage faults
  la s1, 3f
  ENTER_MODE 0, VBASE + 0x5000 // code_page: a0 = 42, then TO_M to s1
3: CHECK a1, 42
  ENTER_MODE 1, 4f
4: li s0, 0xc0000000
  ld a0, 0(s0)
  CHECK_MTRAP 13
  BACK_TO_M 5f

5: TEST 10 // sfence.vma makes a changed PTE visible
  SET_PTE pt_l0 + 1*8, data_page, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  ENTER_MODE 1, 1f
1: sfence.vma
  li s0, VBASE + 0x1000
  li a0, 0x99
  sd a0, 16(s0)
  CHECK_MTRAP 0
  ld a1, 16(s0)
  CHECK a1, 0x99
  BACK_TO_M 2f

2: TEST 11 // MPRV: M-mode loads translated with MPP = S
  li a0, 1 << 11
  csrs mstatus, a0 // MPP = S
  li a0, 1 << 17
  csrs mstatus, a0
  li s0, VBASE
  ld a1, 0(s0)
  csrc mstatus, a0
  CHECK a1, 0x5a5a

  TEST 12 // page faults delegated to S: scause/stval, M sees nothing
  li a0, (1 << 13) | (1 << 15) | (1 << 12)
  csrw medeleg, a0
  ENTER_MODE 1, 1f
1: li s0, VBASE + 0x4000
  ld a0, 8(s0)
  CHECK_STRAP 13
  CHECK_STVAL VBASE + 0x4008
  CHECK_MTRAP 0
  BACK_TO_M 2f
2: csrw medeleg, zero

  TEST 13 // Sv48 with the same mappings one level down
  la a0, pt_root48
  srli a0, a0, 12
  li a1, 9 << 60
  or a0, a0, a1
  csrw satp, a0
  csrr a1, satp
  bne a0, a1, fail
  ENTER_MODE 1, 1f
1: li s0, VBASE
  ld a0, 0(s0)
  CHECK a0, 0x5a5a
  li s0, 0x8000000000 // VPN3 = 1: unmapped in Sv48, non-canonical in Sv39
  ld a0, 0(s0)
  CHECK_MTRAP 13
  BACK_TO_M 2f
2: csrw satp, zero

  TEST 14 // sfence.vma of one 4 KiB page inside a megapage drops the whole megapage's entries
  li a0, 0x80400000
  li a1, 0x1111
  sd a1, 0(a0)
  li a0, 0x80600000
  li a1, 0x2222
  sd a1, 0(a0)
  la t0, pt_l1
  li t1, (0x80400 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D // VA 0x40200000, 2 MiB
  sd t1, 8(t0)
  la a0, pt_root
  srli a0, a0, 12
  li a1, 8 << 60
  or a0, a0, a1
  csrw satp, a0 // Sv39 again
  sfence.vma
  ENTER_MODE 1, 1f
1: li s0, VBASE + 0x200000
  ld a0, 0(s0)
  CHECK a0, 0x1111
  BACK_TO_M 2f
2: la t0, pt_l1
  li t1, (0x80600 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t1, 8(t0)
  ENTER_MODE 1, 3f
3: li a1, VBASE + 0x201000
  sfence.vma a1
  ld a0, 0(s0)
  CHECK a0, 0x2222
  BACK_TO_M 4f
4: csrw satp, zero
  j pass

.align 12
code_page:
  li a0, 42
  li t6, 0x40005000
  auipc t5, 0
  bltu t5, t6, 1f
  bgeu t5, t6, 2f
1: ret
2: mv a1, a0 // running as U at VBASE + 0x5000: a1 = 42, back to M at s1
  mv a0, s1
  li a7, TO_M
  ecall

.section .data
.align 12
pt_root: .space 4096
pt_l1: .space 4096
pt_l0: .space 4096
pt_root48: .space 4096
data_page: .space 4096
