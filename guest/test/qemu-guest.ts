// Drives one qemu-system-riscv64 run of the bundled guest: collects what the guest prints,
// waits for patterns, types commands, and ends QEMU by its pid.
import { spawn, type ChildProcess } from 'node:child_process';

export const READY_LINE = 'colinux-guest: ready';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class QemuGuest {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<Exit>;
  #waiters: Array<() => void> = [];

  constructor(qemu: string, args: string[]) {
    this.child = spawn(qemu, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString('latin1');
      for (const wake of this.#waiters.splice(0)) wake();
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        for (const wake of this.#waiters.splice(0)) wake();
        resolve({ code, signal });
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the output index after the first match of `pattern` at or after `from`. */
  async waitFor(pattern: RegExp | string, timeoutMs: number, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(from);
      const m = typeof pattern === 'string' ? rest.indexOf(pattern) : rest.search(pattern);
      if (m >= 0) return from + m;
      if (!this.running) throw new Error(`QEMU exited before ${String(pattern)} appeared; output:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms; output:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Types a shell command whose output ends with a unique marker, and returns the text between
   * the echoed command and the marker. The command is retyped while the shell is not yet
   * reading (input sent before the shell opened the terminal can be dropped).
   */
  async run(command: string, timeoutMs: number): Promise<string> {
    const tag = `END${Math.random().toString(36).slice(2, 10)}`;
    // The marker is split in the typed text so the terminal echo cannot match it.
    const line = `${command}; echo "${tag.slice(0, 3)}""${tag.slice(3)}"\n`;
    const deadline = Date.now() + timeoutMs;
    const start = this.output.length;
    for (;;) {
      this.child.stdin?.write(line);
      try {
        const end = await this.waitFor(`${tag}\r`, Math.min(5000, Math.max(1, deadline - Date.now())), start);
        const text = this.output.slice(start, end);
        // Drop the terminal's echo of the typed line: output starts after its closing quote.
        const echo = `${tag.slice(3)}"`;
        const echoed = text.lastIndexOf(echo);
        return echoed >= 0 ? text.slice(echoed + echo.length) : text;
      } catch (err) {
        if (!this.running || Date.now() >= deadline) throw err;
      }
    }
  }

  /** The exit status, or an error when QEMU is still running after `timeoutMs`. */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QEMU still running after ${timeoutMs} ms; output:\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  /** Ends QEMU by its pid if it is still running. */
  async kill(): Promise<void> {
    if (this.running && this.child.pid !== undefined) {
      process.kill(this.child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (this.running && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
      }, 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  tail(chars = 3000): string {
    return this.output.slice(-chars);
  }
}
