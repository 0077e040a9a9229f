// Physical memory protection (priv spec 3.7): 16 entries, pmpcfg0/pmpcfg2 (RV64: eight 8-bit
// configurations each) and pmpaddr0..15 (bits 55:2 of an address), grain 4 bytes. Each entry is
// decoded into a byte range [lo, hi) when written, so a check is a short loop over the active
// entries. The caller (mmu.ts) checks every access that is not served by a TLB entry, and fills
// a TLB entry only when the whole 4 KiB page is allowed (one check of 4096 bytes: an entry that
// covers part of the page refuses it), so the fast paths need no check; csr.ts flushes the TLBs
// on every write here.
import { PRIV_M } from './layout';

export const PMP_ENTRIES: i32 = 16;
export const PMP_R: u8 = 1;
export const PMP_W: u8 = 2;
export const PMP_X: u8 = 4;
const PMP_A_SHIFT: u8 = 3;
const PMP_L: u8 = 0x80;
// Address-matching modes (the A field).
const PMP_OFF: u8 = 0;
const PMP_TOR: u8 = 1;
const PMP_NA4: u8 = 2;
const PMP_NAPOT: u8 = 3;
/** pmpaddr holds 54 bits on RV64 (physical address bits 55:2). */
const PMP_ADDR_MASK: i64 = (<i64>1 << 54) - 1;

/** The configuration bytes (u8 × 16) and address registers (i64 × 16) as written. */
const cfgs = memory.data(PMP_ENTRIES);
const addrs = memory.data(8 * PMP_ENTRIES, 8);
/** Each entry decoded: first byte (u64), end (u64, exclusive; both 0 when it matches nothing). */
const los = memory.data(8 * PMP_ENTRIES, 8);
const his = memory.data(8 * PMP_ENTRIES, 8);
/** Entries below this index may match (all above are OFF). */
let activeEnd: i32 = 0;
/** Whether any entry has L set (only then is an M-mode access checked at all). */
let anyLocked = false;

@inline function cfg(i: i32): u8 { return load<u8>(cfgs + i); }
@inline function addr(i: i32): i64 { return load<i64>(addrs + 8 * i); }
@inline function lo(i: i32): u64 { return load<u64>(los + 8 * i); }
@inline function hi(i: i32): u64 { return load<u64>(his + 8 * i); }

export function resetPmp(): void {
  memory.fill(cfgs, 0, PMP_ENTRIES);
  memory.fill(addrs, 0, 8 * PMP_ENTRIES);
  decode();
}

/** Recompute the byte ranges (priv spec 3.7.1, table "Encoding of A field"). */
function decode(): void {
  activeEnd = 0;
  anyLocked = false;
  for (let i = 0; i < PMP_ENTRIES; i++) {
    const a = (cfg(i) >> PMP_A_SHIFT) & 3;
    const word = <u64>addr(i);
    let start: u64 = 0;
    let end: u64 = 0;
    if (a == PMP_TOR) {
      start = i == 0 ? 0 : <u64>addr(i - 1) << 2;
      end = word << 2;
      if (start >= end) start = end = 0; // matches nothing
    } else if (a == PMP_NA4) {
      start = word << 2;
      end = start + 4;
    } else if (a == PMP_NAPOT) {
      // yyyy…y0 followed by k ones: 2^(k+3) bytes from the y bits.
      const ones = <u64>ctz(~word);
      const size: u64 = ones >= 54 ? <u64>1 << 56 : <u64>1 << (ones + 3);
      start = (word << 2) & ~(size - 1);
      end = start + size;
    }
    store<u64>(los + 8 * i, start);
    store<u64>(his + 8 * i, end);
    if (a != PMP_OFF) activeEnd = i + 1;
    if (cfg(i) & PMP_L) anyLocked = true;
  }
}

/** Writes to entry i's cfg and address are ignored while it is locked; so are writes to its
 *  address while entry i + 1 is a locked TOR entry (its lower bound). */
function cfgLocked(i: i32): bool {
  return (cfg(i) & PMP_L) != 0;
}
function addrLocked(i: i32): bool {
  if (cfgLocked(i)) return true;
  return i + 1 < PMP_ENTRIES && (cfg(i + 1) & PMP_L) != 0 && ((cfg(i + 1) >> PMP_A_SHIFT) & 3) == PMP_TOR;
}

/** pmpcfg0 (index 0) or pmpcfg2 (index 2): entries 4·index .. 4·index + 7. */
export function readPmpcfg(index: i32): i64 {
  let v: i64 = 0;
  for (let k = 7; k >= 0; k--) v = (v << 8) | <i64>cfg(4 * index + k);
  return v;
}
export function writePmpcfg(index: i32, v: i64): void {
  for (let k = 0; k < 8; k++) {
    const i = 4 * index + k;
    if (cfgLocked(i)) continue;
    let b = <u8>(v >>> (8 * k)) & ~<u8>0x60; // bits 5 and 6 are reserved (read 0)
    if ((b & (PMP_R | PMP_W)) == PMP_W) b &= ~(PMP_W | PMP_X); // R=0 W=1 is reserved: WARL to no access
    store<u8>(cfgs + i, b);
  }
  decode();
}
export function readPmpaddr(i: i32): i64 {
  return addr(i);
}
export function writePmpaddr(i: i32, v: i64): void {
  if (addrLocked(i)) return;
  store<i64>(addrs + 8 * i, v & PMP_ADDR_MASK);
  decode();
}

/**
 * Whether an access of `size` bytes at physical `pa` with privilege `p` may do `perm` (PMP_R,
 * PMP_W or PMP_X; W implies R, as R=0 W=1 is never stored), priv spec 3.7.1: the lowest-numbered entry that matches any byte decides, and
 * must match all of them; M-mode obeys only locked entries and passes where none matches; S and
 * U fail where none matches (16 entries are implemented).
 */
export function pmpAllows(pa: u64, size: u64, perm: u8, p: i32): bool {
  if (p == PRIV_M && !anyLocked) return true;
  const last = pa + size;
  for (let i = 0; i < activeEnd; i++) {
    const l = lo(i);
    const h = hi(i);
    if (last <= l || pa >= h) continue;
    if (pa < l || last > h) return false;
    const c = cfg(i);
    if (p == PRIV_M && !(c & PMP_L)) return true;
    return (c & perm) != 0;
  }
  return p == PRIV_M;
}
