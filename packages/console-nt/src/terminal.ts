// The local terminal: raw mode and the alternate screen while attached, and a restore that runs
// on every way out (detach, monitor end, signals, errors, process exit). The alternate screen is
// how "detaching returns the terminal to the daemon's output" works when colinux-daemon launched
// us in its own terminal, as coLinux's NT console restored the daemon's screen buffer.

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J';
const LEAVE_ALT_SCREEN = '\x1b[0m\x1b[?25h\x1b[?1049l';

export class LocalTerminal {
  private active = false;
  private readonly input: NodeJS.ReadStream;
  private readonly output: NodeJS.WriteStream;
  readonly isTTY: boolean;

  constructor(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stdout) {
    this.input = input;
    this.output = output;
    this.isTTY = Boolean(input.isTTY && output.isTTY);
  }

  enter(title: string): void {
    if (this.active) return;
    this.active = true;
    if (this.isTTY) {
      this.input.setRawMode(true);
      this.output.write(`${ENTER_ALT_SCREEN}\x1b]0;${title}\x07`);
    }
    this.input.resume();
  }

  /** Idempotent and synchronous, so it is safe from 'exit' handlers. */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    if (this.isTTY) {
      try {
        this.input.setRawMode(false);
      } catch {
        // the terminal may already be gone (hangup)
      }
      this.output.write(LEAVE_ALT_SCREEN);
    }
    this.input.pause();
  }

  write(data: Uint8Array | string): void {
    this.output.write(data);
  }

  /** A line outside the guest's screen: on stderr, after the terminal is restored. */
  say(line: string): void {
    process.stderr.write(`${line}\n`);
  }
}
