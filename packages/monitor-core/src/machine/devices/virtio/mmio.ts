// virtio-mmio transport, version 2 (virtio 1.2 §4.2.2): the register file, feature
// negotiation, queue setup and the interrupt line. Guest mistakes and malicious rings end in
// DEVICE_NEEDS_RESET plus a configuration-change interrupt (§2.1.2), never a host exception.

import type { GuestRam } from '../../guest-ram.ts';
import { GuestMemoryError } from '../../guest-ram.ts';
import type { Placement } from '../../memory-map.ts';
import type { IrqLine, MmioDevice } from '../mmio-device.ts';
import * as R from './mmio-registers.ts';
import type { Plain, VirtioContext, VirtioDevice } from './virtio-device.ts';
import { Virtqueue, VirtqueueError, type VirtqueueState } from './virtqueue.ts';

const MAGIC = 0x74726976; // "virt"
const VENDOR = 0x554d4551; // "QEMU", what Linux and QEMU users expect to see
const F_INDIRECT_DESC = 1 << 28;
const F_EVENT_IDX = 1 << 29;
const F_VERSION_1_HI = 1 << 0; // bit 32

/** The transport's registers, its queues and the device's own state, as plain data. */
export type VirtioMmioState = {
  status: number;
  deviceFeaturesSel: number;
  driverFeaturesSel: number;
  driverFeatures: number[];
  queueSel: number;
  interruptStatus: number;
  configGeneration: number;
  queues: VirtqueueState[];
  device: Plain;
};

export class VirtioMmio implements MmioDevice {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly device: VirtioDevice;
  readonly queues: Virtqueue[];
  readonly ram: GuestRam;
  private readonly irq: IrqLine;
  /** The machine's device log (device-log.ts). */
  readonly log: (msg: string) => void;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = [0, 0];
  private queueSel = 0;
  private interruptStatus = 0;
  private status = 0;
  private configGeneration = 0;

  constructor(place: Placement, ram: GuestRam, irq: IrqLine, device: VirtioDevice, log: (msg: string) => void) {
    ({ base: this.base, size: this.size } = place);
    this.ram = ram;
    this.irq = irq;
    this.device = device;
    this.log = log;
    this.name = `virtio-${device.name}@${this.base.toString(16)}`;
    this.queues = device.queueSizes.map((n) => new Virtqueue(ram, n));
    const context: VirtioContext = {
      ram,
      driverOk: () => this.driverOk,
      retry: (queue) => {
        if (this.driverOk) this.guarded(() => this.serve(queue));
      },
      log,
    };
    device.activate(context);
  }

  get driverOk(): boolean {
    return (this.status & R.VIRTIO_CONFIG_S_DRIVER_OK) !== 0 && (this.status & R.VIRTIO_CONFIG_S_NEEDS_RESET) === 0;
  }

  get broken(): boolean {
    return (this.status & R.VIRTIO_CONFIG_S_NEEDS_RESET) !== 0;
  }

  negotiated(bit: number): boolean {
    return bit < 32 ? ((this.driverFeatures[0]! >>> bit) & 1) === 1 : ((this.driverFeatures[1]! >>> (bit - 32)) & 1) === 1;
  }

  reset(): void {
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    this.driverFeatures = [0, 0];
    this.interruptStatus = 0;
    this.status = 0;
    for (const q of this.queues) q.reset();
    this.device.reset();
    this.irq.set(false);
  }

  save(): VirtioMmioState {
    return {
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: [...this.driverFeatures],
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      queues: this.queues.map((q) => q.save()),
      device: this.device.save(),
    };
  }

  /** Take over a saved state (of a device of the same kind over the same guest RAM); throws one
   *  line when it does not fit this device. */
  restore(state: VirtioMmioState): void {
    if (state.queues.length !== this.queues.length) {
      throw new Error(`cannot restore: saved state has ${state.queues.length} queue(s), ${this.name} has ${this.queues.length}`);
    }
    ({
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
    } = state);
    this.driverFeatures = [state.driverFeatures[0] ?? 0, state.driverFeatures[1] ?? 0];
    state.queues.forEach((q, i) => this.queues[i]!.restore(q));
    this.device.restore(state.device);
    this.irq.set(this.interruptStatus !== 0);
  }

