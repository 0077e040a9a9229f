// Shared scaffolding for the bare-metal ISA tests (GNU as + cpp). Each test file includes this,
// then provides `tests:` (entered in M-mode) which ends with `j pass`. Results go to the SiFive
// test finisher (0x5555 pass, 0x3333 | gp << 16 fail, as on QEMU virt) and a line on the UART.
// Conventions: gp holds the current test number; t5/t6 belong to the trap handlers and CHECK.
#define UART 0x10000000
#define FINISHER 0x100000
#define CLINT 0x2000000
#define MTIMECMP (CLINT + 0x4000)
#define MTIME (CLINT + 0xbff8)
#define TO_M 77 /* a7 value of an ecall asking the M handler to continue in M-mode at a0 */

.macro TEST n
  li gp, \n
.endm
// Fail unless \reg == \value (t6 is scratch).
.macro CHECK reg, value
  li t6, \value
  bne \reg, t6, fail
.endm
// Expect the last M-mode trap to have had this mcause (and clear the record).
.macro CHECK_MTRAP cause
  la t6, m_cause
  ld t6, 0(t6)
  li t5, \cause
  bne t6, t5, fail
  la t6, m_cause
  sd zero, 0(t6)
.endm
.macro CHECK_MTVAL value
  la t6, m_tval
  ld t6, 0(t6)
  li t5, \value
  bne t6, t5, fail
.endm
.macro CHECK_STRAP cause
  la t6, s_cause
  ld t6, 0(t6)
  li t5, \cause
  bne t6, t5, fail
  la t6, s_cause
  sd zero, 0(t6)
.endm
.macro CHECK_STVAL value
  la t6, s_tval
  ld t6, 0(t6)
  li t5, \value
  bne t6, t5, fail
.endm
// Resume at \label after the next M (or S) trap instead of skipping the faulting instruction.
.macro M_RESUME label
  la t6, \label
  la t5, m_resume
  sd t6, 0(t5)
.endm
.macro S_RESUME label
  la t6, \label
  la t5, s_resume
  sd t6, 0(t5)
.endm
// Drop from M to privilege \mpp (0 U, 1 S) at \label.
.macro ENTER_MODE mpp, label
  li t6, 3 << 11
  csrc mstatus, t6
  li t6, \mpp << 11
  csrs mstatus, t6
  la t6, \label
  csrw mepc, t6
  mret
.endm
// From S or U: continue in M-mode at \label.
.macro BACK_TO_M label
  la a0, \label
  li a7, TO_M
  ecall
.endm

.section .text.init
.globl _start
_start:
  la sp, stack_top
  // QEMU enforces PMP for S/U: open all of memory (our core accepts and ignores these CSRs).
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  la t0, m_trap
  csrw mtvec, t0
  la t0, s_trap
  csrw stvec, t0
  csrw mie, zero
  csrw medeleg, zero
  csrw mideleg, zero
  li t0, 1 << 13 // FS = Initial so FP tests may run
  csrs mstatus, t0
  li gp, 0
  j tests

// --- M-mode trap handler: record mcause/mtval/mepc, then resume ---
.align 2
m_trap:
  csrr t6, mcause
  bltz t6, m_interrupt
  li t5, 8
  blt t6, t5, 1f
  li t5, 11
  bgt t6, t5, 1f
  li t5, TO_M // ecall from U/S/M asking to continue in M
  bne a7, t5, 1f
  li a7, 0
  li t6, 3 << 11
  csrs mstatus, t6
  li t6, 1 << 7 // MPIE = 0: M continues with interrupts disabled
  csrc mstatus, t6
  csrw mepc, a0
  mret
1:
  la t5, m_cause
  sd t6, 0(t5)
  csrr t6, mtval
  sd t6, 8(t5)
  csrr t6, mepc
  sd t6, 16(t5)
  ld t6, 24(t5)
  beqz t6, 2f
  sd zero, 24(t5)
  csrw mepc, t6
  mret
2: // skip the trapping instruction (2 or 4 bytes)
  csrr t6, mepc
  lhu t5, 0(t6)
  andi t5, t5, 3
  addi t5, t5, -3
  seqz t5, t5
  slli t5, t5, 1
  add t6, t6, t5
  addi t6, t6, 2
  csrw mepc, t6
  mret
m_interrupt:
  la t5, m_cause
  sd t6, 0(t5)
  csrw mie, zero // the test re-arms what it needs
  li t5, -1
  li t6, MTIMECMP
  sd t5, 0(t6)
  li t6, CLINT
  sw zero, 0(t6)
  mret

// --- S-mode trap handler (delegated traps) ---
.align 2
s_trap:
  csrr t6, scause
  bltz t6, s_interrupt
  li t5, 8 // ecall from U with TO_M while U ecalls are delegated: pass it on to M
  bne t6, t5, 1f
  li t5, TO_M
  bne a7, t5, 1f
  ecall
1:
  la t5, s_cause
  sd t6, 0(t5)
  csrr t6, stval
  sd t6, 8(t5)
  csrr t6, sepc
  sd t6, 16(t5)
  ld t6, 24(t5)
  beqz t6, 2f
  sd zero, 24(t5)
  csrw sepc, t6
  sret
2: // skip the trapping instruction (2 or 4 bytes; S code runs identity-mapped)
  csrr t6, sepc
  lhu t5, 0(t6)
  andi t5, t5, 3
  addi t5, t5, -3
  seqz t5, t5
  slli t5, t5, 1
  add t6, t6, t5
  addi t6, t6, 2
  csrw sepc, t6
  sret
s_interrupt:
  la t5, s_cause
  sd t6, 0(t5)
  csrw sie, zero
  li t5, 2
  csrc sip, t5
  sret

// --- results ---
fail:
  la a0, fail_msg
  call puts
  mv a0, gp
  call putdec
  li a0, '\n'
  call putc
  slli t0, gp, 16
  li t1, 0x3333
  or t0, t0, t1
  li t1, FINISHER
  sw t0, 0(t1)
1: j 1b
pass:
  la a0, pass_msg
  call puts
  li t0, 0x5555
  li t1, FINISHER
  sw t0, 0(t1)
1: j 1b

putc: // a0 = byte
  li t0, UART
  sb a0, 0(t0)
  ret
puts: // a0 = NUL-terminated string
  li t0, UART
1: lbu t1, 0(a0)
  beqz t1, 2f
  sb t1, 0(t0)
  addi a0, a0, 1
  j 1b
2: ret
putdec: // a0 = unsigned number < 10^6
  li t0, UART
  li t1, 100000
  li t3, 0 // printed a digit yet
1: divu t2, a0, t1
  remu a0, a0, t1
  bnez t2, 2f
  bnez t3, 2f
  li t4, 1
  bne t1, t4, 3f
2: addi t2, t2, '0'
  sb t2, 0(t0)
  li t3, 1
3: li t4, 10
  divu t1, t1, t4
  bnez t1, 1b
  ret

.section .rodata
fail_msg: .asciz "FAIL test "
pass_msg: .asciz "PASS\n"

.section .data
.align 3
m_cause: .dword 0
m_tval: .dword 0
m_epc: .dword 0
m_resume: .dword 0
s_cause: .dword 0
s_tval: .dword 0
s_epc: .dword 0
s_resume: .dword 0
.section .bss
.align 4
stack: .space 4096
stack_top:

.section .text
