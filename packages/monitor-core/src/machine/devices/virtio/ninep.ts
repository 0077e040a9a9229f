// virtio-9p (virtio 1.2 §5.15 / the "9P transport" device): one request queue, the mount tag
// `cofs<unit>` in config space (VIRTIO_9P_MOUNT_TAG). Each chain holds one T-message in its
// readable part and gets the R-message in its writable part; the server is synchronous.

import type { GuestRam } from '../../guest-ram.ts';
import { readChain, writeChain, type Chain } from './virtqueue.ts';
import { VIRTIO_ID_9P, type Plain, type VirtioContext, type VirtioDevice } from './virtio-device.ts';
import { NinepServer } from './9p/server.ts';

const F_MOUNT_TAG = 1 << 0;

export class VirtioNinep implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_9P;
  readonly name: string;
  readonly queueSizes = [128];
  readonly features = F_MOUNT_TAG;
  readonly config: Uint8Array;
  private readonly server: NinepServer;
  private ram!: GuestRam;

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

  activate(context: VirtioContext): void {
    this.ram = context.ram;
  }

  reset(): void {
    this.server.reset();
  }

  /** The fids are host descriptors: saved as their paths under the share and reopened beneath it
   *  (server.ts saveFids, docs/suspend.md "Shares"). */
  save(): Plain {
    return this.server.saveFids();
  }

  restore(state: Plain): void {
    this.server.restoreFids(state);
  }

  close(): void {
    this.server.close();
  }

  /** One T-message in, its R-message out; a chain too short for any message comes back empty. */
  serve(_queue: number, chain: Chain): number {
    if (chain.readableLength < 7 || chain.writableLength < 11) return 0;
    const reply = this.server.handle(readChain(this.ram, chain), chain.writableLength);
    return writeChain(this.ram, chain, reply);
  }
}
