// What a virtio device model provides to the MMIO transport. Every device (console, block,
// entropy, net, 9p) has this same shape: an id, its queues, feature bits, a config space, and
// `serve`, which handles one descriptor chain. The ring loop (take a chain, serve it, return it,
// interrupt) is the transport's alone (mmio.ts); a device never sees the transport, only the
// context it is activated with.

import type { GuestRam } from '../../guest-ram.ts';
import type { Plain } from '../mmio-device.ts';
import type { Chain } from './virtqueue.ts';

export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_ENTROPY = 4;
export const VIRTIO_ID_9P = 9;

export type { Plain } from '../mmio-device.ts';

/** What the transport gives a device when it is activated. */
export interface VirtioContext {
  /** Guest RAM; chains' segments are offsets into `ram.bytes`. */
  readonly ram: GuestRam;
  /** DRIVER_OK is set and the device does not need a reset: the driver takes buffers. */
  driverOk(): boolean;
  /** Input arrived for a queue that waits for it (`canServe`): run its ring loop again now. */
  retry(queue: number): void;
  /** The machine's device log (device-log.ts). */
  log(message: string): void;
}

export interface VirtioDevice {
  readonly deviceId: number;
  readonly name: string;
  /** Queue count and the largest size each may have. */
  readonly queueSizes: number[];
  /** Device-specific feature bits 0..31 (the transport adds VERSION_1 and INDIRECT_DESC). */
  readonly features: number;
  /** Device configuration space (§4.2.2 offset 0x100), little-endian. */
  readonly config: Uint8Array;
  activate(context: VirtioContext): void;
  /** Serve one chain the driver made available on `queue`; returns the bytes written into its
   *  writable part (the used length, §2.7.8). Guest-caused failures throw VirtqueueError or
   *  GuestMemoryError, which the transport turns into DEVICE_NEEDS_RESET. */
  serve(queue: number, chain: Chain): number;
  /** Whether the device can serve a chain of `queue` now. A queue the device fills from host
   *  input (a receive queue) can only while input waits in the device's backlog; the transport
   *  leaves its chains on the ring until then, and the device calls `retry` when input arrives.
   *  Absent: always. */
  canServe?(queue: number): boolean;
  /** Device reset (status 0 written, or machine reset): drop in-flight state. */
  reset(): void;
  /** The device's own state beyond the transport's (mmio.ts saves the registers and queues), as
   *  plain data: for suspend and migration, the control issue's serialised VM. */
  save(): Plain;
  /** Take over what save() returned, on a device just activated over the same guest RAM. */
  restore(state: Plain): void;
  /** Config-space write by the driver (most devices ignore it). */
  writeConfig?(offset: number, size: number, value: number): void;
}
