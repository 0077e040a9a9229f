// Generates random RV64GC programs for differential testing against QEMU: integer ALU (I, M,
// and whatever the assembler compresses to C), loads/stores of every width at aligned and
// misaligned offsets, AMOs, F/D arithmetic with dynamic and static rounding modes and F/D
// loads/stores; and control flow for the translator: short counted loops (a block that
// branches back to its own start), calls and returns through jal/jalr to small functions,
// self-modifying code (an instruction rewritten from a register, then fence.i), and forward
// jumps and conditional branches over a few instructions, sometimes onto one the translator
// leaves out. The program ends by printing every register, fflags and a memory checksum in hex
// on the UART, so two runs agree exactly when the two implementations agree.

import { Random } from '../../../../test/random.ts';

// a0-a7, t0-t4, s2-s11: gp/t5/t6 belong to the harness, s0 is the memory base, s1 the AMO base.
const X = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 't0', 't1', 't2', 't3', 't4', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11'];
/** The register numbers of X (unpriv spec table 25.1, ABI names). */
const X_NUMBER = [10, 11, 12, 13, 14, 15, 16, 17, 5, 6, 7, 28, 29, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
const R_OPS = [
  'add',
  'sub',
  'sll',
  'slt',
  'sltu',
  'xor',
  'srl',
  'sra',
  'or',
  'and',
  'addw',
  'subw',
  'sllw',
  'srlw',
  'sraw',
  'mul',
  'mulh',
  'mulhsu',
  'mulhu',
  'div',
  'divu',
  'rem',
  'remu',
  'mulw',
  'divw',
  'divuw',
  'remw',
  'remuw',
];
const BRANCHES = ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'];
const I_OPS = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'];
const SHIFT_OPS: Array<[string, number]> = [
  ['slli', 64],
  ['srli', 64],
  ['srai', 64],
  ['slliw', 32],
  ['srliw', 32],
  ['sraiw', 32],
];
const LOADS = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'];
const STORES = ['sb', 'sh', 'sw', 'sd'];
const AMOS = ['amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu'];
const FP3 = ['fadd', 'fsub', 'fmul', 'fdiv'];
const FP2 = ['fmin', 'fmax', 'fsgnj', 'fsgnjn', 'fsgnjx'];
const FCMP = ['feq', 'flt', 'fle'];
const FMA = ['fmadd', 'fmsub', 'fnmsub', 'fnmadd'];
const RM = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'dyn'];
/** Interesting 64-bit values: edges of signed/unsigned ranges and of the FP formats. */
const SEEDS = [
  '0',
  '1',
  '-1',
  '0x7fffffffffffffff',
  '0x8000000000000000',
  '0x80000000',
  '0x7fffffff',
  '0xffffffff',
  '0x3ff0000000000000',
  '0x7ff0000000000000',
  '0x7ff8000000000000',
  '0x0000000000000001',
  '0xffffffff3f800000',
  '0xffffffff7f800000',
  '0xffffffff00000001',
  '0x4340000000000000',
];

