/**
 * Kernel log output for the daemon's terminal (docs/colinux.md#kernel-log): coLinux stripped a leading `<0>`..`<7>`,
 * `<c>` or `<d>` level tag from each line. The guest's log arrives here either as whole NUL-terminated
 * lines (coLinux's co_printk) or as a byte stream (this machine's SBI console), so tags are stripped at
 * every line start and NULs dropped.
 */
export class PrintkFilter {
  private atLineStart = true;
  private pending = '';
  private readonly decoder = new TextDecoder();

  /** Returns the printable text for one PRINTK message. */
  push(data: Uint8Array): string {
    let text = this.pending + this.decoder.decode(data, { stream: true }).replace(/\0/g, '');
    this.pending = '';
    let out = '';
    while (text.length > 0) {
      if (this.atLineStart) {
        // A tag split across two messages: wait for the rest.
        if (/^<[0-7cd]?$/.test(text)) {
          this.pending = text;
          break;
        }
        text = text.replace(/^<[0-7cd]>/, '');
      }
      const nl = text.indexOf('\n');
      if (nl < 0) {
        out += text;
        this.atLineStart = false;
        break;
      }
      out += text.slice(0, nl + 1);
      text = text.slice(nl + 1);
      this.atLineStart = true;
    }
    return out;
  }

  /** Whether the last text printed ended a line (so a daemon message can start on a fresh one). */
  get lineOpen(): boolean {
    return !this.atLineStart;
  }
}
