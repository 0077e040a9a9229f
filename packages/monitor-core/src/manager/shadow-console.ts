// The monitor's shadow console (colinux.md 3.6.1, 3.7.3): every byte the guest writes to hvc0 is
// applied to a headless terminal of the `cocon=` geometry whether or not a console is attached,
// so a console attaching at any time gets a full repaint plus scrollback.
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';

export interface ScreenSnapshot {
  data: Uint8Array;
  cursorX: number;
  cursorY: number;
}

export class ShadowConsole {
  readonly cols: number;
  readonly rows: number;
  readonly scrollback: number;
  private readonly term: InstanceType<typeof xtermHeadless.Terminal>;
  private readonly serializer: InstanceType<typeof serializeAddon.SerializeAddon>;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(cols: number, rows: number, scrollback: number) {
    this.cols = cols;
    this.rows = rows;
    this.scrollback = scrollback;
    this.term = new xtermHeadless.Terminal({ cols, rows, scrollback, allowProposedApi: true });
    this.serializer = new serializeAddon.SerializeAddon();
    this.term.loadAddon(this.serializer);
  }

  write(bytes: Uint8Array): void {
    // stream: true keeps a UTF-8 sequence split across guest writes intact.
    this.term.write(this.decoder.decode(bytes, { stream: true }));
  }

  /** write() is asynchronous in xterm: flush with its callback before serializing. */
  snapshot(): Promise<ScreenSnapshot> {
    return new Promise((resolve) => {
      this.term.write('', () => {
        const text = this.serializer.serialize({ scrollback: this.scrollback });
        const buf = this.term.buffer.active;
        resolve({ data: new TextEncoder().encode(text), cursorX: buf.cursorX, cursorY: buf.cursorY });
      });
    });
  }

  dispose(): void {
    this.term.dispose();
  }
}
