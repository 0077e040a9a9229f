// virtio-console without MULTIPORT (virtio 1.2 §5.3): queue 0 receives host input, queue 1
// transmits guest output. VIRTIO_CONSOLE_F_SIZE tells the guest the cocon= geometry.

import { readChain, writeChain, type Chain } from './virtqueue.ts';
import { VIRTIO_ID_CONSOLE, type Plain, type VirtioContext, type VirtioDevice } from './virtio-device.ts';

const F_SIZE = 1 << 0;
const RX = 0;
const TX = 1;
/** Host input held while the guest has no receive buffers; further input is dropped. */
const INPUT_LIMIT = 64 * 1024;

export class VirtioConsole implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_CONSOLE;
  readonly name: string;
  readonly queueSizes = [64, 64];
  readonly features = F_SIZE;
  readonly config = new Uint8Array(12);
  droppedBytes = 0;
  private context!: VirtioContext;
  private input: Uint8Array[] = [];
  private inputBytes = 0;
  private readonly sink: (bytes: Uint8Array) => void;

  constructor(name: string, cols: number, rows: number, sink: (bytes: Uint8Array) => void) {
    this.name = name;
    this.sink = sink;
    const v = new DataView(this.config.buffer);
    v.setUint16(0, cols, true);
    v.setUint16(2, rows, true);
    v.setUint32(4, 1, true); // max_nr_ports
  }

  activate(context: VirtioContext): void {
    this.context = context;
  }

  reset(): void {}

  /** Input still waiting for receive buffers (base64) and the count of dropped bytes. */
  save(): Plain {
    return { input: Buffer.concat(this.input).toString('base64'), droppedBytes: this.droppedBytes };
  }

  restore(state: Plain): void {
    const s = state as { input: string; droppedBytes: number };
    const input = new Uint8Array(Buffer.from(s.input, 'base64'));
    this.input = input.length ? [input] : [];
    this.inputBytes = input.length;
    this.droppedBytes = s.droppedBytes;
  }

  /** Bytes for the guest (keystrokes, power requests). Kept across driver resets. */
  receive(data: Uint8Array): void {
    if (this.inputBytes + data.length > INPUT_LIMIT) {
      this.droppedBytes += data.length;
      return;
    }
    this.input.push(data.slice());
    this.inputBytes += data.length;
    this.context.retry(RX);
  }

  canServe(queue: number): boolean {
    return queue !== RX || this.input.length > 0;
  }

  serve(queue: number, chain: Chain): number {
    const ram = this.context.ram;
    if (queue === TX) {
      this.sink(readChain(ram, chain));
      return 0;
    }
    // RX: as much waiting input as the buffer holds.
    let written = 0;
    while (this.input.length && written < chain.writableLength) {
      const head = this.input[0]!;
      const n = writeChain(ram, chain, head, written);
      written += n;
      this.inputBytes -= n;
      if (n === head.length) this.input.shift();
      else this.input[0] = head.subarray(n);
    }
    return written;
  }
}
