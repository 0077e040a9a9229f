// The SBI implemented by the monitor (RISC-V SBI spec 2.0): S-mode Linux reaches it with
// `ecall`, the way a coLinux kernel called its host through the passage page. The core returns
// EXIT_SBI with a0..a7 in the state block (docs/cpu-core.md); results go back in a0/a1.

import { Termination } from '@colinux/protocol';
import type { GuestRam } from '../guest-ram.ts';
import { GuestMemoryError } from '../guest-ram.ts';
import { MIP_SSIP, MIP_STIP } from '../memory-map.ts';
import type { Ticking } from '../devices/mmio-device.ts';

const EXT_BASE = 0x10;
const EXT_TIME = 0x54494d45;
const EXT_IPI = 0x735049;
const EXT_RFENCE = 0x52464e43;
const EXT_HSM = 0x48534d;
const EXT_SRST = 0x53525354;
const EXT_DBCN = 0x4442434e;
const LEGACY_SET_TIMER = 0x00;
const LEGACY_PUTCHAR = 0x01;
const LEGACY_GETCHAR = 0x02;
const LEGACY_SHUTDOWN = 0x08;

const SUCCESS = 0n;
const ERR_FAILED = -1n;
const ERR_NOT_SUPPORTED = -2n;
const ERR_INVALID_PARAM = -3n;
const ERR_ALREADY_AVAILABLE = -6n;

const SPEC_VERSION = 2n << 24n; // 2.0 (§4.1: major in bits 30:24)
/** Implementation id for this monitor ("CoLX"); not one of the ids registered in §4.9. */
const IMPL_ID = 0x436f4c58n;
const IMPL_VERSION = 1n;
const SUPPORTED = new Set([EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_SRST, EXT_DBCN]);
const HSM_STARTED = 0n;
const MASK64 = (1n << 64n) - 1n;

/** What the SBI needs from the rest of the machine. */
export interface SbiHost {
  reg(n: number): bigint;
  setReg(n: number, v: bigint): void;
  setPending(mask: number): void;
  clearPending(mask: number): void;
  flushTlb(): void;
  /** With Sstc enabled (menvcfg.STCE) STIP follows stimecmp (Sstc spec), so the timer is
   *  programmed there, as OpenSBI does; returns false when Sstc is off. */
  setStimecmp(deadline: bigint): boolean;
  ram: GuestRam;
  consoleWrite(bytes: Uint8Array): void;
  /** Next byte of SBI console input, or -1. */
  consoleRead(): number;
  terminate(reason: Termination, text?: string): void;
}

export class Sbi implements Ticking {
  /** Supervisor timer deadline in mtime ticks (`set_timer`), MAX_SAFE_INTEGER = none. */
  timerDeadline = Number.MAX_SAFE_INTEGER;
  private readonly host: SbiHost;

  constructor(host: SbiHost) {
    this.host = host;
  }

  reset(): void {
    this.timerDeadline = Number.MAX_SAFE_INTEGER;
  }

  /** Raise or drop STIP for the SBI timer at time `mtime`. */
  tick(mtime: number): void {
    if (mtime >= this.timerDeadline) this.host.setPending(MIP_STIP);
  }

  handleEcall(): void {
    const h = this.host;
    const eid = Number(h.reg(17) & 0xffffffffn);
    const fid = Number(h.reg(16) & 0xffffffffn);
    const args = [10, 11, 12, 13, 14, 15].map((r) => h.reg(r) & MASK64);
    let error = SUCCESS;
    let value = 0n;
    const legacy = (a0: bigint) => {
      h.setReg(10, a0 & MASK64);
    };
    switch (eid) {
      case LEGACY_SET_TIMER:
        this.setTimer(args[0]!);
        legacy(0n);
        return;
      case LEGACY_PUTCHAR:
        h.consoleWrite(Uint8Array.of(Number(args[0]! & 0xffn)));
        legacy(0n);
        return;
      case LEGACY_GETCHAR:
        legacy(BigInt(h.consoleRead()));
        return;
      case LEGACY_SHUTDOWN:
        h.terminate(Termination.POWEROFF);
        return;
      case EXT_BASE:
        [error, value] = this.base(fid, args[0]!);
        break;
      case EXT_TIME:
        if (fid === 0) this.setTimer(args[0]!);
        else error = ERR_NOT_SUPPORTED;
        break;
      case EXT_IPI:
        if (fid === 0) {
          if (targetsHart0(args[0]!, args[1]!)) h.setPending(MIP_SSIP);
        } else error = ERR_NOT_SUPPORTED;
        break;
      case EXT_RFENCE:
        // One hart: a remote fence is a local one (fence.i, sfence.vma with or without ASID).
        if (fid <= 2) h.flushTlb();
        else error = ERR_NOT_SUPPORTED;
        break;
      case EXT_HSM:
        [error, value] = this.hsm(fid, args[0]!);
        break;
      case EXT_SRST:
        error = this.reset_(fid, args[0]!);
        break;
      case EXT_DBCN:
        [error, value] = this.dbcn(fid, args);
        break;
      default:
        error = ERR_NOT_SUPPORTED;
    }
    h.setReg(10, error & MASK64);
    h.setReg(11, value & MASK64);
  }

