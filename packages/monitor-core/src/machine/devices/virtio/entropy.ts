// virtio-rng (virtio 1.2 §5.4): one request queue; fill each writable buffer with host
// randomness from crypto.getRandomValues.

import type { GuestRam } from '../../guest-ram.ts';
import type { Chain } from './virtqueue.ts';
import { VIRTIO_ID_ENTROPY, type Plain, type VirtioContext, type VirtioDevice } from './virtio-device.ts';

/** getRandomValues refuses more than 65536 bytes per call. */
const RANDOM_CHUNK = 65536;

export class VirtioEntropy implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_ENTROPY;
  readonly name = 'rng';
  readonly queueSizes = [64];
  readonly features = 0;
  readonly config = new Uint8Array(0);
  private ram!: GuestRam;

  activate(context: VirtioContext): void {
    this.ram = context.ram;
  }

  reset(): void {}

  /** Nothing beyond the transport's state: randomness is not state. */
  save(): Plain {
    return {};
  }

  restore(): void {}

  serve(_queue: number, chain: Chain): number {
    for (const s of chain.writable) {
      for (let o = 0; o < s.len; o += RANDOM_CHUNK) {
        crypto.getRandomValues(this.ram.bytes.subarray(s.off + o, s.off + Math.min(s.len, o + RANDOM_CHUNK)));
      }
    }
    return chain.writableLength;
  }
}
