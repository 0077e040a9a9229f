// Address-space identifiers (priv spec 4.1.11 "satp", 4.2.1 "SFENCE.VMA"): satp.ASID holds 16
// bits; the same virtual page maps to different pages under ASIDs 1 and 2 and every satp write
// (without a fence) sees its own mapping; a global mapping (PTE.G) is the same in both; each
// rs1/rs2 form of sfence.vma invalidates what the spec says it must. The last tests (our core
// only: the spec allows but does not require a TLB to keep entries) check that the core keeps
// what the spec lets it keep: other ASIDs' entries across satp writes and fences, global entries
// across fences with an ASID.
#include "harness.h"
#define VX 0x400f0000 /* the per-ASID page: TLB index 0xf0, clear of the program's own pages */
#define VG 0x400f1000 /* the global page */
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_G 32
#define PTE_A 64
#define PTE_D 128
#define LEAF (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

.macro SET_PTE slot, target, flags
  la t0, \slot
  la t1, \target
  srli t1, t1, 12
  slli t1, t1, 10
  ori t1, t1, \flags
  sd t1, 0(t0)
.endm

// \root: identity gigapages for MMIO (VPN2 0) and RAM (VPN2 2); VPN2 1 -> \l1 -> \l0, where
// VX -> \page and VG -> pg (global)
.macro TABLES root, l1, l0, page
  la t0, \root
  li t1, (0 << 10) | LEAF
  sd t1, 0(t0)
  li t1, (0x80000 << 10) | LEAF | PTE_X
  sd t1, 16(t0)
  SET_PTE \root + 8, \l1, PTE_V
  SET_PTE \l1, \l0, PTE_V
  SET_PTE \l0 + 0xf0 * 8, \page, LEAF
  SET_PTE \l0 + 0xf1 * 8, pg, LEAF | PTE_G
.endm

// satp = Sv39, \asid, \root (no fence)
.macro SATP root, asid
  la t0, \root
  srli t0, t0, 12
  li t1, (8 << 60) | (\asid << 44)
  or t0, t0, t1
  csrw satp, t0
.endm

// \reg = the doubleword at virtual address \va
.macro LOADV reg, va
  li t0, \va
  ld \reg, 0(t0)
.endm

tests:
  TEST 1 // satp.ASID is 16 bits wide and holds what is written
  TABLES root_1, l1_1, l0_1, p1
  TABLES root_2, l1_2, l0_2, p2
  la t0, root_1
  srli t0, t0, 12
  li t1, (8 << 60) | (0xffff << 44)
  or s1, t0, t1
  csrw satp, s1
  csrr a0, satp
  bne a0, s1, fail
  sfence.vma // the new tables are visible from here on
  ENTER_MODE 1, 1f
1:
  TEST 2 // the same address under ASIDs 1 and 2, switched by satp writes alone
  SATP root_1, 1
  LOADV a0, VX
  CHECK a0, 1
  SATP root_2, 2
  LOADV a0, VX
  CHECK a0, 2
  SATP root_1, 1
  LOADV a0, VX
  CHECK a0, 1
  LOADV a0, VG
  CHECK a0, 0x10
  SATP root_2, 2
  LOADV a0, VG
  CHECK a0, 0x10

  TEST 3 // sfence.vma x0, asid: that ASID's translations are walked again
  SET_PTE l0_1 + 0xf0 * 8, p3, LEAF
  li s2, 1
  sfence.vma x0, s2
  SATP root_1, 1
  LOADV a0, VX
  CHECK a0, 3

  TEST 4 // sfence.vma va, asid: that page of that ASID
  SET_PTE l0_2 + 0xf0 * 8, p4, LEAF
  SATP root_2, 2
  li s2, 2
  li s3, VX
  sfence.vma s3, s2
  LOADV a0, VX
  CHECK a0, 4

  TEST 5 // sfence.vma va, x0: the page in every address space, global mappings included
  SATP root_1, 1
  LOADV a0, VG
  CHECK a0, 0x10
  SET_PTE l0_1 + 0xf1 * 8, pg2, LEAF | PTE_G
  SET_PTE l0_2 + 0xf1 * 8, pg2, LEAF | PTE_G
  li s3, VG
  sfence.vma s3, x0
  LOADV a0, VG
  CHECK a0, 0x20
  SATP root_2, 2
  LOADV a0, VG
  CHECK a0, 0x20

  TEST 6 // a global mapping changed in both tables: sfence.vma x0, x0 drops it everywhere
  SET_PTE l0_1 + 0xf1 * 8, pg, LEAF | PTE_G
  SET_PTE l0_2 + 0xf1 * 8, pg, LEAF | PTE_G
  sfence.vma
  LOADV a0, VG
  CHECK a0, 0x10
  SATP root_1, 1
  LOADV a0, VG
  CHECK a0, 0x10

#ifndef QEMU_PEER
  TEST 7 // a satp write keeps the other ASID's translations (no fence: the old one stays)
  LOADV a0, VX // ASID 1: p3, cached
  CHECK a0, 3
  SET_PTE l0_1 + 0xf0 * 8, p1, LEAF
  SATP root_2, 2
  LOADV a0, VX
  CHECK a0, 4
  SATP root_1, 1
  LOADV a0, VX
  CHECK a0, 3

  TEST 8 // sfence.vma with another ASID (all pages, then one page) keeps ASID 1's entry
  li s2, 2
  sfence.vma x0, s2
  li s3, VX
  sfence.vma s3, s2
  LOADV a0, VX
  CHECK a0, 3

  TEST 9 // sfence.vma with an ASID keeps global entries, drops that ASID's own
  LOADV a0, VG // cached: pg
  CHECK a0, 0x10
  SET_PTE l0_1 + 0xf1 * 8, pg2, LEAF | PTE_G
  SET_PTE l0_2 + 0xf1 * 8, pg2, LEAF | PTE_G
  li s2, 1
  sfence.vma x0, s2
  LOADV a0, VG
  CHECK a0, 0x10
  LOADV a0, VX
  CHECK a0, 1
  li s3, VG
  sfence.vma s3, s2
  LOADV a0, VG
  CHECK a0, 0x10
  sfence.vma s3, x0
  LOADV a0, VG
  CHECK a0, 0x20
#endif
  BACK_TO_M 2f
2:
  j pass

.section .data
.align 12
root_1: .space 4096
l1_1: .space 4096
l0_1: .space 4096
root_2: .space 4096
l1_2: .space 4096
l0_2: .space 4096
p1: .dword 1
.align 12
p2: .dword 2
.align 12
p3: .dword 3
.align 12
p4: .dword 4
.align 12
pg: .dword 0x10
.align 12
pg2: .dword 0x20
.align 12