  private setTimer(deadline: bigint): void {
    if (this.host.setStimecmp(deadline)) {
      this.timerDeadline = Number.MAX_SAFE_INTEGER;
      return;
    }
    this.timerDeadline = deadline >= BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(deadline);
    // §6.1: programming the timer clears the pending timer interrupt.
    this.host.clearPending(MIP_STIP);
  }

  private base(fid: number, a0: bigint): [bigint, bigint] {
    switch (fid) {
      case 0:
        return [SUCCESS, SPEC_VERSION];
      case 1:
        return [SUCCESS, IMPL_ID];
      case 2:
        return [SUCCESS, IMPL_VERSION];
      case 3:
        return [SUCCESS, SUPPORTED.has(Number(a0 & 0xffffffffn)) && a0 <= 0xffffffffn ? 1n : 0n];
      case 4:
      case 5:
      case 6:
        return [SUCCESS, 0n]; // mvendorid, marchid, mimpid
      default:
        return [ERR_NOT_SUPPORTED, 0n];
    }
  }

  private hsm(fid: number, hart: bigint): [bigint, bigint] {
    switch (fid) {
      case 0:
        return [hart === 0n ? ERR_ALREADY_AVAILABLE : ERR_INVALID_PARAM, 0n]; // hart_start
      case 1:
        return [ERR_FAILED, 0n]; // hart_stop: the only hart cannot stop
      case 2:
        return hart === 0n ? [SUCCESS, HSM_STARTED] : [ERR_INVALID_PARAM, 0n];
      default:
        return [ERR_NOT_SUPPORTED, 0n];
    }
  }

  private reset_(fid: number, type: bigint): bigint {
    if (fid !== 0) return ERR_NOT_SUPPORTED;
    if (type === 0n) this.host.terminate(Termination.POWEROFF);
    else if (type === 1n || type === 2n) this.host.terminate(Termination.REBOOT);
    else return ERR_INVALID_PARAM;
    return SUCCESS;
  }

  /** Debug console (§12): buffers are physical addresses split into lo/hi words. */
  private dbcn(fid: number, args: bigint[]): [bigint, bigint] {
    const h = this.host;
    if (fid === 2) {
      h.consoleWrite(Uint8Array.of(Number(args[0]! & 0xffn)));
      return [SUCCESS, 0n];
    }
    if (fid !== 0 && fid !== 1) return [ERR_NOT_SUPPORTED, 0n];
    const addr = args[1]! + (args[2]! << 32n);
    const len = Number(args[0]! > 0x100000n ? 0x100000n : args[0]!);
    if (addr > BigInt(Number.MAX_SAFE_INTEGER)) return [ERR_INVALID_PARAM, 0n];
    let buf: Uint8Array;
    try {
      buf = h.ram.slice(Number(addr), len);
    } catch (err) {
      if (err instanceof GuestMemoryError) return [ERR_INVALID_PARAM, 0n];
      throw err;
    }
    if (fid === 0) {
      h.consoleWrite(buf.slice());
      return [SUCCESS, BigInt(len)];
    }
    let n = 0;
    for (; n < len; n++) {
      const c = h.consoleRead();
      if (c < 0) break;
      buf[n] = c;
    }
    h.ram.written(buf.byteOffset - h.ram.bytes.byteOffset, n);
    return [SUCCESS, BigInt(n)];
  }
}

/** §3.1 hart mask: base -1 means all harts; otherwise bit i is hart base+i. */
function targetsHart0(mask: bigint, base: bigint): boolean {
  if (base === MASK64) return true;
  return base === 0n && (mask & 1n) === 1n;
}
