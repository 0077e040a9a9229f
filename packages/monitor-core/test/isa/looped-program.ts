// A random program of random-program.ts whose body (between the register setup and the dump)
// runs `iterations` times, so that code translated after some executions (cpu/jit.ts) is what
// produces the final registers and memory.
import { randomProgram } from './random-program.ts';

/** Body instructions the translator leaves to the interpreter (they end blocks). */
const UNTRANSLATED = /^\s+(f(?!ld\s|sd\s|lw\s|sw\s|ence)[a-z.]+)\s/;

/**
 * The random program with its body repeated; `integerOnly` drops the F/D arithmetic (FP
 * loads/stores, AMOs, high multiplies and division stay: they are translated) so that blocks
 * grow long.
 */
export function loopedProgram(seed: number, length: number, iterations: number, integerOnly = false): string {
  const lines = randomProgram(seed, length).split('\n');
  const bodyStart = lines.indexOf('  fsrm t0') + 1;
  const dumpStart = lines.indexOf('  call puthex') - 1; // the first `mv a0, <reg>` of the dump
  if (bodyStart <= 0 || dumpStart <= bodyStart) throw new Error('random-program.ts layout changed');
  // Every register is the program's or the trap handlers' (t5/t6: a misaligned AMO traps), so
  // the count lives in memory and a0 is parked there around it; `j` reaches where a branch
  // might not.
  return [
    ...lines.slice(0, bodyStart),
    'jit_loop:',
    ...lines.slice(bodyStart, dumpStart).filter((l) => !(integerOnly && UNTRANSLATED.test(l))),
    '  la t6, jit_save',
    '  sd a0, 0(t6)',
    '  ld a0, 8(t6)',
    '  addi a0, a0, -1',
    '  sd a0, 8(t6)',
    '  beqz a0, 9f',
    '  ld a0, 0(t6)',
    '  j jit_loop',
    '9:',
    '  ld a0, 0(t6)',
    ...lines.slice(dumpStart),
    '.align 3',
    'jit_save:',
    '  .dword 0',
    `  .dword ${iterations}`,
    '',
  ].join('\n');
}
