// virtio-rng (virtio 1.2 §5.4): one request queue; fill each writable buffer with host
// randomness from crypto.getRandomValues.

import type { VirtioMmio } from './mmio.ts';
import { VIRTIO_ID_ENTROPY, type VirtioDevice } from './virtio-device.ts';

/** getRandomValues refuses more than 65536 bytes per call. */
const RANDOM_CHUNK = 65536;

export class VirtioEntropy implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_ENTROPY;
  readonly name = 'rng';
  readonly queueSizes = [64];
  readonly features = 0;
  readonly config = new Uint8Array(0);
  private transport!: VirtioMmio;

  attach(transport: VirtioMmio): void {
    this.transport = transport;
  }

  reset(): void {}

  notify(): void {
    const q = this.transport.queues[0]!;
    let used = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      for (const s of chain.writable) {
        for (let o = 0; o < s.len; o += RANDOM_CHUNK) {
          crypto.getRandomValues(this.transport.ram.bytes.subarray(s.off + o, s.off + Math.min(s.len, o + RANDOM_CHUNK)));
        }
      }
      q.push(chain.head, chain.writableLength);
      used = true;
    }
    if (used) this.transport.interrupt(0);
  }
}
