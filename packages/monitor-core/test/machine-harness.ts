// Shared test helper: start the real machine worker the way the manager does (workerData =
// MachineConfig with a transferred port, a shared `wake` word bumped after each post) and
// collect what it posts.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { FromMachine, MachineConfig, ToMachine } from '../src/machine/contract.ts';

export type Spec = Omit<MachineConfig, 'wake' | 'port'>;

/** The bundled guest's files; COLINUX_GUEST_IMAGES points at another build of the same files
 *  (guest/work/out while developing). */
export const GUEST_IMAGES = process.env.COLINUX_GUEST_IMAGES || path.resolve(import.meta.dirname, '../../../guest/images');

export interface BundledGuest {
  image: Uint8Array;
  imageSize: number;
  initrd: Uint8Array;
}

/** The raw kernel Image and the initramfs. `imageSize` is the Image header's image_size field
 *  (Documentation/arch/riscv/boot-image-header.rst, offset 16): the load size including .bss. */
export function bundledGuest(): BundledGuest {
  const image = new Uint8Array(zlib.gunzipSync(fs.readFileSync(path.join(GUEST_IMAGES, 'Image.gz'))));
  const imageSize = Math.max(image.length, Number(Buffer.from(image.buffer).readBigUInt64LE(16)));
  const initrd = new Uint8Array(fs.readFileSync(path.join(GUEST_IMAGES, 'initramfs.cpio.gz')));
  return { image, imageSize, initrd };
}

/** Loads the kernel (and the initramfs) and starts it, as the manager does for the daemon. */
export function startGuest(m: WorkerMachine, guest: BundledGuest, withInitrd = true): void {
  m.send({ type: 'load-section', offset: 0, size: guest.imageSize, data: guest.image });
  if (withInitrd) m.send({ type: 'load-initrd', data: guest.initrd });
  m.send({ type: 'start', entryOffset: 0 });
}

export const baseSpec: Spec = {
  monitorId: 0,
  memoryMiB: 16,
  bootLine: '',
  console: { cols: 80, rows: 25 },
  blockDevices: [],
  netDevices: [],
  serialPorts: [],
  sharedDirs: [],
};

export class WorkerMachine {
  readonly worker: Worker;
  readonly messages: FromMachine[] = [];
  readonly output = new Map<number, string>();
  private readonly port: MessagePort;
  private readonly wake = new Int32Array(new SharedArrayBuffer(4));
  private waiters: Array<() => void> = [];
  exited = false;
  /** Called for every message, before waiters are woken (e.g. to answer network frames). */
  onMessage: ((msg: FromMachine) => void) | null = null;

  constructor(spec: Spec) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const config: MachineConfig = { ...spec, wake: this.wake.buffer as SharedArrayBuffer, port: port2 as unknown as MachineConfig['port'] };
    this.worker = new Worker(new URL('../src/machine/worker.ts', import.meta.url), { workerData: config, transferList: [port2] });
    this.worker.on('exit', () => {
      this.exited = true;
      this.poke();
    });
    port1.on('message', (m: FromMachine) => {
      this.messages.push(m);
      this.onMessage?.(m);
      if (m.type === 'output') this.output.set(m.module, (this.output.get(m.module) ?? '') + new TextDecoder().decode(m.data));
      this.poke();
    });
  }

  private poke(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(msg: ToMachine, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(msg, transfer);
    Atomics.add(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }

  /** Resolve once `check` holds (re-checked on every message), or reject after `ms`. */
  async until<T>(check: () => T | undefined | false, ms: number, what: string): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = check();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((res) => {
        this.waiters.push(res);
        setTimeout(res, 200);
      });
    }
  }

  terminated(): Extract<FromMachine, { type: 'terminated' }> | undefined {
    return this.messages.find((m) => m.type === 'terminated') as Extract<FromMachine, { type: 'terminated' }> | undefined;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      this.send({ type: 'stop', reason: 2 });
      await this.until(() => this.exited, 5000, 'worker exit').catch(() => this.worker.terminate());
    }
    this.port.close();
  }
}
