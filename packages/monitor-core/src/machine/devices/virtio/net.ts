// virtio-net (virtio 1.2 §5.1) without offloads: queue 0 receives, queue 1 transmits, each
// frame prefixed by the 12-byte virtio_net_hdr (VERSION_1 layout, §5.1.6). Frames go to and
// come from coLinux module CONET0+unit. Incoming frames wait in a short bounded backlog for
// receive buffers; beyond it they are dropped and counted, never queued without limit.

import type { VirtioMmio } from './mmio.ts';
import { readChain, writeChain } from './virtqueue.ts';
import { VIRTIO_ID_NET, type VirtioDevice } from './virtio-device.ts';

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
  private transport!: VirtioMmio;
  private backlog: Uint8Array[] = [];
  private readonly sink: (frame: Uint8Array) => void;

  constructor(unit: number, mac: string, sink: (frame: Uint8Array) => void) {
    this.name = `net${unit}`;
    this.sink = sink;
    this.config.set(parseMac(mac), 0);
    this.config[6] = 1; // status: VIRTIO_NET_S_LINK_UP
  }

  attach(transport: VirtioMmio): void {
    this.transport = transport;
  }

  reset(): void {
    this.backlog = [];
  }

  /** A frame from the network helper for the guest. */
  receive(frame: Uint8Array): void {
    if (!this.transport.driverOk || frame.length > MAX_FRAME + 4 || this.backlog.length >= BACKLOG) {
      this.droppedFrames++;
      return;
    }
    this.backlog.push(frame.slice());
    this.transport.guarded(() => this.fillReceive());
  }

  notify(queue: number): void {
    if (queue === RX) this.fillReceive();
    else if (queue === TX) this.drainTransmit();
  }

  private fillReceive(): void {
    const q = this.transport.queues[RX]!;
    const ram = this.transport.ram;
    let used = false;
    while (this.backlog.length) {
      const chain = q.pop();
      if (!chain) break;
      const frame = this.backlog.shift()!;
      if (chain.writableLength < HDR + frame.length) {
        // A buffer too small for the frame: give it back empty and drop the frame.
        this.droppedFrames++;
        q.push(chain.head, 0);
        used = true;
        continue;
      }
      const hdr = new Uint8Array(HDR);
      hdr[10] = 1; // num_buffers
      writeChain(ram, chain, hdr);
      writeChain(ram, chain, frame, HDR);
      q.push(chain.head, HDR + frame.length);
      used = true;
    }
    if (used) this.transport.interrupt(RX);
  }

  private drainTransmit(): void {
    const q = this.transport.queues[TX]!;
    let used = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      if (chain.readableLength > HDR) this.sink(readChain(this.transport.ram, chain, HDR + MAX_FRAME + 4, HDR));
      q.push(chain.head, 0);
      used = true;
    }
    if (used) this.transport.interrupt(TX);
  }
}
