// virtio-9p (virtio 1.2 §5.15 / the "9P transport" device): one request queue, the mount tag
// `cofs<unit>` in config space (VIRTIO_9P_MOUNT_TAG). Each chain holds one T-message in its
// readable part and gets the R-message in its writable part; the server is synchronous.

import type { VirtioMmio } from './mmio.ts';
import { readChain, writeChain } from './virtqueue.ts';
import { VIRTIO_ID_9P, type VirtioDevice } from './virtio-device.ts';
import { NinepServer } from './9p/server.ts';

const F_MOUNT_TAG = 1 << 0;

export class VirtioNinep implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_9P;
  readonly name: string;
  readonly queueSizes = [128];
  readonly features = F_MOUNT_TAG;
  readonly config: Uint8Array;
  private readonly server: NinepServer;
  private transport!: VirtioMmio;

  /** Throws one clear line when the shared directory is missing. */
  constructor(unit: number, dir: string, readOnly: boolean) {
    this.name = `9p${unit}`;
    try {
      this.server = new NinepServer(dir, readOnly);
    } catch (err) {
      throw new Error(`cofs${unit}: cannot share directory ${dir}: ${(err as Error).message}`);
    }
    const tag = new TextEncoder().encode(`cofs${unit}`);
    this.config = new Uint8Array(2 + tag.length);
    new DataView(this.config.buffer).setUint16(0, tag.length, true);
    this.config.set(tag, 2);
  }

  attach(transport: VirtioMmio): void {
    this.transport = transport;
  }

  reset(): void {
    this.server.reset();
  }

  close(): void {
    this.server.close();
  }

  notify(): void {
    const q = this.transport.queues[0]!;
    let used = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      let written = 0;
      if (chain.readableLength >= 7 && chain.writableLength >= 11) {
        const reply = this.server.handle(readChain(this.transport.ram, chain), chain.writableLength);
        written = writeChain(this.transport.ram, chain, reply);
      }
      q.push(chain.head, written);
      used = true;
    }
    if (used) this.transport.interrupt(0);
  }
}
