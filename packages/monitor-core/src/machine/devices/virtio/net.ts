// virtio-net (virtio 1.2 §5.1) without offloads: queue 0 receives, queue 1 transmits, each
// frame prefixed by the 12-byte virtio_net_hdr (VERSION_1 layout, §5.1.6). Frames go to and
// come from coLinux module CONET0+unit. Incoming frames wait in a short bounded backlog for
// receive buffers; beyond it they are dropped and counted, never queued without limit.

import { readChain, writeChain, type Chain } from './virtqueue.ts';
import { VIRTIO_ID_NET, type Plain, type VirtioContext, type VirtioDevice } from './virtio-device.ts';

const F_MAC = 1 << 5;
const F_STATUS = 1 << 16;
const RX = 0;
const TX = 1;
const HDR = 12;
/** Ethernet frame without FCS, plus slack for a VLAN tag. */
const MAX_FRAME = 1518;
const BACKLOG = 64;

export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC address "${mac}"`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export class VirtioNet implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_NET;
  readonly name: string;
  readonly queueSizes = [256, 256];
  readonly features = F_MAC | F_STATUS;
  readonly config = new Uint8Array(8);
  droppedFrames = 0;
  private context!: VirtioContext;
  /** Frames for the guest waiting for receive buffers (at most BACKLOG). */
  private waiting: Uint8Array[] = [];
  private readonly sink: (frame: Uint8Array) => void;

  constructor(unit: number, mac: string, sink: (frame: Uint8Array) => void) {
    this.name = `net${unit}`;
    this.sink = sink;
    this.config.set(parseMac(mac), 0);
    this.config[6] = 1; // status: VIRTIO_NET_S_LINK_UP
  }

  activate(context: VirtioContext): void {
    this.context = context;
  }

  reset(): void {
    this.waiting = [];
  }

  /** Frames still waiting for receive buffers (base64) and the count of dropped frames. */
  save(): Plain {
    return { waiting: this.waiting.map((f) => Buffer.from(f).toString('base64')), droppedFrames: this.droppedFrames };
  }

  restore(state: Plain): void {
    const s = state as { waiting: string[]; droppedFrames: number };
    this.waiting = s.waiting.map((f) => new Uint8Array(Buffer.from(f, 'base64')));
    this.droppedFrames = s.droppedFrames;
  }

  /** A frame from the network helper for the guest. */
  receive(frame: Uint8Array): void {
    if (!this.context.driverOk() || frame.length > MAX_FRAME + 4 || this.waiting.length >= BACKLOG) {
      this.droppedFrames++;
      return;
    }
    this.waiting.push(frame.slice());
    this.context.retry(RX);
  }

  canServe(queue: number): boolean {
    return queue !== RX || this.waiting.length > 0;
  }

  serve(queue: number, chain: Chain): number {
    const ram = this.context.ram;
    if (queue === TX) {
      if (chain.readableLength > HDR) this.sink(readChain(ram, chain, HDR + MAX_FRAME + 4, HDR));
      return 0;
    }
    // RX: the oldest waiting frame.
    const frame = this.waiting.shift()!;
    if (chain.writableLength < HDR + frame.length) {
      // A buffer too small for the frame: give it back empty and drop the frame.
      this.droppedFrames++;
      return 0;
    }
    const hdr = new Uint8Array(HDR);
    hdr[10] = 1; // num_buffers
    writeChain(ram, chain, hdr);
    writeChain(ram, chain, frame, HDR);
    return HDR + frame.length;
  }
}
