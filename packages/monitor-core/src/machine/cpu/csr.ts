// Control and status registers (RISC-V privileged spec 1.12/1.13, chapters 2, 3 and 4; Zicntr,
// Sstc). All hart state other than x/f/pc lives here as wasm globals, except the translation
// context (priv, mstatus, satp: context.ts), which csr.ts changes and mmu.ts reads.
import { FCSR, PRIV_M, PRIV_S, PRIV_U, getMtime } from './layout';
import {
  ASID_MASK, MSTATUS_FS, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV,
  MSTATUS_MXR, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_SUM, MSTATUS_TSR, MSTATUS_TVM,
  MSTATUS_TW, SATP_ASID_SHIFT, SATP_MODE_BARE, SATP_MODE_SV39, SATP_MODE_SV48, SATP_PPN_MASK,
  mstatus, priv, satp, storeMstatus, storePriv, storeSatp,
} from './context';
import { flushTlb, selectAddressSpace, selectTlbs } from './mmu';
import { PMP_ENTRIES, readPmpaddr, readPmpcfg, resetPmp, writePmpaddr, writePmpcfg } from './pmp';

const MSTATUS_UXL_SXL: i64 = (<i64>2 << 32) | (<i64>2 << 34); // XLEN 64 in U and S, read-only
const SSTATUS_UXL: i64 = <i64>3 << 32;
const MSTATUS_SD: i64 = <i64>1 << 63;
const MSTATUS_WRITABLE: i64 =
  MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS |
  MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
const SSTATUS_MASK: i64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;
/** These select another TLB bank (layout.ts); MXR changes what a cached translation allows. */
const MSTATUS_BANK_BITS: i64 = MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM;

// --- interrupt bits (mip/mie, priv spec 3.1.9) ---
export const IRQ_SSI: i64 = 1 << 1;
export const IRQ_MSI: i64 = 1 << 3;
export const IRQ_STI: i64 = 1 << 5;
export const IRQ_MTI: i64 = 1 << 7;
export const IRQ_SEI: i64 = 1 << 9;
export const IRQ_MEI: i64 = 1 << 11;
const S_IRQS: i64 = IRQ_SSI | IRQ_STI | IRQ_SEI;
const ALL_IRQS: i64 = S_IRQS | IRQ_MSI | IRQ_MTI | IRQ_MEI;

/** misa: MXL=2 (RV64), extensions A C D F I M S U. Read-only (writes are legal and ignored). */
export const MISA: i64 =
  (<i64>2 << 62) | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);

const MENVCFG_STCE: i64 = <i64>1 << 63;
const MENVCFG_WRITABLE: i64 = MENVCFG_STCE | 1; // STCE and FIOM; the CBO/PBMT fields are not implemented

export let mip: i64 = 0;
export let mie: i64 = 0;
export let medeleg: i64 = 0;
export let mideleg: i64 = 0;
export let mtvec: i64 = 0;
export let mepc: i64 = 0;
export let mcause: i64 = 0;
export let mtval: i64 = 0;
export let mscratch: i64 = 0;
export let mcounteren: i32 = 0;
export let mcountinhibit: i32 = 0;
export let menvcfg: i64 = 0;
export let stvec: i64 = 0;
export let sepc: i64 = 0;
export let scause: i64 = 0;
export let stval: i64 = 0;
export let sscratch: i64 = 0;
export let scounteren: i32 = 0;
export let senvcfg: i64 = 0;
export let stimecmp: i64 = -1;
/** fcsr (frm << 5 | fflags, unpriv spec 11.2) lives in wasm memory at FCSR, not in a global, so
 *  that translated code reads and writes it too (jit.ts: FP arithmetic, frflags/fsflags). */
@inline export function fflags(): i32 { return load<i32>(FCSR) & 31; }
@inline export function frm(): i32 { return (load<i32>(FCSR) >> 5) & 7; }
@inline function setFcsr(v: i32): void { store<i32>(FCSR, v & 0xff); }
/** Retired instructions (also the cycle count: one instruction per cycle). */
export let retired: i64 = 0;
/** Offsets so mcycle/minstret can be written. */
let cycleOffset: i64 = 0;
let instretOffset: i64 = 0;
/** The last value the `time` CSR returned (readTime keeps it strictly increasing). */
let lastTime: i64 = 0;

/**
 * Host: the current time in timebase ticks (a double, so the call stays cheap), or anything not
 * above the state block's mtime when the host has no finer clock than the one it writes there.
 */
