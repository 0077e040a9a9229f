// The SBI console is the kernel log (earlycon=sbi keep_bootcon): bytes go to module PRINTK,
// and complete lines are watched for the two ways coLinux ended a guest on its own:
// "Kernel panic - not syncing: <text>" -> PANIC, "kernel BUG at <file>:<line>!" -> BUG. It also
// remembers "reboot: System halted" (kernel/reboot.c kernel_halt), because riscv's machine_halt
// powers off through SBI like a power off does, and coLinux reported a halt as HALT.
import { Termination } from '@colinux/protocol';

const PANIC = 'Kernel panic - not syncing: ';
const BUG = 'kernel BUG at ';
const HALTED = 'reboot: System halted';
const MAX_LINE = 1024;

export class KernelLog {
  systemHalted = false;
  private line = '';
  private readonly decoder = new TextDecoder();
  private readonly output: (bytes: Uint8Array) => void;
  private readonly terminate: (reason: Termination, text: string) => void;

  constructor(output: (bytes: Uint8Array) => void, terminate: (reason: Termination, text: string) => void) {
    this.output = output;
    this.terminate = terminate;
  }

  reset(): void {
    this.line = '';
    this.systemHalted = false;
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
    if (line.includes(HALTED)) this.systemHalted = true;
    const p = line.indexOf(PANIC);
    if (p >= 0) {
      this.terminate(Termination.PANIC, line.slice(p + PANIC.length).trimEnd());
      return;
    }
    const b = line.indexOf(BUG);
    if (b >= 0) this.terminate(Termination.BUG, line.slice(b + BUG.length).replace(/!?\s*$/, ''));
  }
}
