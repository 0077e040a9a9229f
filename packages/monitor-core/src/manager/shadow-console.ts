// The monitor's shadow console (docs/colinux.md#console-channel): every byte the guest writes to hvc0 is
// applied to a headless terminal of the `cocon=` geometry whether or not a console is attached,
// so a console attaching at any time gets a full repaint plus scrollback.
//
// Bounded memory under a flood (`yes` on the console): xterm parses asynchronously and queues
// whatever it is given, up to 50 M characters (its WriteBuffer), so a guest that writes faster
// than it parses grew the manager by hundreds of MB. Here guest output is collected and handed
// to xterm in batches, at most HIGH_WATER characters not yet parsed at a time; what waits
// meanwhile is kept only as its newest TAIL_BYTES, cut at a line start. A repaint then shows the
// newest output (what a screen shows after a flood anyway); the console log file
// (console-log.ts) still gets every byte.
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';

/** Characters handed to xterm and not parsed yet before more output waits. */
export const HIGH_WATER = 256 * 1024;
/** Output kept while xterm is behind: the newest bytes, enough for any screen plus scrollback
 *  (500 lines of 1000 columns is the `cocon=` maximum, ~0.5 MB of text). */
export const TAIL_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

export interface ScreenSnapshot {
  data: Uint8Array;
  cursorX: number;
  cursorY: number;
}

export class ShadowConsole {
  readonly cols: number;
  readonly rows: number;
  readonly scrollback: number;
  /** Guest bytes skipped because the terminal was behind (newest output kept). */
  skippedBytes = 0;
  private readonly term: InstanceType<typeof xtermHeadless.Terminal>;
  private readonly serializer: InstanceType<typeof serializeAddon.SerializeAddon>;
  private decoder = new TextDecoder('utf-8');
  /** Output not handed to xterm yet, oldest first, at most TAIL_BYTES. */
  private waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  /** The start of `waiting` is the middle of a line (older output was skipped). */
  private cut = false;
  /** Characters given to xterm whose write callback has not run. */
  private parsing = 0;
  private flushScheduled = false;
  private disposed = false;

  constructor(cols: number, rows: number, scrollback: number) {
    this.cols = cols;
    this.rows = rows;
    this.scrollback = scrollback;
    this.term = new xtermHeadless.Terminal({ cols, rows, scrollback, allowProposedApi: true });
    this.serializer = new serializeAddon.SerializeAddon();
    this.term.loadAddon(this.serializer);
  }

  write(bytes: Uint8Array): void {
    if (this.disposed || bytes.length === 0) return;
    this.waiting.push(bytes);
    this.waitingBytes += bytes.length;
    this.trim();
    // One batch per turn of the event loop: guest output arrives in many small messages.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush(false);
      });
    }
  }

  /** write() is asynchronous in xterm: everything waiting is handed over, then flushed with its
   *  callback before serializing. */
  snapshot(): Promise<ScreenSnapshot> {
    this.flush(true);
    return new Promise((resolve) => {
      this.term.write('', () => {
        const text = this.serializer.serialize({ scrollback: this.scrollback });
        const buf = this.term.buffer.active;
        resolve({ data: new TextEncoder().encode(text), cursorX: buf.cursorX, cursorY: buf.cursorY });
      });
    });
  }

  dispose(): void {
    this.disposed = true;
    this.waiting = [];
    this.waitingBytes = 0;
    this.term.dispose();
  }

  /** Drops the oldest waiting output beyond TAIL_BYTES. */
  private trim(): void {
    while (this.waitingBytes > TAIL_BYTES) {
      const first = this.waiting[0]!;
      const excess = this.waitingBytes - TAIL_BYTES;
      if (first.length <= excess) {
        this.waiting.shift();
        this.waitingBytes -= first.length;
        this.skippedBytes += first.length;
      } else {
        this.waiting[0] = first.subarray(excess);
        this.waitingBytes -= excess;
        this.skippedBytes += excess;
      }
      this.cut = true;
    }
  }

  /** Hands the waiting output to xterm unless it is HIGH_WATER behind (`force`: regardless). */
  private flush(force: boolean): void {
    if (this.disposed || this.waitingBytes === 0 || (!force && this.parsing >= HIGH_WATER)) return;
    let bytes = this.waiting.length === 1 ? this.waiting[0]! : concat(this.waiting, this.waitingBytes);
    this.waiting = [];
    this.waitingBytes = 0;
    if (this.cut) {
      // Resume at a line start: the skipped part may have ended inside an escape sequence or a
      // UTF-8 character, and the decoder's state belongs to the skipped bytes.
      const nl = bytes.indexOf(NEWLINE);
      this.skippedBytes += nl + 1;
      bytes = bytes.subarray(nl + 1);
      this.decoder = new TextDecoder('utf-8');
      this.cut = false;
    }
    // stream: true keeps a UTF-8 sequence split across guest writes intact.
    const text = this.decoder.decode(bytes, { stream: true });
    if (text.length === 0) return;
    this.parsing += text.length;
    this.term.write(text, () => {
      this.parsing -= text.length;
      if (this.parsing < HIGH_WATER) this.flush(false);
    });
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
