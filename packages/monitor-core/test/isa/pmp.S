// Physical memory protection (priv spec 3.7): 16 entries, TOR, NA4 and NAPOT matching, R/W/X,
// the lowest-numbered matching entry decides and must match every byte of the access, M-mode
// loads with MPRV are checked with MPP's privilege, S/U accesses that match no entry fail,
// M-mode obeys only locked entries, locked entries ignore
// writes (and a locked TOR entry protects the address below it), page-table walks are checked as
// S-mode reads, and violations are access faults (1, 5, 7), never page faults. Also what our TLBs
// must respect: a PMP write takes effect on pages already cached, and a page PMP divides is
// checked on every access (data and instruction fetch).
#include "harness.h"
#define VBASE 0x40000000
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128
#define LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
// pmpcfg fields
#define R 1
#define W 2
#define X 4
#define TOR 0x08
#define NA4 0x10
#define NAPOT 0x18
#define L 0x80
#define ALLOW_ALL_15 (0x1f << 56) /* entry 15 (pmpcfg2 byte 7): NAPOT RWX */
#define CAUSE_FETCH 1
#define CAUSE_LOAD 5
#define CAUSE_STORE 7

// pmpaddr \csr = address of \label + \off (bits 55:2)
.macro PMP_AT csr, label, off
  la t0, \label + \off
  srli t0, t0, 2
  csrw \csr, t0
.endm
// pmpaddr \csr = NAPOT range of \size bytes (a power of two, 8..16384) at \label
.macro PMP_RANGE csr, label, size
  la t0, \label
  srli t0, t0, 2
  ori t0, t0, (\size >> 3) - 1
  csrw \csr, t0
.endm
// entry \n's configuration byte = \value (entries 0-7 in pmpcfg0, 8-15 in pmpcfg2)
.macro PMP_CFG n, value
  .if \n < 8
  li t0, 0xff << (8 * \n)
  csrc pmpcfg0, t0
  li t0, (\value) << (8 * \n)
  csrs pmpcfg0, t0
  .else
  li t0, 0xff << (8 * (\n - 8))
  csrc pmpcfg2, t0
  li t0, (\value) << (8 * (\n - 8))
  csrs pmpcfg2, t0
  .endif
.endm
// Expect a load (or store) at \label + \off to trap with \cause and mtval = its address
.macro LOAD_FAULTS label, off, cause
  la s1, \label + \off
  ld a0, 0(s1)
  CHECK_MTRAP \cause
  CHECK_MTVAL_REG s1
.endm
.macro STORE_FAULTS label, off
  la s1, \label + \off
  sd zero, 0(s1)
  CHECK_MTRAP CAUSE_STORE
  CHECK_MTVAL_REG s1
.endm
.macro LOAD_OK label, off
  la s1, \label + \off
  ld a0, 0(s1)
  CHECK_MTRAP 0
.endm
.macro STORE_OK label, off
  la s1, \label + \off
  sd zero, 0(s1)
  CHECK_MTRAP 0
.endm
.macro CHECK_MTVAL_REG reg
  la t6, m_tval
  ld t6, 0(t6)
  bne t6, \reg, fail
.endm

tests:
  TEST 1 // the allow-all entry moves to 15 (lowest priority); the CSRs hold what is written
  li t0, -1
  csrw pmpaddr15, t0
  li t0, ALLOW_ALL_15
  csrw pmpcfg2, t0
  csrw pmpcfg0, zero
  csrr a0, pmpcfg2
  CHECK a0, ALLOW_ALL_15
  li t0, 0x12345678
  csrw pmpaddr3, t0
  csrr a0, pmpaddr3
  CHECK a0, 0x12345678
  csrw pmpaddr3, zero
#ifndef QEMU_PEER // QEMU 7.2 keeps all 64 bits of pmpaddr and the reserved cfg bits
  csrr a0, pmpaddr15
  CHECK a0, (1 << 54) - 1
  li t0, 0x7f // bits 5 and 6 are reserved
  csrw pmpcfg0, t0
  csrr a0, pmpcfg0
  CHECK a0, 0x1f
  csrw pmpcfg0, zero
#endif
  csrr a0, pmpcfg1 // RV64 has no odd pmpcfg: illegal
  CHECK_MTRAP 2

  TEST 2 // TOR: entry 1 covers [pmpaddr0, pmpaddr1) read-only; M (no L) is not bound by it
  PMP_AT pmpaddr0, r_tor, 0
  PMP_AT pmpaddr1, r_tor, 4096
  PMP_CFG 1, TOR | R
  ENTER_MODE 1, 1f
1: LOAD_OK r_tor, 0
  CHECK a0, 0x70
  STORE_FAULTS r_tor, 8
  STORE_FAULTS r_tor, 4088
  STORE_OK r_tor, 4096
  BACK_TO_M 1f