@external("env", "clock") declare function hostClock(): f64;

/**
 * The `time` CSR (Zicntr): the host clock at the read, at least the mtime the host wrote before
 * this run slice, and strictly above the previous read, so any two reads differ (the kernel
 * measures short intervals with it: `rdtime lacks granularity`, jitterentropy). Reads closer
 * together than one tick (100 ns at 10 MHz) run ahead of the host by one tick per read until the
 * host clock passes them.
 */
export function readTime(): i64 {
  let t = getMtime();
  const host = <i64>hostClock();
  if (host > t) t = host;
  if (t <= lastTime) t = lastTime + 1;
  lastTime = t;
  return t;
}

/** Set by csrReadChecked/csrWriteChecked when the access is illegal (illegal instruction). */
export let csrFault: bool = false;

export function resetCsrs(): void {
  storePriv(PRIV_M);
  storeMstatus(0);
  mip = 0;
  mie = 0;
  medeleg = 0;
  mideleg = 0;
  mtvec = 0;
  mepc = 0;
  mcause = 0;
  mtval = 0;
  mscratch = 0;
  mcounteren = 0;
  mcountinhibit = 0;
  menvcfg = 0;
  stvec = 0;
  sepc = 0;
  scause = 0;
  stval = 0;
  sscratch = 0;
  scounteren = 0;
  senvcfg = 0;
  storeSatp(0);
  stimecmp = -1;
  setFcsr(0);
  retired = 0;
  cycleOffset = 0;
  instretOffset = 0;
  lastTime = 0;
  resetPmp();
  selectTlbs();
}

export function setPrivilege(p: i32): void {
  if (p != priv) {
    storePriv(p);
    selectTlbs();
  }
}

export function readMstatus(): i64 {
  let v = mstatus | MSTATUS_UXL_SXL;
  if ((v & MSTATUS_FS) == MSTATUS_FS) v |= MSTATUS_SD;
  return v;
}

function writeMstatus(v: i64): void {
  let n = (mstatus & ~MSTATUS_WRITABLE) | (v & MSTATUS_WRITABLE);
  // MPP is WARL: the reserved value 2 (H) is not supported; treat as U.
  if (((n >> MSTATUS_MPP_SHIFT) & 3) == 2) n &= ~MSTATUS_MPP;
  const changed = n ^ mstatus;
  storeMstatus(n);
  if (changed & MSTATUS_MXR) flushTlb();
  if (changed & MSTATUS_BANK_BITS) selectTlbs();
}

/** Sstc (priv spec ch. "Sstc"): while menvcfg.STCE is set, STIP mirrors mtime >= stimecmp. */
export function updateTimerCompare(): void {
  if (menvcfg & MENVCFG_STCE) {
    if (<u64>getMtime() >= <u64>stimecmp) mip |= IRQ_STI;
    else mip &= ~IRQ_STI;
  }
}

export function sstcEnabled(): bool {
  return (menvcfg & MENVCFG_STCE) != 0;
}

function writeSatp(v: i64): void {
  const mode = (v >>> 60) & 15;
  // WARL: a write with an unsupported MODE has no effect at all (Linux probes Sv57 this way).
  if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 && mode != SATP_MODE_SV48) return;
  // ASID: 16 bits (priv 4.1.11). A write invalidates no translation, except that a change of
  // MODE takes effect at once; the new ASID's slot of TLBs becomes current (mmu.ts).
  const asid = (v >>> SATP_ASID_SHIFT) & ASID_MASK;
  const oldMode = satp >>> 60;
  storeSatp((mode << 60) | (asid << SATP_ASID_SHIFT) | (v & SATP_PPN_MASK));
  if (mode != oldMode) flushTlb();
  selectAddressSpace(<i32>asid);
}

// PMP (priv spec 3.7, pmp.ts): pmpcfg0..15 at 0x3a0, pmpaddr0..63 at 0x3b0..0x3ef. On RV64 only
// the even pmpcfg exist (each holds eight entries); the odd ones are illegal.
const CSR_PMPCFG0: i32 = 0x3a0;
const CSR_PMPADDR0: i32 = 0x3b0;
function isPmpCsr(csr: i32): bool {
  if (csr >= CSR_PMPCFG0 && csr < CSR_PMPADDR0) return (csr & 1) == 0;
  return csr >= CSR_PMPADDR0 && csr <= 0x3ef;
}

