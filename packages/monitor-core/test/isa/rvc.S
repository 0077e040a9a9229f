// RV64C: every compressed instruction class, written with explicit c.* mnemonics so the
// assembler cannot choose the 32-bit form (unpriv spec ch. 16).
#include "harness.h"
tests:
  TEST 1 // immediates and register moves
  c.li a0, -32
  CHECK a0, -32
  c.li a1, 31
  c.addi a1, -1
  CHECK a1, 30
  c.lui a2, 0xfffff
  CHECK a2, 0xfffffffffffff000
  c.lui a2, 1
  CHECK a2, 0x1000
  c.mv a3, a1
  CHECK a3, 30
  c.add a3, a1
  CHECK a3, 60
  li a4, 0x7fffffff
  c.addiw a4, 1
  CHECK a4, -0x80000000
  c.nop

  TEST 2 // stack-pointer forms
  mv s0, sp
  c.addi16sp sp, -64
  addi a0, s0, -64
  bne sp, a0, fail
  c.addi4spn a1, sp, 16
  addi a0, sp, 16
  bne a1, a0, fail
  li a2, 0x1122334455667788
  c.sdsp a2, 8(sp)
  c.ldsp a3, 8(sp)
  bne a3, a2, fail
  c.swsp a2, 4(sp)
  c.lwsp a3, 4(sp)
  CHECK a3, 0x55667788
  c.addi16sp sp, 64
  bne sp, s0, fail

  TEST 3 // register-based loads and stores (x8..x15)
  la s0, buffer
  li s1, -2
  c.sd s1, 8(s0)
  c.ld a5, 8(s0)
  CHECK a5, -2
  c.sw s1, 16(s0)
  c.lw a5, 16(s0)
  CHECK a5, -2
  lwu a5, 16(s0)
  CHECK a5, 0xfffffffe

  TEST 4 // ALU on x8..x15
  li s0, 0xf0
  li s1, 0x3c
  mv a0, s0
  c.and a0, s1
  CHECK a0, 0x30
  mv a0, s0
  c.or a0, s1
  CHECK a0, 0xfc
  mv a0, s0
  c.xor a0, s1
  CHECK a0, 0xcc
  mv a0, s0
  c.sub a0, s1
  CHECK a0, 0xb4
  li a0, 0x80000000
  c.addw a0, s1
  CHECK a0, 0xffffffff8000003c
  li a0, 0
  c.subw a0, s1
  CHECK a0, -0x3c
  li a0, -16
  c.srli a0, 60
  CHECK a0, 15
  li a0, -16
  c.srai a0, 2
  CHECK a0, -4
  li a0, 0xff
  c.andi a0, -16
  CHECK a0, 0xf0
  li a1, 3
  c.slli a1, 62
  CHECK a1, 0xc000000000000000

  TEST 5 // jumps and branches
  li s0, 0
  c.beqz s0, 1f
  j fail
1: c.bnez s0, fail_far
  li s0, 1
  c.bnez s0, 1f
  j fail
1: c.j 1f
  j fail
1: la a0, 2f
  c.jr a0
  j fail
2: la a0, 3f
  c.jalr a0
4: j 5f
3: la a1, 4b // c.jalr links pc + 2
  bne ra, a1, fail
  ret
5:

  TEST 6 // c.ebreak traps with cause 3 and skips 2 bytes
  c.ebreak
  CHECK_MTRAP 3

  TEST 7 // the all-zero halfword is illegal, mtval = 0
  M_RESUME 1f
  .half 0
  j fail
1: CHECK_MTRAP 2
  CHECK_MTVAL 0

  TEST 8 // reserved c.addi4spn-like / c.lwsp rd=0 encodings are illegal with the 16 bits in mtval
  M_RESUME 1f
  .half 0x4002 // c.lwsp x0
  j fail
1: CHECK_MTRAP 2
  CHECK_MTVAL 0x4002

  TEST 9 // c.fsdsp / c.fldsp / c.fsd / c.fld
  li a0, 0x4009000000000000
  fmv.d.x fa0, a0
  c.addi16sp sp, -32
  c.fsdsp fa0, 8(sp)
  c.fldsp fa1, 8(sp)
  fmv.x.d a1, fa1
  bne a1, a0, fail
  mv s0, sp
  c.fsd fa1, 16(s0)
  c.fld fa2, 16(s0)
  fmv.x.d a1, fa2
  bne a1, a0, fail
  c.addi16sp sp, 32
  j pass
fail_far:
  j fail

.section .data
.align 4
buffer: .space 32