1: STORE_OK r_tor, 8

  TEST 3 // NAPOT: 8 KiB without any permission
  PMP_RANGE pmpaddr2, r_napot, 8192
  PMP_CFG 2, NAPOT
  ENTER_MODE 1, 1f
1: LOAD_FAULTS r_napot, 0, CAUSE_LOAD
  LOAD_FAULTS r_napot, 8184, CAUSE_LOAD
  STORE_FAULTS r_napot, 4096
  LOAD_OK r_napot, 8192
  BACK_TO_M 1f
1: LOAD_OK r_napot, 0
  li t0, 3 << 11 // M-mode loads with MPRV = 1 and MPP = S are checked as S-mode ones
  csrc mstatus, t0
  li t0, (1 << 17) | (1 << 11)
  csrs mstatus, t0
  LOAD_FAULTS r_napot, 0, CAUSE_LOAD // (the trap sets MPP = M: the handler's own accesses are M's)
  li t0, 1 << 17
  csrc mstatus, t0
  LOAD_OK r_napot, 0

  TEST 4 // NA4: 4 bytes; an access that matches only some of its bytes fails whatever the bits
  PMP_AT pmpaddr3, r_na4, 8
  PMP_CFG 3, NA4 | R | W | X
  PMP_AT pmpaddr4, r_na4, 16
  PMP_CFG 4, NA4
  ENTER_MODE 1, 1f
1: la s1, r_na4 + 8
  lw a0, 0(s1)
  CHECK_MTRAP 0
  CHECK a0, 0x55
  LOAD_FAULTS r_na4, 8, CAUSE_LOAD // 8 bytes, 4 of them in entry 3
  la s1, r_na4 + 16
  lw a0, 0(s1)
  CHECK_MTRAP CAUSE_LOAD
  CHECK_MTVAL_REG s1
  la s1, r_na4 + 12
  lw a0, 0(s1)
  CHECK_MTRAP 0
  la s1, r_na4 + 20
  lw a0, 0(s1)
  CHECK_MTRAP 0
  BACK_TO_M 1f
1:
  TEST 5 // priority: the lowest-numbered matching entry decides
  PMP_RANGE pmpaddr5, r_prio, 4096
  PMP_CFG 5, NAPOT | R | W
  PMP_RANGE pmpaddr6, r_prio, 4096
  PMP_CFG 6, NAPOT
  PMP_RANGE pmpaddr7, r_prio2, 4096
  PMP_CFG 7, NAPOT
  PMP_RANGE pmpaddr8, r_prio2, 4096
  PMP_CFG 8, NAPOT | R | W
  ENTER_MODE 1, 1f
1: LOAD_OK r_prio, 0
  STORE_OK r_prio, 0
  LOAD_FAULTS r_prio2, 0, CAUSE_LOAD
  BACK_TO_M 1f
1:
  TEST 6 // a page PMP divides: checked on every access, not cached whole
  PMP_AT pmpaddr9, r_div, 0
  PMP_AT pmpaddr10, r_div, 0x800
  PMP_CFG 10, TOR
  PMP_AT pmpaddr11, code_div, 0x800
  PMP_AT pmpaddr12, code_div, 0x1000
  PMP_CFG 12, TOR | R
  ENTER_MODE 1, 1f
1: LOAD_OK r_div, 0x800
  LOAD_FAULTS r_div, 0, CAUSE_LOAD
  LOAD_OK r_div, 0x808
  LOAD_FAULTS r_div, 0x7f8, CAUSE_LOAD
  STORE_OK r_div, 0x808
  STORE_FAULTS r_div, 8
  STORE_OK r_div, 0x800
  STORE_FAULTS r_div, 0
  li s3, 1000 // code in the allowed half, often enough to be translated
  li s4, 0
2: la t0, code_div
  jalr ra, 0(t0)
  add s4, s4, a0
  addi s3, s3, -1
  bnez s3, 2b
  CHECK s4, 1000
  M_RESUME 3f
  la s1, code_div + 0x800
  jalr ra, 0(s1)
3: CHECK_MTRAP CAUSE_FETCH
  CHECK_MTVAL_REG s1
  la t0, code_div // the allowed half still runs
  jalr ra, 0(t0)
  CHECK a0, 1
  BACK_TO_M 1f
1:
  TEST 7 // a PMP write takes effect on a page S-mode has just used
  ENTER_MODE 1, 1f
1: LOAD_OK r_late, 0
  BACK_TO_M 1f
1: PMP_RANGE pmpaddr13, r_late, 4096
  PMP_CFG 13, NAPOT
  ENTER_MODE 1, 1f
1: LOAD_FAULTS r_late, 0, CAUSE_LOAD
  BACK_TO_M 1f