/** Zicntr/Zihpm visibility: bit `index` of mcounteren (for S and U) and scounteren (for U). */
function counterAllowed(index: i32): bool {
  if (priv == PRIV_M) return true;
  if (((mcounteren >> index) & 1) == 0) return false;
  if (priv == PRIV_U && ((scounteren >> index) & 1) == 0) return false;
  return true;
}

function fpAllowed(): bool {
  return (mstatus & MSTATUS_FS) != 0;
}

export function markFpDirty(): void {
  storeMstatus(mstatus | MSTATUS_FS);
}

function illegal(): i64 {
  csrFault = true;
  return 0;
}

/** Read with the privilege rules applied; sets csrFault when the access must trap. */
export function csrReadChecked(csr: i32): i64 {
  csrFault = false;
  if (((csr >> 8) & 3) > priv) return illegal();
  if (csr >= 0xc00 && csr <= 0xc1f) {
    if (!counterAllowed(csr & 31)) return illegal();
  } else if (csr == 0x14d) {
    // stimecmp from S needs mcounteren.TM and menvcfg.STCE (Sstc).
    if (priv < PRIV_M && (!sstcEnabled() || (mcounteren & 2) == 0)) return illegal();
  } else if (csr == 0x180) {
    if (priv == PRIV_S && (mstatus & MSTATUS_TVM)) return illegal();
  } else if (csr <= 3) {
    if (!fpAllowed()) return illegal();
  }
  return csrRead(csr);
}

/** Write with the privilege rules applied (the caller has already read if it had to). */
export function csrWriteChecked(csr: i32, v: i64): void {
  csrFault = false;
  if (((csr >> 10) & 3) == 3 || ((csr >> 8) & 3) > priv) {
    csrFault = true;
    return;
  }
  if (csr == 0x14d) {
    if (priv < PRIV_M && (!sstcEnabled() || (mcounteren & 2) == 0)) {
      csrFault = true;
      return;
    }
  } else if (csr == 0x180) {
    if (priv == PRIV_S && (mstatus & MSTATUS_TVM)) {
      csrFault = true;
      return;
    }
  } else if (csr <= 3) {
    if (!fpAllowed()) {
      csrFault = true;
      return;
    }
  }
  // An instruction writing mcycle/minstret does not also count itself: the written value is
  // what the next instruction sees (priv spec, Zicsr "CSR side effects" / "Machine counters").
  // The caller adds this instruction to `retired` after the write, so the offset absorbs it.
  if (csr == 0xb00 || csr == 0xb02) v -= 1;
  if (!csrWrite(csr, v)) csrFault = true;
}

