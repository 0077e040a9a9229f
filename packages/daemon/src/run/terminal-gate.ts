/**
 * The daemon's stderr while a console shares its terminal. colinux-console-nt owns the screen then
 * (coLinux's NT console took over the daemon's console window), so log lines from the daemon and
 * its helpers would be painted into the guest's screen. While the console is attached they are kept
 * (the most recent MAX_HELD lines) and written out when it detaches. Only a terminal needs this;
 * a redirected stderr is written straight through.
 */
const MAX_HELD = 1000;

export class TerminalGate {
  private held: string[] | undefined;
  private dropped = 0;
  private readonly write: (text: string) => void;
  private readonly isTerminal: boolean;

  constructor(write: (text: string) => void = (t) => void process.stderr.write(t), isTerminal = process.stderr.isTTY === true) {
    this.write = write;
    this.isTerminal = isTerminal;
  }

  out(text: string): void {
    if (!this.held) {
      this.write(text);
      return;
    }
    this.held.push(text);
    if (this.held.length > MAX_HELD) {
      this.held.shift();
      this.dropped++;
    }
  }

  /** Console attached (true) or gone (false). */
  hold(on: boolean): void {
    if (on && this.isTerminal) {
      this.held ??= [];
      return;
    }
    const lines = this.held;
    this.held = undefined;
    if (!lines) return;
    if (this.dropped) this.write(`colinux-daemon: ${this.dropped} older log lines dropped while the console was attached\n`);
    this.dropped = 0;
    for (const l of lines) this.write(l);
  }
}
