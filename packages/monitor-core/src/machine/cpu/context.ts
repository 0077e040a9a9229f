// The translation context: the hart state that decides how an address is translated and
// checked (privilege level, mstatus, satp; priv spec 3.1.6, 4.1.11). mmu.ts reads it; csr.ts
// (CSR writes, trap entry and return) changes it through the store functions below and then
// re-points the TLBs (mmu.ts), so mmu.ts need not import csr.ts.
import { PRIV_M } from './layout';

// --- mstatus bits (priv spec 3.1.6) ---
export const MSTATUS_SIE: i64 = 1 << 1;
export const MSTATUS_MIE: i64 = 1 << 3;
export const MSTATUS_SPIE: i64 = 1 << 5;
export const MSTATUS_MPIE: i64 = 1 << 7;
export const MSTATUS_SPP: i64 = 1 << 8;
export const MSTATUS_MPP_SHIFT: i64 = 11;
export const MSTATUS_MPP: i64 = 3 << 11;
export const MSTATUS_FS_SHIFT: i64 = 13;
export const MSTATUS_FS: i64 = 3 << 13;
export const MSTATUS_MPRV: i64 = 1 << 17;
export const MSTATUS_SUM: i64 = 1 << 18;
export const MSTATUS_MXR: i64 = 1 << 19;
export const MSTATUS_TVM: i64 = 1 << 20;
export const MSTATUS_TW: i64 = 1 << 21;
export const MSTATUS_TSR: i64 = 1 << 22;
// --- satp fields (priv spec 4.1.11) ---
export const SATP_MODE_BARE: i64 = 0;
export const SATP_MODE_SV39: i64 = 8;
export const SATP_MODE_SV48: i64 = 9;
export const SATP_PPN_MASK: i64 = (<i64>1 << 44) - 1;
export const SATP_ASID_SHIFT: i64 = 44;
/** Implemented ASID bits (satp.ASID is WARL: the upper 16 - ASID_BITS bits read 0). */
export const ASID_BITS: i32 = 16;
export const ASID_MASK: i64 = (1 << ASID_BITS) - 1;

export let priv: i32 = PRIV_M;
export let mstatus: i64 = 0;
export let satp: i64 = 0;

// Raw stores, for csr.ts only (which then calls mmu.ts's selectTlbs or selectAddressSpace).
export function storePriv(p: i32): void { priv = p; }
export function storeMstatus(v: i64): void { mstatus = v; }
export function storeSatp(v: i64): void { satp = v; }
