// What a virtio device model provides to the MMIO transport. Every device (console, block,
// entropy, net) has this same shape: an id, its queues, feature bits, a config space, and a
// `notify` that services a queue the driver kicked.

import type { VirtioMmio } from './mmio.ts';

export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_ENTROPY = 4;
export const VIRTIO_ID_9P = 9;

export interface VirtioDevice {
  readonly deviceId: number;
  readonly name: string;
  /** Queue count and the largest size each may have. */
  readonly queueSizes: number[];
  /** Device-specific feature bits 0..31 (the transport adds VERSION_1 and INDIRECT_DESC). */
  readonly features: number;
  /** Device configuration space (§4.2.2 offset 0x100), little-endian. */
  readonly config: Uint8Array;
  attach(transport: VirtioMmio): void;
  /** The driver kicked `queue` (QueueNotify) or the device was just activated. */
  notify(queue: number): void;
  /** Device reset (status 0 written, or machine reset): drop in-flight state. */
  reset(): void;
  /** Config-space write by the driver (most devices ignore it). */
  writeConfig?(offset: number, size: number, value: number): void;
}
