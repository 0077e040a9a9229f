// Instruction fetch across 4 KiB pages whose physical frames are not neighbours (priv spec 4.3:
// each page translates on its own). A jump from page B back to the last halfword of the page
// before it (A + 0xffe) must fetch through A's translation. The core once reused B's cached
// translation there, fetching B's physical frame - 2: the last halfword of whatever frame lies
// below B (here `decoy`), as Linux showed when glibc's strftime called itself across such a
// page boundary and ran with a wrong stack pointer.
#include "harness.h"
#define VBASE 0x40000000
#define PAGE_A (VBASE + 0x1000)
#define PAGE_B (VBASE + 0x2000)
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128

.macro SET_PTE slot, target, flags
  la t0, \slot
  la t1, \target
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, \flags
  sd t1, 0(t0)
.endm

tests:
  TEST 1 // Sv39: identity gigapages for MMIO and RAM; A -> code_a, B -> code_b (not adjacent)
  la t0, pt_root
  li t1, (0 << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t1, 0(t0)
  li t1, (0x80000 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
  sd t1, 16(t0)
  SET_PTE pt_root + 8, pt_l1, PTE_V
  SET_PTE pt_l1, pt_l0, PTE_V
  SET_PTE pt_l0 + 1*8, code_a, PTE_V | PTE_X | PTE_A
  SET_PTE pt_l0 + 2*8, code_b, PTE_V | PTE_X | PTE_A
  SET_PTE pt_l0 + 5*8, code_a, PTE_V | PTE_X | PTE_U | PTE_A
  SET_PTE pt_l0 + 6*8, code_b, PTE_V | PTE_X | PTE_U | PTE_A
  la a0, pt_root
  srli a0, a0, 12
  li a1, 8 << 60
  or a0, a0, a1
  csrw satp, a0
  sfence.vma

  TEST 2 // S-mode: run in B, jump back to A + 0xffe (c.addi a0, 1), fall through into B
  la s1, 1f
  li a0, 0
  ENTER_MODE 1, PAGE_B + 0x100
1: CHECK a1, 1 // 2: the decoy's halfword ran instead of A's

  TEST 3 // the same in U-mode through the U mappings of the same frames (pages 5 and 6)
  la s1, 2f
  li a0, 0
  ENTER_MODE 0, VBASE + 0x6100
2: CHECK a1, 1
  csrw satp, zero
  j pass

// Physical order: code_a, decoy, code_b. B's frame - 2 is the decoy's last halfword.
.align 12
code_a:
  .fill 0x7ff, 2, 0x0001 // c.nop up to A + 0xffe
  c.addi a0, 1 // A + 0xffe: the next instruction is B + 0
.align 12
decoy:
  .fill 0x7ff, 2, 0x0001
  c.addi a0, 2 // what a fetch through B's frame at offset -2 finds
code_b: // B + 0, right after A's last instruction: a1 = the result, continue in M at s1
  mv a1, a0
  mv a0, s1
  li a7, TO_M
  ecall
.org code_b + 0x100
b_entry: // B + 0x100: jump to the last halfword of the page below this one
  auipc a2, 0
  srli a2, a2, 12
  slli a2, a2, 12
  addi a2, a2, -2
  jr a2
.org code_b + 0x200
.align 12

.section .data
.align 12
pt_root: .space 4096
pt_l1: .space 4096
pt_l0: .space 4096
