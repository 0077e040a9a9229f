// The shape every memory-mapped device shares: 32-bit-or-smaller register accesses at an offset
// from its base (the CPU splits 8-byte accesses, docs/cpu-core.md), plus a reset for REBOOT.

/** What save() returns: plain data, which JSON and structuredClone carry unchanged. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export interface MmioDevice {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
  reset(): void;
  /** The device's state as plain data, for suspend (the control issue serialises every device). */
  save(): Plain;
  /** Take over what save() returned, on a device placed and wired the same way. */
  restore(state: Plain): void;
}

/** A device that acts on time rather than on register accesses: the run loop calls `tick` with
 *  mtime (timebase ticks, memory-map.ts TIMEBASE_HZ) before each slice of guest instructions. */
export interface Ticking {
  tick(mtime: number): void;
}

/** Where a device's interrupt line goes (the PLIC's level-triggered inputs). */
export interface IrqLine {
  set(level: boolean): void;
}

/** The mip bits the host owns, driven through the CPU's setPending/clearPending. */
export interface HartInterrupts {
  setPending(mask: number): void;
  clearPending(mask: number): void;
}
