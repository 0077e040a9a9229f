// Trap entry (priv spec 3.1.6-3.1.9, 4.1.1): delegation through medeleg/mideleg, the xPIE/xPP
// stack in mstatus, vectored xtvec for interrupts, and interrupt priority (3.1.9: MEI, MSI, MTI,
// SEI, SSI, STI).
import { PRIV_M, PRIV_S } from './layout';
import {
  MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP,
  mstatus, priv,
} from './context';
import {
  IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI, medeleg, mideleg, mie, mip, mtvec,
  setMstatusRaw, setPrivilege, setTrapM, setTrapS, stvec,
} from './csr';

const INTERRUPT_BIT: i64 = <i64>1 << 63;

/** Enter the trap handler for `cause` (with bit 63 for interrupts); returns the new pc. */
export function enterTrap(cause: i64, tval: i64, epc: i64): i64 {
  const isIrq = cause < 0;
  const code = <i32>(cause & 63);
  const deleg = isIrq ? mideleg : medeleg;
  let s = mstatus;
  if (priv <= PRIV_S && ((deleg >> code) & 1)) {
    setTrapS(cause, epc, tval);
    s = (s & ~(MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SIE)) | ((s & MSTATUS_SIE) ? MSTATUS_SPIE : 0) |
      (priv == PRIV_S ? MSTATUS_SPP : 0);
    setMstatusRaw(s);
    setPrivilege(PRIV_S);
    const base = stvec & ~3;
    return isIrq && (stvec & 1) ? base + (<i64>code << 2) : base;
  }
  setTrapM(cause, epc, tval);
  s = (s & ~(MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MIE)) | ((s & MSTATUS_MIE) ? MSTATUS_MPIE : 0) |
    (<i64>priv << MSTATUS_MPP_SHIFT);
  setMstatusRaw(s);
  setPrivilege(PRIV_M);
  const base = mtvec & ~3;
  return isIrq && (mtvec & 1) ? base + (<i64>code << 2) : base;
}

function highest(bits: i64): i32 {
  if (bits & IRQ_MEI) return 11;
  if (bits & IRQ_MSI) return 3;
  if (bits & IRQ_MTI) return 7;
  if (bits & IRQ_SEI) return 9;
  if (bits & IRQ_SSI) return 1;
  if (bits & IRQ_STI) return 5;
  return -1;
}

/** The interrupt to take now, or -1 (priv spec 3.1.6.1: global enables per privilege). */
export function pendingInterrupt(): i32 {
  const pending = mip & mie;
  if (pending == 0) return -1;
  const mEnabled = priv < PRIV_M || (mstatus & MSTATUS_MIE) != 0;
  const sEnabled = priv < PRIV_S || (priv == PRIV_S && (mstatus & MSTATUS_SIE) != 0);
  let take: i64 = 0;
  if (mEnabled) take = pending & ~mideleg;
  if (take == 0 && sEnabled) take = pending & mideleg;
  return highest(take);
}

export function interruptCause(code: i32): i64 {
  return INTERRUPT_BIT | code;
}
