// Entry of the freestanding C benchmarks (bench/c-vs-qemu.ts): a stack, main(), then the SiFive
// test finisher at 0x100000 (QEMU virt's and colinux-bare-metal's) with "pass" (0x5555).
.section .text.init
.globl _start
_start:
  la sp, stack_top
  call main
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
1: j 1b

.section .bss
.align 16
.space 65536
stack_top:
