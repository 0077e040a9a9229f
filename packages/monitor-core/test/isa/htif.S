// HTIF (riscv-tests convention), run only on colinux-bare-metal (QEMU's virt has no HTIF):
// console putchar through tohost (device 1, command 1), then tohost = 1 for pass.
.section .text.init
.globl _start
_start:
  la s0, message
1: lbu a0, 0(s0)
  beqz a0, 2f
  li t0, (1 << 56) | (1 << 48)
  or t0, t0, a0
  la t1, tohost
  sd t0, 0(t1)
3: ld t2, 0(t1) // the host clears tohost once the byte is out
  bnez t2, 3b
  addi s0, s0, 1
  j 1b
2: li t0, 1
  la t1, tohost
  sd t0, 0(t1)
4: j 4b

.section .rodata
message: .asciz "PASS\n"

.section .tohost, "aw", @progbits
.align 6
.globl tohost
tohost: .dword 0
.align 6
.globl fromhost
fromhost: .dword 0