  /** The ring loop, the one place chains are taken and returned (§2.7.8): the device serves
   *  each available chain (a queue that waits for host input: while input is waiting),
   *  it goes back on the used ring, and one interrupt follows the batch. */
  private serve(queue: number): void {
    const q = this.queues[queue]!;
    let used = false;
    while (this.device.canServe?.(queue) ?? true) {
      const chain = q.pop();
      if (!chain) break;
      const written = this.device.serve(queue, chain);
      // The device may have written any of the chain's writable buffers (DMA).
      for (const s of chain.writable) this.ram.written(s.off, s.len);
      q.push(chain.head, written);
      used = true;
    }
    if (used) this.interrupt(queue);
  }

  /** Used-buffer notification (§2.7.7.2); skipped when the driver suppressed it. */
  private interrupt(queue: number): void {
    const q = this.queues[queue];
    if (q && q.ready && !q.wantsInterrupt()) return;
    this.interruptStatus |= R.VIRTIO_MMIO_INT_VRING;
    this.irq.set(true);
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if (!(this.status & R.VIRTIO_CONFIG_S_DRIVER_OK)) return;
    this.interruptStatus |= R.VIRTIO_MMIO_INT_CONFIG;
    this.irq.set(true);
  }

  /** Run device work, turning any guest-caused failure into DEVICE_NEEDS_RESET. */
  private guarded(work: () => void): void {
    if (this.broken) return;
    try {
      work();
    } catch (err) {
      // Guest mistakes are expected; anything else is a device-model bug, which still costs the
      // guest only this device (NEEDS_RESET), never the whole machine.
      if (err instanceof VirtqueueError || err instanceof GuestMemoryError) this.fail(err.message);
      else this.fail(`internal error: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private fail(message: string): void {
    this.log(`${this.name}: ${message}; device needs reset`);
    this.status |= R.VIRTIO_CONFIG_S_NEEDS_RESET;
    this.interruptStatus |= R.VIRTIO_MMIO_INT_CONFIG;
    this.irq.set(true);
  }

  private offeredFeatures(sel: number): number {
    if (sel === 0) return (this.device.features | F_INDIRECT_DESC | F_EVENT_IDX) >>> 0;
    if (sel === 1) return F_VERSION_1_HI;
    return 0;
  }

  read(offset: number, size: number): number {
    if (offset >= R.VIRTIO_MMIO_CONFIG) return this.readConfig(offset - R.VIRTIO_MMIO_CONFIG, size);
    const q = this.queues[this.queueSel];
    switch (offset) {
      case R.VIRTIO_MMIO_MAGIC_VALUE:
        return MAGIC;
      case R.VIRTIO_MMIO_VERSION:
        return 2;
      case R.VIRTIO_MMIO_DEVICE_ID:
        return this.device.deviceId;
      case R.VIRTIO_MMIO_VENDOR_ID:
        return VENDOR;
      case R.VIRTIO_MMIO_DEVICE_FEATURES:
        return this.offeredFeatures(this.deviceFeaturesSel);
      case R.VIRTIO_MMIO_QUEUE_NUM_MAX:
        return q ? q.maxSize : 0;
      case R.VIRTIO_MMIO_QUEUE_READY:
        return q && q.ready ? 1 : 0;
      case R.VIRTIO_MMIO_INTERRUPT_STATUS:
        return this.interruptStatus;
      case R.VIRTIO_MMIO_STATUS:
        return this.status;
      case R.VIRTIO_MMIO_SHM_LEN_LOW:
      case R.VIRTIO_MMIO_SHM_LEN_HIGH:
        return 0xffffffff; // no shared memory regions (§4.2.2: length -1)
      case R.VIRTIO_MMIO_CONFIG_GENERATION:
        return this.configGeneration;
      default:
        return 0;
    }
  }

  private readConfig(offset: number, size: number): number {
    const c = this.device.config;
    if (offset + size > c.length) return 0;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + c[offset + i]!;
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    value >>>= 0;
    if (offset >= R.VIRTIO_MMIO_CONFIG) {
      this.device.writeConfig?.(offset - R.VIRTIO_MMIO_CONFIG, size, value);
      return;
    }
    const q = this.queues[this.queueSel];
    switch (offset) {
      case R.VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = value;
        break;
      case R.VIRTIO_MMIO_DRIVER_FEATURES:
        if (this.driverFeaturesSel < 2) {
          // A driver may only accept what was offered (§2.2); keep the intersection.
          this.driverFeatures[this.driverFeaturesSel] = (value & this.offeredFeatures(this.driverFeaturesSel)) >>> 0;
        }
        break;
      case R.VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = value;
        break;
      case R.VIRTIO_MMIO_QUEUE_SEL:
        this.queueSel = value;
        break;
      case R.VIRTIO_MMIO_QUEUE_NUM:
        if (q && !q.ready) q.size = value;
        break;
      case R.VIRTIO_MMIO_QUEUE_READY:
        if (!q) break;
        if (value & 1)
          this.guarded(() => {
            q.eventIdx = this.negotiated(29);
            q.enable();
          });
        else q.ready = false;
        break;
      case R.VIRTIO_MMIO_QUEUE_NOTIFY:
        if (this.driverOk && value < this.queues.length) this.guarded(() => this.serve(value));
        break;
      case R.VIRTIO_MMIO_INTERRUPT_ACK:
        this.interruptStatus &= ~value;
        this.irq.set(this.interruptStatus !== 0);
        break;
      case R.VIRTIO_MMIO_STATUS:
        this.writeStatus(value);
        break;
      case R.VIRTIO_MMIO_QUEUE_DESC_LOW:
        if (q && !q.ready) q.descAddr = lo(q.descAddr, value);
        break;
      case R.VIRTIO_MMIO_QUEUE_DESC_HIGH:
        if (q && !q.ready) q.descAddr = hi(q.descAddr, value);
        break;
      case R.VIRTIO_MMIO_QUEUE_AVAIL_LOW:
        if (q && !q.ready) q.availAddr = lo(q.availAddr, value);
        break;
      case R.VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
        if (q && !q.ready) q.availAddr = hi(q.availAddr, value);
        break;
      case R.VIRTIO_MMIO_QUEUE_USED_LOW:
        if (q && !q.ready) q.usedAddr = lo(q.usedAddr, value);
        break;
      case R.VIRTIO_MMIO_QUEUE_USED_HIGH:
        if (q && !q.ready) q.usedAddr = hi(q.usedAddr, value);
        break;
      case R.VIRTIO_MMIO_QUEUE_RESET:
        if (q && value & 1) q.reset();
        break; // QueueReset (§4.2.2, VIRTIO_F_RING_RESET)
    }
  }

  private writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      return;
    }
    // FEATURES_OK only sticks for a modern driver (VERSION_1, §6.1); legacy drivers cannot use
    // this transport version.
    if (value & R.VIRTIO_CONFIG_S_FEATURES_OK && !this.negotiated(32)) value &= ~R.VIRTIO_CONFIG_S_FEATURES_OK;
    const wasOk = this.driverOk;
    this.status = (value & 0x7f) | (this.status & R.VIRTIO_CONFIG_S_NEEDS_RESET);
    if (!wasOk && this.driverOk) {
      for (let i = 0; i < this.queues.length; i++) this.guarded(() => this.serve(i));
    }
  }
}

/** Replace the low 32 bits of a queue address; addresses above 2^53 cannot be RAM anyway. */
function lo(addr: number, v: number): number {
  return Math.floor(addr / 0x1_0000_0000) * 0x1_0000_0000 + v;
}

function hi(addr: number, v: number): number {
  return v >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : v * 0x1_0000_0000 + (addr % 0x1_0000_0000);
}
