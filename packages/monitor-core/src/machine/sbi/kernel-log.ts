// The SBI console is the kernel log (earlycon=sbi keep_bootcon): bytes go to module PRINTK,
// and complete lines are watched for the two ways coLinux ended a guest on its own:
// "Kernel panic - not syncing: <text>" -> PANIC, "kernel BUG at <file>:<line>!" -> BUG.

import { TERMINATE_BUG, TERMINATE_PANIC } from '../memory-map.ts';

const PANIC = 'Kernel panic - not syncing: ';
const BUG = 'kernel BUG at ';
const MAX_LINE = 1024;

export class KernelLog {
  private line = '';
  private readonly decoder = new TextDecoder();
  private readonly output: (bytes: Uint8Array) => void;
  private readonly terminate: (reason: number, text: string) => void;

  constructor(output: (bytes: Uint8Array) => void, terminate: (reason: number, text: string) => void) {
    this.output = output;
    this.terminate = terminate;
  }

  reset(): void {
    this.line = '';
  }

  write(bytes: Uint8Array): void {
    this.output(bytes);
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0x0a) continue;
      this.line += this.decoder.decode(bytes.subarray(start, i));
      this.check(this.line);
      this.line = '';
      start = i + 1;
    }
    if (start < bytes.length) this.line = (this.line + this.decoder.decode(bytes.subarray(start))).slice(-MAX_LINE);
  }

  private check(line: string): void {
    const p = line.indexOf(PANIC);
    if (p >= 0) {
      this.terminate(TERMINATE_PANIC, line.slice(p + PANIC.length).trimEnd());
      return;
    }
    const b = line.indexOf(BUG);
    if (b >= 0) this.terminate(TERMINATE_BUG, line.slice(b + BUG.length).replace(/!?\s*$/, ''));
  }
}
