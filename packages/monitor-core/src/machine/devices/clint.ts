// Core-Local Interruptor (SiFive CLINT layout, as QEMU virt): msip at 0x0, mtimecmp at 0x4000,
// mtime at 0xbff8, one hart. mtime is the machine's clock (host monotonic, 10 MHz); the machine
// calls `tick` before each run slice so MTIP follows mtimecmp (priv spec §3.2.1).

import type { HartInterrupts, MmioDevice, Plain, Ticking } from './mmio-device.ts';
import { MIP_MSIP, MIP_MTIP, type Placement } from '../memory-map.ts';

const TWO32 = 0x1_0000_0000;

// Register offsets (SiFive CLINT layout, QEMU hw/intc/riscv_aclint.c), each 64-bit register as
// two 32-bit halves.
export const CLINT_MSIP = 0x0000;
export const CLINT_MTIMECMP = 0x4000;
export const CLINT_MTIMECMP_HI = 0x4004;
export const CLINT_MTIME = 0xbff8;
export const CLINT_MTIME_HI = 0xbffc;

export class Clint implements MmioDevice, Ticking {
  readonly name = 'clint';
  readonly base: number;
  readonly size: number;
  /** Reset value all ones: no timer interrupt until software programs one. */
  mtimecmp = Number.MAX_SAFE_INTEGER;
  private msip = 0;
  private readonly hart: HartInterrupts;
  private readonly now: () => number;
  private mtipRaised = false;

  constructor(place: Placement, hart: HartInterrupts, now: () => number) {
    ({ base: this.base, size: this.size } = place);
    this.hart = hart;
    this.now = now;
  }

  reset(): void {
    this.mtimecmp = Number.MAX_SAFE_INTEGER;
    this.msip = 0;
    this.hart.clearPending(MIP_MSIP | MIP_MTIP);
    this.mtipRaised = false;
  }

  save(): Plain {
    return { mtimecmp: this.mtimecmp, msip: this.msip };
  }

  /** MSIP and MTIP follow the restored registers (MTIP against the current mtime). */
  restore(state: Plain): void {
    const s = state as { mtimecmp: number; msip: number };
    this.mtimecmp = s.mtimecmp;
    this.write(CLINT_MSIP, 4, s.msip);
    this.mtipRaised = !(this.now() >= this.mtimecmp);
    this.tick(this.now());
  }

  tick(mtime: number): void {
    const due = mtime >= this.mtimecmp;
    if (due !== this.mtipRaised) {
      this.mtipRaised = due;
      if (due) this.hart.setPending(MIP_MTIP);
      else this.hart.clearPending(MIP_MTIP);
    }
  }

  read(offset: number, _size: number): number {
    if (offset === CLINT_MSIP) return this.msip;
    if (offset === CLINT_MTIMECMP) return this.mtimecmp % TWO32;
    if (offset === CLINT_MTIMECMP_HI) return Math.floor(this.mtimecmp / TWO32);
    const t = this.now();
    if (offset === CLINT_MTIME) return t % TWO32;
    if (offset === CLINT_MTIME_HI) return Math.floor(t / TWO32);
    return 0;
  }

  write(offset: number, _size: number, value: number): void {
    value >>>= 0;
    if (offset === CLINT_MSIP) {
      this.msip = value & 1;
      if (this.msip) this.hart.setPending(MIP_MSIP);
      else this.hart.clearPending(MIP_MSIP);
      return;
    }
    const hi = Math.floor(this.mtimecmp / TWO32);
    const lo = this.mtimecmp % TWO32;
    // Values above 2^53 ticks (28 years) are treated as "never".
    if (offset === CLINT_MTIMECMP) this.mtimecmp = Math.min(hi * TWO32 + value, Number.MAX_SAFE_INTEGER);
    else if (offset === CLINT_MTIMECMP_HI) this.mtimecmp = value >= 0x20_0000 ? Number.MAX_SAFE_INTEGER : value * TWO32 + lo;
    else return; // mtime writes are ignored: time follows the host clock
    this.tick(this.now());
  }
}