export function randomProgram(seed: number, length: number): string {
  const random = new Random(seed);
  const next = (): number => random.u32();
  const pick = <T>(a: readonly T[]): T => random.pick(a);
  const reg = () => pick(X);
  const imm12 = () => (next() % 4096) - 2048;
  const hex64 = () => `0x${next().toString(16).padStart(8, '0')}${next().toString(16).padStart(8, '0')}`;
  const lines: string[] = ['#include "harness.h"', 'tests:', '  TEST 1', '  la s0, scratch', '  la s1, amo_area'];
  for (const r of X) lines.push(`  li ${r}, ${next() % 3 === 0 ? pick(SEEDS) : hex64()}`);
  for (let f = 0; f < 32; f++) lines.push(`  fmv.d.x f${f}, ${reg()}`);
  lines.push(`  fsrm ${reg()}`, '  csrr t0, frm', '  andi t0, t0, 3', '  fsrm t0'); // frm 0..3: valid for dyn
  /** One ALU, load or store instruction (no AMO: their wrap-around code uses t6). */
  const simple = (): string => {
    const k = next() % 6;
    if (k < 3) return `  ${pick(R_OPS)} ${reg()}, ${reg()}, ${reg()}`;
    if (k < 4) return `  ${pick(I_OPS)} ${reg()}, ${reg()}, ${imm12()}`;
    if (k < 5) return `  ${pick(LOADS)} ${reg()}, ${next() % 248}(s0)`;
    return `  ${pick(STORES)} ${reg()}, ${next() % 248}(s0)`;
  };
  /** An ALU instruction (R or I form, lui or auipc). */
  const registerOnly = (): string => {
    const k = next() % 5;
    if (k < 2) return `  ${pick(R_OPS)} ${reg()}, ${reg()}, ${reg()}`;
    if (k < 4) return `  ${pick(I_OPS)} ${reg()}, ${reg()}, ${imm12()}`;
    return `  ${next() % 2 === 0 ? 'lui' : 'auipc'} ${reg()}, ${next() % 0x100000}`;
  };
  const functions: string[] = [];
  let labels = 0;
  for (let i = 0; i < length; i++) {
    const k = next() % 24;
    if (k === 20) {
      // a counted loop (t6 counts: not one of the program's registers)
      const l = `loop_${labels++}`;
      lines.push(`  li t6, ${1 + (next() % 40)}`, `${l}:`);
      for (let n = 1 + (next() % 5); n > 0; n--) {
        lines.push(simple());
        // An access at s0 + t6 * 2 or * 4: misaligned in some rounds only, so the translated
        // loop leaves in the middle of a later round.
        if (next() % 3 === 0) {
          const r = reg();
          lines.push(
            `  slli ${r}, t6, ${1 + (next() % 2)}`,
            `  add ${r}, ${r}, s0`,
            next() % 2 === 0 ? `  ${pick(LOADS)} ${reg()}, 0(${r})` : `  ${pick(STORES)} ${reg()}, 0(${r})`,
          );
        }
      }
      lines.push('  addi t6, t6, -1', `  bnez t6, ${l}`);
    } else if (k === 21) {
      // a call, direct or through a register, to a function that returns by ret
      const f = `func_${labels++}`;
      if (next() % 2 === 0) lines.push(`  jal ra, ${f}`);
      else lines.push(`  la t6, ${f}`, '  jalr ra, 0(t6)');
      functions.push(`${f}:`);
      for (let n = 1 + (next() % 4); n > 0; n--) functions.push(simple());
      functions.push('  ret');
    } else if (k === 22) {
      // self-modifying code: the next instruction becomes addi rd, rd, (rs & 0x7ff)
      const l = `smc_${labels++}`;
      const [v, w, rd] = [reg(), reg(), X_NUMBER[next() % X.length]!];
      lines.push(
        `  andi ${v}, ${reg()}, 0x7ff`,
        `  slli ${v}, ${v}, 20`,
        `  li ${w}, ${0x13 | (rd << 7) | (rd << 15)}`,
        `  or ${v}, ${v}, ${w}`,
        `  la t6, ${l}`,
        `  sw ${v}, 0(t6)`,
        '  fence.i',
        `${l}:`,
        '  .4byte 0x00000013',
      );
    } else if (k === 23) {
      // a forward jump over a few instructions, landing on one the translator leaves out or not;
      // or a conditional branch over a few (register-only ones it turns into selects)
      const l = `skip_${labels++}`;
      const conditional = next() % 2 === 0;
      lines.push(conditional ? `  ${pick(BRANCHES)} ${reg()}, ${reg()}, ${l}` : `  j ${l}`);
      for (let n = 1 + (next() % (conditional ? 4 : 3)); n > 0; n--) lines.push(conditional ? registerOnly() : simple());
      lines.push(`${l}:`);
      if (next() % 2 === 0) lines.push(`  mulh ${reg()}, ${reg()}, ${reg()}`);
    } else if (k < 6) lines.push(`  ${pick(R_OPS)} ${reg()}, ${reg()}, ${reg()}`);
    else if (k < 9) lines.push(`  ${pick(I_OPS)} ${reg()}, ${reg()}, ${imm12()}`);
    else if (k < 10) {
      const [op, w] = pick(SHIFT_OPS);
      lines.push(`  ${op} ${reg()}, ${reg()}, ${next() % w}`);
    } else if (k < 11) lines.push(`  lui ${reg()}, ${next() % 0x100000}`);
    else if (k < 13) lines.push(`  ${pick(LOADS)} ${reg()}, ${next() % 248}(s0)`);
    else if (k < 15) lines.push(`  ${pick(STORES)} ${reg()}, ${next() % 248}(s0)`);
    else if (k < 16) {
      const d = next() % 2 === 0;
      lines.push(`  ${pick(AMOS)}.${d ? 'd' : 'w'} ${reg()}, ${reg()}, (s1)`);
      lines.push(`  addi s1, s1, ${d ? 8 : 4}`, '  la t6, amo_end', '  bltu s1, t6, 1f', '  la s1, amo_area', '1:');
    } else {
      const fmt = next() % 2 === 0 ? 's' : 'd';
      const f = () => `f${next() % 32}`;
      const j = next() % 9;
      if (j === 0) lines.push(`  ${pick(FP3)}.${fmt} ${f()}, ${f()}, ${f()}, ${pick(RM)}`);
      else if (j === 1) lines.push(`  ${pick(FMA)}.${fmt} ${f()}, ${f()}, ${f()}, ${f()}, ${pick(RM)}`);
      else if (j === 2) lines.push(`  ${pick(FP2)}.${fmt} ${f()}, ${f()}, ${f()}`);
      else if (j === 3) lines.push(`  ${pick(FCMP)}.${fmt} ${reg()}, ${f()}, ${f()}`);
      else if (j === 4) lines.push(`  fcvt.${pick(['w', 'wu', 'l', 'lu'])}.${fmt} ${reg()}, ${f()}, ${pick(RM)}`);
      else if (j === 5) {
        const src = pick(['w', 'wu', 'l', 'lu']);
        const exact = fmt === 'd' && (src === 'w' || src === 'wu'); // no rounding, no rm operand
        lines.push(`  fcvt.${fmt}.${src} ${f()}, ${reg()}${exact ? '' : `, ${pick(RM)}`}`);
      } else if (j === 6) lines.push(`  fsqrt.${fmt} ${f()}, ${f()}, ${pick(RM)}`);
      else lines.push(`  ${j === 7 ? 'fl' : 'fs'}${fmt === 's' ? 'w' : 'd'} ${f()}, ${next() % 248}(s0)`);
    }
  }
  // Dump: integer registers, f registers, fflags, then every scratch/AMO doubleword.
  for (const r of X) lines.push(`  mv a0, ${r}`, '  call puthex');
  for (let f = 0; f < 32; f++) lines.push(`  fmv.x.d a0, f${f}`, '  call puthex');
  lines.push('  frflags a0', '  call puthex');
  lines.push('  la s2, scratch', '  la s3, amo_end', '2: ld a0, 0(s2)', '  call puthex', '  addi s2, s2, 8', '  bltu s2, s3, 2b');
  lines.push(
    '  j pass',
    '',
    ...functions,
    '',
    'puthex: // a0 as 16 hex digits and a newline',
    '  li t0, UART',
    '  li t1, 60',
    '1: srl t2, a0, t1',
    '  andi t2, t2, 15',
    '  li t3, 10',
    '  blt t2, t3, 2f',
    '  addi t2, t2, 39',
    '2: addi t2, t2, 48',
    '  sb t2, 0(t0)',
    '  addi t1, t1, -4',
    '  bgez t1, 1b',
    '  li t2, 10',
    '  sb t2, 0(t0)',
    '  ret',
    '',
    '.section .data',
    '.align 4',
    'scratch:',
  );
  for (let i = 0; i < 32; i++) lines.push(`  .dword ${hex64()}`);
  lines.push('amo_area:');
  for (let i = 0; i < 8; i++) lines.push(`  .dword ${hex64()}`);
  lines.push('amo_end:', '');
  return lines.join('\n');
}