1:
  TEST 8 // page-table walks are S-mode reads: a walk PMP denies is an access fault
  la t0, pt_root
  li t1, (0 << 10) | LEAF
  sd t1, 0(t0)
  li t1, (0x80000 << 10) | LEAF
  sd t1, 16(t0)
  la t1, pt_l1
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, PTE_V
  sd t1, 8(t0)
  la t0, pt_l1
  la t1, pt_l0
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, PTE_V
  sd t1, 0(t0)
  la t0, pt_l0
  la t1, code_ok
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, LEAF
  sd t1, 0(t0)
  la t1, r_napot // denied by entry 2
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, LEAF
  sd t1, 8(t0)
  la t0, pt_root
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  PMP_RANGE pmpaddr14, pt_l0, 4096
  PMP_CFG 14, NAPOT
  ENTER_MODE 1, 1f
1: li s1, VBASE
  ld a0, 0(s1)
  CHECK_MTRAP CAUSE_LOAD
  CHECK_MTVAL_REG s1
  sd zero, 0(s1)
  CHECK_MTRAP CAUSE_STORE
  M_RESUME 2f
  jalr ra, 0(s1)
2: CHECK_MTRAP CAUSE_FETCH
  CHECK_MTVAL_REG s1
  BACK_TO_M 1f
1: PMP_CFG 14, 0
  ENTER_MODE 1, 1f
1: li s1, VBASE // the same walk, allowed now
  jalr ra, 0(s1)
  CHECK a0, 7
  li s1, VBASE + 4096 // a walk to a page PMP denies
  ld a0, 0(s1)
  CHECK_MTRAP CAUSE_LOAD
  CHECK_MTVAL_REG s1
  BACK_TO_M 1f
1: csrw satp, zero
  sfence.vma

  TEST 9 // S-mode accesses that match no entry fail; M-mode ones pass
  li t0, (0x80000000 >> 2) | ((0x8000000 >> 3) - 1) // entry 15: RAM (128 MiB) only
  csrw pmpaddr15, t0
  li s1, MTIME
  ld a0, 0(s1)
  CHECK_MTRAP 0
  ENTER_MODE 1, 1f
1: li s1, MTIME
  ld a0, 0(s1)
  CHECK_MTRAP CAUSE_LOAD
  CHECK_MTVAL_REG s1
  BACK_TO_M 1f
1:
#ifndef QEMU_PEER // QEMU 7.2 refuses mret to S/U while no PMP entry is on (illegal instruction)
  // every entry off: S-mode cannot even fetch
  csrw pmpcfg0, zero
  csrw pmpcfg2, zero
  la t0, 2f
  csrw mtvec, t0
  ENTER_MODE 1, 1f
1: j fail
.align 2
2: csrr a0, mcause
  CHECK a0, CAUSE_FETCH
  csrr a0, mtval
  la a1, 1b
  bne a0, a1, fail
  la t0, m_trap
  csrw mtvec, t0
#endif
  li t0, -1
  csrw pmpaddr15, t0
  li t0, ALLOW_ALL_15
  csrw pmpcfg2, t0

  TEST 10 // L: M-mode obeys a locked entry, and writes to it are ignored until reset
  PMP_RANGE pmpaddr0, r_lock, 4096
  PMP_CFG 0, NAPOT | R | L
  LOAD_OK r_lock, 0
  STORE_FAULTS r_lock, 0
  csrw pmpcfg0, zero
  csrr a0, pmpcfg0
  CHECK a0, NAPOT | R | L
  csrw pmpaddr0, zero
  csrr a0, pmpaddr0
  beqz a0, fail
  PMP_AT pmpaddr1, r_lock2, 0 // a locked TOR entry 2 also locks pmpaddr1, its lower bound
  PMP_AT pmpaddr2, r_lock2, 4096
  PMP_CFG 2, TOR | R | L
  csrw pmpaddr1, zero
  csrr a0, pmpaddr1
  beqz a0, fail
  STORE_FAULTS r_lock2, 16
  ENTER_MODE 1, 1f
1: LOAD_OK r_lock, 0
  STORE_FAULTS r_lock, 8
  BACK_TO_M 1f
1: j pass

// Executable pages for tests 6 and 8.
.align 12
code_div:
  li a0, 1
  ret
.skip 0x800 - 8
  li a0, 2
  ret
.align 12
code_ok:
  li a0, 7
  ret

.section .data
.align 13
r_napot: .space 8192
r_napot_after: .space 4096
r_tor: .dword 0x70
.space 4096 - 8
.space 4096
r_na4: .dword 0, 0x55
.align 12
r_prio: .space 4096
r_prio2: .space 4096
r_div: .space 4096
r_late: .space 4096
r_lock: .space 4096
r_lock2: .space 4096
pt_root: .space 4096
pt_l1: .space 4096
pt_l0: .space 4096
