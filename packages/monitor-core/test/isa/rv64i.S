// RV64I: integer arithmetic, logic, shifts, compares, lui/auipc, branches, jumps, loads/stores
// (every width, sign/zero extension, misaligned without a trap).
#include "harness.h"
tests:
  TEST 1
  li a0, 5
  li a1, -7
  add a2, a0, a1
  CHECK a2, -2
  sub a2, a0, a1
  CHECK a2, 12
  addi a2, a1, 2047
  CHECK a2, 2040
  addiw a2, zero, -1
  CHECK a2, -1
  li a3, 0x7fffffff
  addiw a2, a3, 1
  CHECK a2, -0x80000000
  addw a2, a3, a3
  CHECK a2, -2
  subw a2, zero, a3
  CHECK a2, -0x7fffffff

  TEST 2
  li a0, 0xff00ff00ff00ff00
  li a1, 0x0ff00ff00ff00ff0
  and a2, a0, a1
  CHECK a2, 0x0f000f000f000f00
  or a2, a0, a1
  CHECK a2, 0xfff0fff0fff0fff0
  xor a2, a0, a1
  CHECK a2, 0xf0f0f0f0f0f0f0f0
  andi a2, a0, -16
  CHECK a2, 0xff00ff00ff00ff00
  ori a2, zero, 0x7ff
  CHECK a2, 0x7ff
  xori a2, a0, -1
  CHECK a2, 0x00ff00ff00ff00ff

  TEST 3
  li a0, 0x8000000000000001
  slli a2, a0, 1
  CHECK a2, 2
  srli a2, a0, 63
  CHECK a2, 1
  srai a2, a0, 62
  CHECK a2, -2
  li a1, 65 // shift amounts use the low 6 bits
  sll a2, a0, a1
  CHECK a2, 2
  srl a2, a0, a1
  CHECK a2, 0x4000000000000000
  sra a2, a0, a1
  CHECK a2, 0xc000000000000000
  li a0, 0x80000001
  slliw a2, a0, 1
  CHECK a2, 2
  srliw a2, a0, 31
  CHECK a2, 1
  sraiw a2, a0, 1
  CHECK a2, 0xffffffffc0000000
  li a1, 33 // W shifts use the low 5 bits
  sllw a2, a0, a1
  CHECK a2, 2
  srlw a2, a0, a1
  CHECK a2, 0x40000000
  sraw a2, a0, a1
  CHECK a2, 0xffffffffc0000000

  TEST 4
  li a0, -1
  li a1, 1
  slt a2, a0, a1
  CHECK a2, 1
  sltu a2, a0, a1
  CHECK a2, 0
  slti a2, a0, 0
  CHECK a2, 1
  sltiu a2, a1, -1 // immediate is sign-extended then compared unsigned
  CHECK a2, 1
  sltiu a2, zero, 1 // seqz
  CHECK a2, 1

  TEST 5
  lui a2, 0x80000
  CHECK a2, 0xffffffff80000000
  lui a2, 0x7ffff
  CHECK a2, 0x7ffff000
1: auipc a2, 0
  la a3, 1b
  bne a2, a3, fail
  addi zero, zero, 5 // x0 stays 0
  CHECK zero, 0

  TEST 6 // branches, taken and not taken
  li a0, -2
  li a1, 3
  beq a0, a1, fail
  bne a0, a0, fail
  blt a1, a0, fail
  bge a0, a1, fail
  bltu a0, a1, fail
  bgeu a1, a0, fail
  beq a0, a0, 1f
  j fail
1: bne a0, a1, 1f
  j fail
1: blt a0, a1, 1f
  j fail
1: bge a1, a0, 1f
  j fail
1: bge a1, a1, 1f
  j fail
1: bltu a1, a0, 1f
  j fail
1: bgeu a0, a1, 1f
  j fail
1:

  TEST 7 // jal / jalr link and target
  jal ra, 1f
2: j fail
1: la a2, 2b
  bne ra, a2, fail
  la a3, 3f
  addi a3, a3, 1 // jalr clears bit 0
  jalr a4, 0(a3)
4: j fail
3: la a2, 4b
  bne a4, a2, fail
  la a3, 5f - 8
  jalr zero, 8(a3)
  j fail
5:

  TEST 8 // loads and stores of every width
  la a0, buffer
  li a1, 0x8877665544332211
  sd a1, 0(a0)
  lb a2, 7(a0)
  CHECK a2, 0xffffffffffffff88
  lbu a2, 7(a0)
  CHECK a2, 0x88
  lh a2, 6(a0)
  CHECK a2, 0xffffffffffff8877
  lhu a2, 6(a0)
  CHECK a2, 0x8877
  lw a2, 4(a0)
  CHECK a2, 0xffffffff88776655
  lwu a2, 4(a0)
  CHECK a2, 0x88776655
  ld a2, 0(a0)
  CHECK a2, 0x8877665544332211
  li a1, 0xaabbccdd
  sw a1, 8(a0)
  sh a1, 12(a0)
  sb a1, 14(a0)
  ld a2, 8(a0)
  CHECK a2, 0x00ddccddaabbccdd
  addi a0, a0, 16
  sd zero, -8(a0)
  ld a2, -8(a0)
  CHECK a2, 0

  TEST 9 // misaligned loads and stores complete without a trap
  la a0, buffer
  li a1, 0x0102030405060708
  sd a1, 1(a0)
  ld a2, 1(a0)
  CHECK a2, 0x0102030405060708
  lw a2, 3(a0)
  CHECK a2, 0x03040506
  lh a2, 7(a0)
  CHECK a2, 0x0102
  lbu a2, 1(a0)
  CHECK a2, 0x08
  sw a1, 13(a0)
  lwu a2, 13(a0)
  CHECK a2, 0x05060708
  CHECK_MTRAP 0 // and no trap was taken

  TEST 10 // fence and fence.i are accepted
  fence
  fence rw, rw
  fence.i

  TEST 11 // code written to memory runs after fence.i (Zifencei), also after being rewritten
  la s0, code_buffer
  li a0, 0x00100513 // addi a0, zero, 1
  sw a0, 0(s0)
  li a0, 0x00008067 // ret
  sw a0, 4(s0)
  fence.i
  li a0, 0
  jalr s0
  CHECK a0, 1
  li a0, 0x00200513 // addi a0, zero, 2
  sw a0, 0(s0)
  fence.i
  jalr s0
  CHECK a0, 2
  j pass

.section .data
.align 4
buffer: .space 64
code_buffer: .space 16