/** Raw read without privilege checks (the contract's csrRead export). csrFault = unknown CSR. */
export function csrRead(csr: i32): i64 {
  switch (csr) {
    case 0x001: return fflags();
    case 0x002: return frm();
    case 0x003: return load<i32>(FCSR) & 0xff;
    case 0xc00: case 0xb00: return retired + cycleOffset;
    case 0xc01: return readTime();
    case 0xc02: case 0xb02: return retired + instretOffset;
    case 0x100: return readMstatus() & (SSTATUS_MASK | SSTATUS_UXL | MSTATUS_SD); // SXL is M-only
    case 0x104: return mie & mideleg;
    case 0x105: return stvec;
    case 0x106: return scounteren;
    case 0x10a: return senvcfg;
    case 0x140: return sscratch;
    case 0x141: return sepc;
    case 0x142: return scause;
    case 0x143: return stval;
    case 0x144: return mip & mideleg;
    case 0x14d: return stimecmp;
    case 0x180: return satp;
    case 0xf11: case 0xf12: case 0xf13: case 0xf14: case 0xf15: return 0;
    case 0x300: return readMstatus();
    case 0x301: return MISA;
    case 0x302: return medeleg;
    case 0x303: return mideleg;
    case 0x304: return mie;
    case 0x305: return mtvec;
    case 0x306: return mcounteren;
    case 0x30a: return menvcfg;
    case 0x320: return mcountinhibit;
    case 0x340: return mscratch;
    case 0x341: return mepc;
    case 0x342: return mcause;
    case 0x343: return mtval;
    case 0x344: return mip;
    // Debug trigger select: no triggers; tselect reads 0 so probing firmware sees none.
    case 0x7a0: case 0x7a1: case 0x7a2: case 0x7a3: return 0;
  }
  // hpmcounters, mhpmcounters and mhpmevents exist and read 0.
  if ((csr >= 0xc03 && csr <= 0xc1f) || (csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return 0;
  if (isPmpCsr(csr)) {
    if (csr == CSR_PMPCFG0 || csr == CSR_PMPCFG0 + 2) return readPmpcfg(csr - CSR_PMPCFG0);
    if (csr >= CSR_PMPADDR0 && csr < CSR_PMPADDR0 + PMP_ENTRIES) return readPmpaddr(csr - CSR_PMPADDR0);
    return 0; // entries 16..63 are not implemented: read-only zero
  }
  csrFault = true;
  return 0;
}

/** Raw write without privilege checks; false for an unknown CSR. */
export function csrWrite(csr: i32, v: i64): bool {
  switch (csr) {
    case 0x001: setFcsr((frm() << 5) | (<i32>v & 31)); markFpDirty(); return true;
    case 0x002: setFcsr(((<i32>v & 7) << 5) | fflags()); markFpDirty(); return true;
    case 0x003: setFcsr(<i32>v); markFpDirty(); return true;
    case 0xb00: cycleOffset = v - retired; return true;
    case 0xb02: instretOffset = v - retired; return true;
    case 0x100: writeMstatus((mstatus & ~SSTATUS_MASK) | (v & SSTATUS_MASK)); return true;
    case 0x104: mie = (mie & ~mideleg) | (v & mideleg); return true;
    case 0x105: stvec = v & ~2; return true;
    case 0x106: scounteren = <i32>v; return true;
    case 0x10a: senvcfg = v & 1; return true;
    case 0x140: sscratch = v; return true;
    case 0x141: sepc = v & ~1; return true;
    case 0x142: scause = v; return true;
    case 0x143: stval = v; return true;
    case 0x144: {
      // Only SSIP is writable from S (priv spec 4.1.3), and only when delegated.
      const m = IRQ_SSI & mideleg;
      mip = (mip & ~m) | (v & m);
      return true;
    }
    case 0x14d: stimecmp = v; updateTimerCompare(); return true;
    case 0x180: writeSatp(v); return true;
    case 0x300: writeMstatus(v); return true;
    case 0x301: return true;
    case 0x302: medeleg = v & 0xb3ff; return true; // not ecall-from-M (11), not 10/14 (reserved)
    case 0x303: mideleg = v & S_IRQS; return true;
    case 0x304: mie = v & ALL_IRQS; return true;
    case 0x305: mtvec = v & ~2; return true;
    case 0x306: mcounteren = <i32>v; return true;
    case 0x30a: menvcfg = v & MENVCFG_WRITABLE; updateTimerCompare(); return true;
    case 0x320: mcountinhibit = <i32>v & ~2; return true;
    case 0x340: mscratch = v; return true;
    case 0x341: mepc = v & ~1; return true;
    case 0x342: mcause = v; return true;
    case 0x343: mtval = v; return true;
    case 0x344: {
      // SSIP, STIP and SEIP are writable by M-mode; STIP is the comparator's while Sstc is on.
      let m = S_IRQS;
      if (sstcEnabled()) m &= ~IRQ_STI;
      mip = (mip & ~m) | (v & m);
      return true;
    }
    case 0x7a0: case 0x7a1: case 0x7a2: case 0x7a3: return true;
  }
  if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return true;
  if (isPmpCsr(csr)) {
    if (csr == CSR_PMPCFG0 || csr == CSR_PMPCFG0 + 2) writePmpcfg(csr - CSR_PMPCFG0, v);
    else if (csr >= CSR_PMPADDR0 && csr < CSR_PMPADDR0 + PMP_ENTRIES) writePmpaddr(csr - CSR_PMPADDR0, v);
    else return true;
    flushTlb(); // cached translations carry the old PMP answer
    return true;
  }
  return false;
}

// --- host side: setters used by the contract exports and the trap code ---
export function setMip(v: i64): void { mip = v; }
export function setMstatusRaw(v: i64): void {
  const changed = v ^ mstatus;
  storeMstatus(v);
  if (changed & MSTATUS_BANK_BITS) selectTlbs();
}
export function setFflags(v: i32): void { setFcsr((frm() << 5) | (v & 31)); }
export function addRetired(n: i64): void { retired += n; }
export function setTrapM(cause: i64, epc: i64, tval: i64): void { mcause = cause; mepc = epc; mtval = tval; }
export function setTrapS(cause: i64, epc: i64, tval: i64): void { scause = cause; sepc = epc; stval = tval; }
