// Platform-Level Interrupt Controller (RISC-V PLIC spec 1.0.0) with the QEMU virt layout:
// context 0 = hart 0 M-mode (MEIP), context 1 = hart 0 S-mode (SEIP). Sources are
// level-triggered: a gateway forwards one request, then waits for completion (§5, §9).

import type { HartInterrupts, IrqLine, MmioDevice, Plain } from './mmio-device.ts';
import { MIP_MEIP, MIP_SEIP, type Placement } from '../memory-map.ts';

const CONTEXTS = 2;
const CONTEXT_MIP = [MIP_MEIP, MIP_SEIP];
const PENDING_OFF = 0x1000;
const ENABLE_OFF = 0x2000;
const ENABLE_STRIDE = 0x80;
const CONTEXT_OFF = 0x20_0000;
const CONTEXT_STRIDE = 0x1000;

export class Plic implements MmioDevice {
  readonly name = 'plic';
  readonly base: number;
  readonly size: number;
  private readonly priority: Uint32Array;
  private readonly level: Uint8Array;
  private readonly pending: Uint8Array;
  /** Claimed and not yet completed: the gateway holds further requests back (§9). */
  private readonly inService: Uint8Array;
  private readonly enable: Uint32Array[];
  private readonly threshold = new Uint32Array(CONTEXTS);
  private readonly words: number;
  private readonly sources: number;
  private readonly hart: HartInterrupts;

  constructor(place: Placement, sources: number, hart: HartInterrupts) {
    ({ base: this.base, size: this.size } = place);
    this.sources = sources;
    this.hart = hart;
    this.priority = new Uint32Array(sources + 1);
    this.level = new Uint8Array(sources + 1);
    this.pending = new Uint8Array(sources + 1);
    this.inService = new Uint8Array(sources + 1);
    this.words = Math.ceil((sources + 1) / 32);
    this.enable = Array.from({ length: CONTEXTS }, () => new Uint32Array(this.words));
  }

  reset(): void {
    this.priority.fill(0);
    this.level.fill(0);
    this.pending.fill(0);
    this.inService.fill(0);
    for (const e of this.enable) e.fill(0);
    this.threshold.fill(0);
    this.update();
  }

  /** Every register and each source's gateway state (line level, pending, in service). */
  save(): Plain {
    return {
      priority: [...this.priority],
      level: [...this.level],
      pending: [...this.pending],
      inService: [...this.inService],
      enable: this.enable.map((e) => [...e]),
      threshold: [...this.threshold],
    };
  }

  /** Throws one line when the state is for a PLIC with another number of sources. */
  restore(state: Plain): void {
    const s = state as { priority: number[]; level: number[]; pending: number[]; inService: number[]; enable: number[][]; threshold: number[] };
    if (s.priority.length !== this.sources + 1) throw new Error(`cannot restore: saved PLIC has ${s.priority.length - 1} sources, this one ${this.sources}`);
    this.priority.set(s.priority);
    this.level.set(s.level);
    this.pending.set(s.pending);
    this.inService.set(s.inService);
    s.enable.forEach((e, ctx) => this.enable[ctx]!.set(e));
    this.threshold.set(s.threshold);
    this.update();
  }

  line(source: number): IrqLine {
    if (source < 1 || source > this.sources) throw new Error(`PLIC source ${source} out of range`);
    return { set: (level: boolean) => this.setLevel(source, level) };
  }

  setLevel(source: number, level: boolean): void {
    this.level[source] = level ? 1 : 0;
    if (level && !this.inService[source]) this.pending[source] = 1;
    // A level-triggered source that drops its line before being claimed withdraws the request.
    if (!level && !this.inService[source]) this.pending[source] = 0;
    this.update();
  }

  private best(ctx: number): number {
    let best = 0;
    let bestPrio = this.threshold[ctx]!;
    for (let s = 1; s <= this.sources; s++) {
      if (!this.pending[s]) continue;
      if (!((this.enable[ctx]![s >>> 5]! >>> (s & 31)) & 1)) continue;
      const p = this.priority[s]!;
      if (p > bestPrio) {
        best = s;
        bestPrio = p;
      }
    }
    return best;
  }

  private update(): void {
    for (let ctx = 0; ctx < CONTEXTS; ctx++) {
      if (this.best(ctx)) this.hart.setPending(CONTEXT_MIP[ctx]!);
      else this.hart.clearPending(CONTEXT_MIP[ctx]!);
    }
  }

  read(offset: number, _size: number): number {
    if (offset < PENDING_OFF) {
      const s = offset >>> 2;
      return s <= this.sources ? this.priority[s]! : 0;
    }
    if (offset < ENABLE_OFF) {
      const w = (offset - PENDING_OFF) >>> 2;
      let v = 0;
      for (let b = 0; b < 32; b++) {
        const s = w * 32 + b;
        if (s <= this.sources && this.pending[s]) v |= 1 << b;
      }
      return v >>> 0;
    }
    if (offset < CONTEXT_OFF) {
      const ctx = Math.floor((offset - ENABLE_OFF) / ENABLE_STRIDE);
      const w = ((offset - ENABLE_OFF) % ENABLE_STRIDE) >>> 2;
      return ctx < CONTEXTS && w < this.words ? this.enable[ctx]![w]! : 0;
    }
    const ctx = Math.floor((offset - CONTEXT_OFF) / CONTEXT_STRIDE);
    const reg = (offset - CONTEXT_OFF) % CONTEXT_STRIDE;
    if (ctx >= CONTEXTS) return 0;
    if (reg === 0) return this.threshold[ctx]!;
    if (reg === 4) return this.claim(ctx);
    return 0;
  }

  private claim(ctx: number): number {
    const s = this.best(ctx);
    if (s) {
      this.pending[s] = 0;
      this.inService[s] = 1;
      this.update();
    }
    return s;
  }

  write(offset: number, _size: number, value: number): void {
    value >>>= 0;
    if (offset < PENDING_OFF) {
      const s = offset >>> 2;
      if (s >= 1 && s <= this.sources) this.priority[s] = value & 7;
    } else if (offset < ENABLE_OFF) {
      return; // pending bits are read-only
    } else if (offset < CONTEXT_OFF) {
      const ctx = Math.floor((offset - ENABLE_OFF) / ENABLE_STRIDE);
      const w = ((offset - ENABLE_OFF) % ENABLE_STRIDE) >>> 2;
      // Source 0 does not exist, so its enable bit is hardwired to zero.
      if (ctx < CONTEXTS && w < this.words) this.enable[ctx]![w] = w === 0 ? value & ~1 : value;
    } else {
      const ctx = Math.floor((offset - CONTEXT_OFF) / CONTEXT_STRIDE);
      const reg = (offset - CONTEXT_OFF) % CONTEXT_STRIDE;
      if (ctx >= CONTEXTS) return;
      if (reg === 0) this.threshold[ctx] = value & 7;
      else if (reg === 4) this.complete(value);
      else return;
    }
    this.update();
  }

  private complete(source: number): void {
    if (source < 1 || source > this.sources || !this.inService[source]) return;
    this.inService[source] = 0;
    if (this.level[source]) this.pending[source] = 1;
  }
}
