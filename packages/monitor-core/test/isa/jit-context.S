#include "harness.h"
// The translator (cpu/jit.ts) and address-space changes: one virtual page maps, under two page
// tables, two physical pages holding different code. A function at that address is called
// often enough under each table to be translated; after every satp write + sfence.vma (priv
// spec 4.2.1) the calls must run the code of the current mapping, never a block translated
// for the other one. Then the tables get ASIDs 1 and 2 and satp writes alone (no fence: each
// ASID's translations stay cached, priv spec 4.1.11) switch between them, also on every call.
#define VBASE 0x40000000
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128
#define CALLS 30000

.macro SET_PTE slot, target, flags
  la t0, \slot
  la t1, \target
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, \flags
  sd t1, 0(t0)
.endm

// a0 = the sum of CALLS calls of the function at VBASE (S-mode, through the current satp)
.macro CALL_MANY
  li s3, CALLS
  li a1, 0
9:
  li t0, VBASE
  jalr ra, 0(t0)
  add a1, a1, a0
  addi s3, s3, -1
  bnez s3, 9b
  mv a0, a1
.endm

// \root: identity gigapages for MMIO (VPN2 0) and RAM (VPN2 2), VBASE -> \l1 -> \l0 -> \code
.macro TABLES root, l1, l0, code
  la t0, \root
  li t1, (0 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t1, 0(t0)
  li t1, (0x80000 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  sd t1, 16(t0)
  SET_PTE \root + 8, \l1, PTE_V
  SET_PTE \l1, \l0, PTE_V
  SET_PTE \l0, \code, PTE_V | PTE_R | PTE_X | PTE_A
.endm

.macro USE root
  la t0, \root
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
.endm

// satp = Sv39 with ASID \asid over \root, without a fence
.macro USE_ASID root, asid
  la t0, \root
  srli t0, t0, 12
  li t1, (8 << 60) | (\asid << 44)
  or t0, t0, t1
  csrw satp, t0
.endm

tests:
  TEST 1
  TABLES root_a, l1_a, l0_a, code_a
  TABLES root_b, l1_b, l0_b, code_b
  ENTER_MODE 1, 1f
1:
  TEST 2 // under table A the function returns 1
  USE root_a
  CALL_MANY
  CHECK a0, CALLS

  TEST 3 // the same address under table B runs B's code (returns 2)
  USE root_b
  CALL_MANY
  CHECK a0, 2 * CALLS

  TEST 4 // and back: A's code again
  USE root_a
  CALL_MANY
  CHECK a0, CALLS

  TEST 5 // B once more, now that both have been translated
  USE root_b
  CALL_MANY
  CHECK a0, 2 * CALLS

  TEST 6 // ASID 1 over table A, ASID 2 over table B, switched by satp writes alone
  sfence.vma
  USE_ASID root_a, 1
  CALL_MANY
  CHECK a0, CALLS
  USE_ASID root_b, 2
  CALL_MANY
  CHECK a0, 2 * CALLS
  USE_ASID root_a, 1
  CALL_MANY
  CHECK a0, CALLS
  USE_ASID root_b, 2
  CALL_MANY
  CHECK a0, 2 * CALLS

  TEST 7 // both ASIDs in turn on every call
  li s3, CALLS
  li a1, 0
1:
  USE_ASID root_a, 1
  li t0, VBASE
  jalr ra, 0(t0)
  add a1, a1, a0
  USE_ASID root_b, 2
  li t0, VBASE
  jalr ra, 0(t0)
  add a1, a1, a0
  addi s3, s3, -1
  bnez s3, 1b
  CHECK a1, 3 * CALLS
  j pass

.align 12
code_a:
  li a0, 1
  ret
.align 12
code_b:
  li a0, 2
  ret

.section .data
.align 12
root_a: .space 4096
l1_a: .space 4096
l0_a: .space 4096
root_b: .space 4096
l1_b: .space 4096
l0_b: .space 4096
