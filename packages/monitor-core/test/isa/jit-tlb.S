#include "harness.h"
// The TLBs' size (cpu/layout.ts TLB_ENTRIES) as translated code meets it: a loop in S-mode under
// Sv39 loads and stores to four data pages whose virtual page numbers are PAGES_APART apart.
// With 256-entry direct-mapped TLBs they shared an entry, evicted each other on every access
// and made translated code leave for the interpreter at each one (as a busybox data page and a
// heap page did in the bundled guest's shell loop, bench/RESULTS.md); cpu-jit-tlb.test.ts checks
// from --stats that the loop now stays translated. Then the flushes that empty TLBs through
// their lists of filled entries (cpu/mmu.ts): megapages are swapped in the page table after a
// few pages, and after more pages than a list holds, and after `sfence.vma` (priv spec 4.2.1)
// every load must see the new mapping.
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_A 64
#define PTE_D 128
#define PTE_RWAD (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define DATA 0x80400000 /* 4 MiB into RAM, above the image */
#define PAGES_APART 0x100
#ifndef ROUNDS
#define ROUNDS 1000000
#endif
#define VBASE 0x40000000 /* VPN2 1: eight megapages through l1 */
#define MEGA 0x200000
#define BACKING 0x81000000 /* the megapages' physical memory: 16 MiB into RAM */
#define MANY_PAGES 3000 /* more than a list holds (TLB_FILLED_MAX) */

// Touch \count pages from VBASE on with loads (filling \count read-TLB entries).
.macro TOUCH count
  li t0, VBASE
  li t1, \count
  li t2, 0x1000
9:
  ld t3, 0(t0)
  add t0, t0, t2
  addi t1, t1, -1
  bnez t1, 9b
.endm

// l1[0] and l1[1] (VBASE and VBASE + MEGA) change places, then sfence.vma x0, x0.
.macro SWAP_FIRST_TWO
  la t0, l1
  ld t1, 0(t0)
  ld t2, 8(t0)
  sd t2, 0(t0)
  sd t1, 8(t0)
  sfence.vma
.endm

tests:
  TEST 1
  // root: identity gigapages for MMIO (VPN2 0) and RAM (VPN2 2); VPN2 1 -> l1, whose first
  // eight entries map megapage i to BACKING + i * MEGA.
  la t0, root
  li t1, (0 << 10) | PTE_RWAD
  sd t1, 0(t0)
  li t1, (0x80000 << 10) | PTE_RWAD | PTE_X
  sd t1, 16(t0)
  la t1, l1
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, PTE_V
  sd t1, 8(t0)
  la t0, l1
  li t1, ((BACKING >> 12) << 10) | PTE_RWAD
  li t2, (MEGA >> 12) << 10
  li t3, 8
1:
  sd t1, 0(t0)
  add t1, t1, t2
  addi t0, t0, 8
  addi t3, t3, -1
  bnez t3, 1b
  // Each megapage's first word holds its number.
  li t0, BACKING
  li t1, 0
  li t2, MEGA
  li t3, 8
1:
  sd t1, 0(t0)
  add t0, t0, t2
  addi t1, t1, 1
  bne t1, t3, 1b
  la t0, root
  srli t0, t0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  ENTER_MODE 1, 1f
1:
  TEST 2 // four pages PAGES_APART apart in turn, ROUNDS times: each word ends at ROUNDS
  li s0, ROUNDS
  li s1, DATA
  li s2, DATA + PAGES_APART * 0x1000
  li s3, DATA + 2 * PAGES_APART * 0x1000
  li s4, DATA + 3 * PAGES_APART * 0x1000
  sd zero, 0(s1)
  sd zero, 0(s2)
  sd zero, 0(s3)
  sd zero, 0(s4)
2:
  ld t0, 0(s1)
  addi t0, t0, 1
  sd t0, 0(s1)
  ld t0, 0(s2)
  addi t0, t0, 1
  sd t0, 0(s2)
  ld t0, 0(s3)
  addi t0, t0, 1
  sd t0, 0(s3)
  ld t0, 0(s4)
  addi t0, t0, 1
  sd t0, 0(s4)
  addi s0, s0, -1
  bnez s0, 2b
  ld t0, 0(s1)
  CHECK t0, ROUNDS
  ld t0, 0(s4)
  CHECK t0, ROUNDS

  TEST 3 // a remap after a few pages were cached
  TOUCH 4
  li s1, VBASE
  li s2, VBASE + MEGA
  ld t0, 0(s1)
  CHECK t0, 0
  SWAP_FIRST_TWO
  ld t0, 0(s1)
  CHECK t0, 1
  ld t0, 0(s2)
  CHECK t0, 0

  TEST 4 // and after more pages than a list holds (its group is then cleared whole)
  TOUCH MANY_PAGES
  ld t0, 0(s1)
  CHECK t0, 1
  SWAP_FIRST_TWO
  ld t0, 0(s1)
  CHECK t0, 0
  ld t0, 0(s2)
  CHECK t0, 1
  j pass

.section .data
.align 12
root: .space 4096
l1: .space 4096
