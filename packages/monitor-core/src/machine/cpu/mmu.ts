// Virtual memory (priv spec 4.3-4.5: Sv39 and Sv48 with hardware A/D updates) and the physical
// memory map (ROM at 0, MMIO through i32 imports, RAM at 0x8000_0000). Successful translations of
// RAM/ROM pages are cached in three direct-mapped TLBs as `host address - virtual address`, so
// the interpreter's fast path is one compare and one wasm load/store (the TinyEMU design). The
// TLBs of each recently used ASID live in their own address-space slot (layout.ts), so a satp
// write that switches processes selects a slot instead of flushing.
import {
  EXIT_VALUE_OFF, PRIV_M, PRIV_S, PRIV_U, RAM_PHYS, RAM_WASM_OFFSET, ROM_SIZE, ROM_WASM_OFFSET,
  TLB_BANK_SIZE, TLB_BASE, TLB_FILLED_BASE, TLB_FILLED_MAX, TLB_FILLED_SIZE, TLB_GLOBAL_BASE, TLB_SIZE,
  TLB_SPACE_BASE, TLB_SPACE_SIZE, TLB_SPACES, clearTlbEntry, setTlbEntry, tlbAddend, tlbEntry, tlbTag,
} from './layout';
import {
  ASID_MASK, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_MXR, MSTATUS_SUM, SATP_MODE_SV39, mstatus, priv,
  satp,
} from './context';
import { isCodePage, ramStore, ramWritten } from './code-pages';
import { PMP_R, PMP_W, PMP_X, pmpAllows } from './pmp';

@external("env", "mmioRead") declare function mmioRead(addr: u32, size: i32): i32;
@external("env", "mmioWrite") declare function mmioWrite(addr: u32, size: i32, value: i32): void;

export const ACCESS_READ: i32 = 0;
export const ACCESS_WRITE: i32 = 1;
export const ACCESS_EXEC: i32 = 2;

// Exception causes (priv spec table 3.6).
export const CAUSE_FETCH_MISALIGNED: i32 = 0;
export const CAUSE_FETCH_ACCESS: i32 = 1;
export const CAUSE_ILLEGAL: i32 = 2;
export const CAUSE_BREAKPOINT: i32 = 3;
export const CAUSE_LOAD_MISALIGNED: i32 = 4;
export const CAUSE_LOAD_ACCESS: i32 = 5;
export const CAUSE_STORE_MISALIGNED: i32 = 6;
export const CAUSE_STORE_ACCESS: i32 = 7;
export const CAUSE_ECALL_U: i32 = 8;
export const CAUSE_FETCH_PAGE: i32 = 12;
export const CAUSE_LOAD_PAGE: i32 = 13;
export const CAUSE_STORE_PAGE: i32 = 15;
/** Not an exception: a store to HTIF tohost ends run() with EXIT_HALT. */
export const CAUSE_HALT: i32 = 64;
/** Not an exception: an MMIO store may have changed mip, so the block ends and run() checks. */
export const CAUSE_END_BLOCK: i32 = 65;

/** Pending synchronous exception raised by a slow path (-1 = none), and its tval. */
export let excCause: i32 = -1;
export let excTval: i64 = 0;

export let ramSize: u64 = 0;
export let tohost: u64 = 0;

const PTE_V: i64 = 1;
const PTE_R: i64 = 2;
const PTE_W: i64 = 4;
const PTE_X: i64 = 8;
const PTE_U: i64 = 16;
const PTE_G: i64 = 32;
const PTE_A: i64 = 64;
const PTE_D: i64 = 128;
const PTE_PPN_MASK: i64 = (<i64>1 << 44) - 1;
/** Bits 54..63 (reserved, PBMT, N): must be zero without Svpbmt/Svnapot. */
const PTE_RESERVED: i64 = <i64>0x3ff << 54;
/** The offset bits of an address in a 4 KiB page (priv spec 4.3). */
export const PAGE_MASK: i64 = 0xfff;
const PAGE_SIZE: u64 = 0x1000;

export function setRamSize(size: u64): void { ramSize = size; }
export function setTohostAddr(a: u64): void { tohost = a; }
export function clearException(): void { excCause = -1; }

export function raise(cause: i32, tval: i64): void {
  excCause = cause;
  excTval = tval;
}

/** The TLBs of the current translation context (see layout.ts: M, then U, S, S+SUM per slot). */
export let tlbRead: u32 = TLB_BASE;
export let tlbWrite: u32 = TLB_BASE + TLB_SIZE;
export let tlbCode: u32 = TLB_BASE + 2 * TLB_SIZE;

/**
 * The virtual range covered by superpage translations cached since the last full flush. The
 * TLBs hold 4 KiB pieces of superpages under many indices, so `sfence.vma va` inside this range
 * must flush everything (or, with an ASID, that address space); elsewhere (user pages, vmalloc)
 * it drops just the entries for va.
 */
let superLo: u64 = -1;
let superHi: u64 = 0;

// --- address spaces (priv spec 4.1.11 "satp", 4.2.1 "SFENCE.VMA") ---
//
// Each of TLB_SPACES slots holds the U, S and S+SUM banks of one ASID; the slot of the ASID in
// satp is the current one. A global mapping (PTE.G on any level of its walk) belongs to every
// address space: it is cached in each slot that uses it and marked in TLB_GLOBAL_BASE, so that
// `sfence.vma` with an ASID keeps it. A slot given to another ASID is flushed first.

/** The ASID held by each slot (i32), or NO_ASID: a free slot, flushed when given out. */
const slotAsid = memory.data(4 * TLB_SPACES);
/** When each slot was last selected (u32, from useClock): the least recently used is reused. */
const slotUse = memory.data(4 * TLB_SPACES);
const NO_ASID: i32 = -1;
let useClock: u32 = 0;
let currentSlot: u32 = 0;
let currentAsid: i32 = 0;
/** Whether the last translate() went through a PTE with G set. */
let walkGlobal: bool = false;

@inline function slotBase(slot: u32): u32 {
  return TLB_SPACE_BASE + slot * TLB_SPACE_SIZE;
}
@inline function globalFlag(entry: u32): u32 {
  return TLB_GLOBAL_BASE + ((entry - TLB_BASE) >> 4);
}

// --- filled-entry lists ---
//
// The TLBs are flushed in groups: M's bank, or one address-space slot (three banks, 576 KiB).
// Each group lists the entries filled since it was last cleared (an entry is listed when it is
// filled while empty, so every entry in use is on its group's list), and clearing a group
// empties just those; a list that would outgrow TLB_FILLED_MAX entries is marked OVERFLOWED, and
// that group is then cleared whole (a memory.fill) or scanned whole, as before the lists. A guest
// shell running /bin/true 1,000 times clears a group 2,000 times and drops an address space's
// non-global entries 4,000 times (docs/cpu-core.md "MMU"); a fill or scan of 576 KiB each time
// would cost a good part of that work.

/** A list count: more entries were filled than the list holds. */
const OVERFLOWED: u32 = TLB_FILLED_MAX + 1;
/** Group 0 is M's bank, group 1 + s address-space slot s. */
const TLB_GROUPS: u32 = 1 + TLB_SPACES;

@inline function groupOf(entry: u32): u32 {
  return entry < TLB_SPACE_BASE ? 0 : 1 + (entry - TLB_SPACE_BASE) / TLB_SPACE_SIZE;
}
@inline function groupBase(group: u32): u32 {
  return group == 0 ? TLB_BASE : slotBase(group - 1);
}
@inline function groupSize(group: u32): u32 {
  return group == 0 ? TLB_BANK_SIZE : TLB_SPACE_SIZE;
}
/** The list of `group`: a u32 count, then the entries' addresses (u32). */
@inline function filledList(group: u32): u32 {
  return TLB_FILLED_BASE + group * TLB_FILLED_SIZE;
}
@inline function isEmpty(entry: u32): bool {
  return tlbTag(entry) == -1;
}

/** The empty entry `entry` is about to be filled: list it. */
function noteFilled(entry: u32): void {
  const list = filledList(groupOf(entry));
  const n = load<u32>(list);
  if (n >= TLB_FILLED_MAX) {
    store<u32>(list, OVERFLOWED);
    return;
  }
  store<u32>(list + 4 + 4 * n, entry);
  store<u32>(list, n + 1);
}

/** Empty every entry of `group`. */
function clearGroup(group: u32): void {
  const list = filledList(group);
  const n = load<u32>(list);
  if (n == OVERFLOWED) memory.fill(groupBase(group), 0xff, groupSize(group)); // every tag -1
  else for (let i: u32 = 0; i < n; i++) clearTlbEntry(load<u32>(list + 4 + 4 * i));
  store<u32>(list, 0);
}
function slotOf(asid: i32): i32 {
  for (let s: u32 = 0; s < TLB_SPACES; s++) if (load<i32>(slotAsid + 4 * s) == asid) return <i32>s;
  return -1;
}

/** Drop every translation: the M bank and the current slot now, the other slots (marked free)
 *  when they are given out again. */
export function flushTlb(): void {
  clearGroup(0);
  for (let s: u32 = 0; s < TLB_SPACES; s++) store<i32>(slotAsid + 4 * s, NO_ASID);
  store<i32>(slotAsid + 4 * currentSlot, currentAsid);
  clearGroup(1 + currentSlot);
  superLo = -1;
  superHi = 0;
}

/** Reset (init): ASID 0 in slot 0, nothing cached. Every group counts as overflowed, so each
 *  is cleared whole when first used (the slots when first given out). */
export function resetTlbs(): void {
  for (let g: u32 = 0; g < TLB_GROUPS; g++) store<u32>(filledList(g), OVERFLOWED);
  useClock = 0;
  currentSlot = 0;
  currentAsid = 0;
  memory.fill(slotUse, 0, 4 * TLB_SPACES);
  flushTlb();
  selectTlbs();
}

/** A free slot if there is one, else the least recently used. */
function victimSlot(): u32 {
  let best: u32 = 0;
  for (let s: u32 = 0; s < TLB_SPACES; s++) {
    if (load<i32>(slotAsid + 4 * s) == NO_ASID) return s;
    if (load<u32>(slotUse + 4 * s) < load<u32>(slotUse + 4 * best)) best = s;
  }
  return best;
}

/** satp now holds `asid`: make its slot current, taking the least recently used one (flushed)
 *  if it has none. A satp write itself invalidates nothing (priv 4.1.11). */
export function selectAddressSpace(asid: i32): void {
  let slot = slotOf(asid);
  if (slot < 0) {
    slot = <i32>victimSlot();
    clearGroup(1 + <u32>slot);
    store<i32>(slotAsid + 4 * slot, asid);
  }
  store<u32>(slotUse + 4 * slot, ++useClock);
  currentSlot = <u32>slot;
  currentAsid = asid;
  selectTlbs();
}

/** Drop the entries of slot `slot` for va's page (keeping global ones if `keepGlobal`). */
function dropPage(slot: u32, va: i64, keepGlobal: bool): void {
  const tag = va & ~PAGE_MASK;
  for (let tlb = slotBase(slot); tlb < slotBase(slot) + TLB_SPACE_SIZE; tlb += TLB_SIZE) {
    const e = tlbEntry(tlb, va);
    if (tlbTag(e) == tag && !(keepGlobal && load<u8>(globalFlag(e)))) clearTlbEntry(e);
  }
}

/** Drop every non-global entry of slot `slot`; its list keeps the global ones. */
function dropNonGlobal(slot: u32): void {
  const list = filledList(1 + slot);
  const n = load<u32>(list);
  if (n == OVERFLOWED) {
    const base = slotBase(slot);
    for (let e = base; e < base + TLB_SPACE_SIZE; e += 16) {
      if (!load<u8>(globalFlag(e))) clearTlbEntry(e);
    }
    return;
  }
  let kept: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const e = load<u32>(list + 4 + 4 * i);
    if (isEmpty(e)) continue;
    if (load<u8>(globalFlag(e))) store<u32>(list + 4 + 4 * kept++, e);
    else clearTlbEntry(e);
  }
  store<u32>(list, kept);
}

/**
 * sfence.vma (priv spec 4.2.1): rs1 = x0 means every address, else the page of `va`; rs2 = x0
 * means every address space including global mappings, else only the non-global mappings of
 * ASID `asid`. (The M bank holds no translations: M-mode does not translate.)
 */
export function fenceVma(allPages: bool, va: i64, allSpaces: bool, asid: i64): void {
  if (allSpaces) {
    if (allPages || (<u64>va >= superLo && <u64>va < superHi)) {
      flushTlb();
      return;
    }
    for (let s: u32 = 0; s < TLB_SPACES; s++) {
      if (load<i32>(slotAsid + 4 * s) != NO_ASID) dropPage(s, va, false);
    }
    return;
  }
  const slot = slotOf(<i32>(asid & ASID_MASK));
  if (slot < 0) return;
  if (allPages || (<u64>va >= superLo && <u64>va < superHi)) dropNonGlobal(<u32>slot);
  else dropPage(<u32>slot, va, true);
}

function bankOf(p: i32, sum: bool): u32 {
  if (p == PRIV_M) return TLB_BASE;
  const bank: u32 = p == PRIV_U ? 0 : sum ? 2 : 1;
  return slotBase(currentSlot) + bank * TLB_BANK_SIZE;
}

/** Re-point the TLBs after a change of privilege, MPRV/MPP, SUM or address space. */
export function selectTlbs(): void {
  const data = bankOf(dataPriv(), (mstatus & MSTATUS_SUM) != 0);
  tlbRead = data;
  tlbWrite = data + TLB_SIZE;
  tlbCode = bankOf(priv, false) + 2 * TLB_SIZE;
}

function faultCause(access: i32, pageFault: bool): i32 {
  if (access == ACCESS_EXEC) return pageFault ? CAUSE_FETCH_PAGE : CAUSE_FETCH_ACCESS;
  if (access == ACCESS_WRITE) return pageFault ? CAUSE_STORE_PAGE : CAUSE_STORE_ACCESS;
  return pageFault ? CAUSE_LOAD_PAGE : CAUSE_LOAD_ACCESS;
}

@inline function isRam(pa: u64): bool {
  return pa - RAM_PHYS < ramSize;
}

@inline function ramHost(pa: u64): u32 {
  return <u32>(pa - RAM_PHYS) + RAM_WASM_OFFSET;
}

/** The privilege that load/store translation uses: MPP while M-mode has MPRV set (priv 3.1.6.3). */
function dataPriv(): i32 {
  if (priv == PRIV_M && (mstatus & MSTATUS_MPRV)) return <i32>((mstatus >> MSTATUS_MPP_SHIFT) & 3);
  return priv;
}

/** Virtual -> physical, or -1 with excCause set. Updates A/D bits in the PTE like hardware. */
export function translate(va: i64, access: i32): i64 {
  const p = access == ACCESS_EXEC ? priv : dataPriv();
  const mode = satp >>> 60;
  walkGlobal = false;
  if (p == PRIV_M || mode == 0) return va;
  let levels: i32 = mode == SATP_MODE_SV39 ? 3 : 4;
  const vaBits = 12 + 9 * levels;
  // The upper bits must be a sign extension of the top VA bit (priv 4.4.1).
  if ((va << (64 - vaBits)) >> (64 - vaBits) != va) {
    raise(faultCause(access, true), va);
    return -1;
  }
  let table: i64 = (satp & PTE_PPN_MASK) << 12;
  for (let level = levels - 1; level >= 0; level--) {
    const vpn = (va >>> (12 + 9 * level)) & 511;
    const pteAddr = table + (vpn << 3);
    if (!isRam(pteAddr)) {
      raise(faultCause(access, false), va);
      return -1;
    }
    // Implicit accesses to the page table are checked as S-mode ones (priv 3.7.1, 4.3.2 step 2).
    if (!pmpAllows(<u64>pteAddr, 8, PMP_R, PRIV_S)) {
      raise(faultCause(access, false), va);
      return -1;
    }
    const host = ramHost(pteAddr);
    let pte = load<i64>(host);
    if (!(pte & PTE_V) || ((pte & (PTE_R | PTE_W)) == PTE_W) || (pte & PTE_RESERVED)) break;
    const ppn = (pte >>> 10) & PTE_PPN_MASK;
    if (pte & PTE_G) walkGlobal = true; // a global non-leaf PTE makes everything below it global
    if (!(pte & (PTE_R | PTE_X))) {
      table = ppn << 12;
      continue;
    }
    // A leaf: check permissions (priv 4.3.2 step 5).
    if (access == ACCESS_EXEC) {
      if (!(pte & PTE_X)) break;
    } else if (access == ACCESS_WRITE) {
      if (!(pte & PTE_W)) break;
    } else {
      if (!(pte & PTE_R) && !((mstatus & MSTATUS_MXR) && (pte & PTE_X))) break;
    }
    if (p == PRIV_U) {
      if (!(pte & PTE_U)) break;
    } else if (pte & PTE_U) {
      // S-mode never executes user pages, and touches their data only with SUM.
      if (access == ACCESS_EXEC || !(mstatus & MSTATUS_SUM)) break;
    }
    const superMask: i64 = (<i64>1 << (9 * level)) - 1;
    if (ppn & superMask) break; // misaligned superpage
    if (level > 0) {
      const lo = <u64>(va & ~((superMask << 12) | PAGE_MASK));
      const hi = lo + (<u64>(superMask + 1) << 12);
      if (lo < superLo) superLo = lo;
      if (hi > superHi) superHi = hi;
    }
    const need = access == ACCESS_WRITE ? PTE_A | PTE_D : PTE_A;
    if ((pte & need) != need) {
      if (!pmpAllows(<u64>pteAddr, 8, PMP_W, PRIV_S)) {
        raise(faultCause(access, false), va);
        return -1;
      }
      pte |= need;
      ramWritten(host, 8);
      store<i64>(host, pte);
    }
    return ((ppn & ~superMask) << 12) | (va & ((superMask << 12) | PAGE_MASK));
  }
  raise(faultCause(access, true), va);
  return -1;
}

@inline function pmpPerm(access: i32): u8 {
  return access == ACCESS_READ ? PMP_R : access == ACCESS_WRITE ? PMP_W : PMP_X;
}
@inline function accessPriv(access: i32): i32 {
  return access == ACCESS_EXEC ? priv : dataPriv();
}

/** translate(), then the PMP check of the `size` bytes at the physical address: access faults
 *  (not page faults) on a violation. -1 with excCause set on any fault. */
function physical(va: i64, size: i32, access: i32): i64 {
  const pa = translate(va, access);
  if (pa < 0) return -1;
  if (!pmpAllows(<u64>pa, <u64>size, pmpPerm(access), accessPriv(access))) {
    raise(faultCause(access, false), va);
    return -1;
  }
  return pa;
}

/** Whether a TLB entry may cache pa's page for `access`: PMP allows all of the page, so that
 *  accesses through the entry need no check. */
function cacheable(pa: i64, access: i32): bool {
  return pmpAllows(<u64>(pa & ~PAGE_MASK), PAGE_SIZE, pmpPerm(access), accessPriv(access));
}

/** Where page `pa` lives in wasm memory if it is RAM (or ROM for reads/fetches), else 0. */
function hostPage(pa: u64, access: i32): u32 {
  if (isRam(pa)) return ramHost(pa);
  if (pa < <u64>ROM_SIZE && access != ACCESS_WRITE) return <u32>pa + ROM_WASM_OFFSET;
  return 0;
}

@inline function mapsPage(entry: u32, page: u32): bool {
  return <u32>((tlbTag(entry) & ~PAGE_MASK) + tlbAddend(entry)) == page;
}
@inline function isWriteEntry(entry: u32): bool {
  return ((entry - TLB_BASE) % TLB_BANK_SIZE) / TLB_SIZE == 1;
}

/** Drop the write-TLB entries (every bank) that map the RAM page at wasm address `page`:
 *  it now holds translated code, whose stores must take the slow path (code-pages.ts). Free
 *  slots are skipped: they are cleared when given out. */
export function dropWriteTranslations(page: u32): void {
  for (let g: u32 = 0; g < TLB_GROUPS; g++) {
    if (g > 0 && load<i32>(slotAsid + 4 * (g - 1)) == NO_ASID) continue;
    const list = filledList(g);
    const n = load<u32>(list);
    if (n == OVERFLOWED) {
      for (let bank = groupBase(g); bank < groupBase(g) + groupSize(g); bank += TLB_BANK_SIZE) {
        const tlb = bank + TLB_SIZE;
        for (let e = tlb; e < tlb + TLB_SIZE; e += 16) if (mapsPage(e, page)) clearTlbEntry(e);
      }
      continue;
    }
    for (let i: u32 = 0; i < n; i++) {
      const e = load<u32>(list + 4 + 4 * i);
      if (isWriteEntry(e) && mapsPage(e, page)) clearTlbEntry(e);
    }
  }
}

/** Cache the translation va -> pa (host address `host`) that translate() just made. */
function tlbFill(tlb: u32, va: i64, pa: i64, host: u32): void {
  const e = tlbEntry(tlb, va);
  if (isEmpty(e)) noteFilled(e);
  setTlbEntry(e, va & ~PAGE_MASK, (<i64>host - (pa & PAGE_MASK)) - (va & ~PAGE_MASK));
  store<u8>(globalFlag(e), walkGlobal ? 1 : 0);
}

/** Whether the page of the last codeAddend() is in the code TLB: false when PMP allows only
 *  part of it, and then each fetch there must come through codeAddend() (2 bytes at a time). */
export let codePageCached: bool = true;

/** The `host - va` addend for the page of `va` (may be negative), after checking the 2 bytes at
 *  va; on a fault excCause is set. */
export function codeAddend(va: i64): i64 {
  const e = tlbEntry(tlbCode, va);
  codePageCached = true;
  if (tlbTag(e) == (va & ~PAGE_MASK)) return tlbAddend(e);
  const pa = physical(va, 2, ACCESS_EXEC);
  if (pa < 0) return 0;
  const host = hostPage(pa, ACCESS_EXEC);
  if (host == 0) {
    raise(CAUSE_FETCH_ACCESS, va);
    return 0;
  }
  codePageCached = cacheable(pa, ACCESS_EXEC);
  if (codePageCached) tlbFill(tlbCode, va, pa, host);
  return (<i64>host - (pa & PAGE_MASK)) - (va & ~PAGE_MASK);
}

function loadPhys(pa: i64, size: i32, va: i64): i64 {
  const host = hostPage(pa, ACCESS_READ);
  if (host != 0) {
    if (size == 1) return <i64>load<u8>(host);
    if (size == 2) return <i64>load<u16>(host);
    if (size == 4) return <i64>load<u32>(host);
    return load<i64>(host);
  }
  if (<u64>pa > 0xffffffff) {
    raise(CAUSE_LOAD_ACCESS, va);
    return 0;
  }
  const a = <u32>pa;
  if (size == 8) return <i64><u32>mmioRead(a, 4) | (<i64><u32>mmioRead(a + 4, 4) << 32);
  const v = mmioRead(a, size);
  if (size == 1) return <i64><u8>v;
  if (size == 2) return <i64><u16>v;
  return <i64><u32>v;
}

/** Slow load: TLB miss, MMIO, or misaligned. Returns the zero-extended value. */
export function loadSlow(va: i64, size: i32): i64 {
  if (va & (size - 1)) {
    // Misaligned: assembled byte by byte (priv 3.6.3.x allows it; Linux probes it as fast).
    let v: i64 = 0;
    for (let i = 0; i < size; i++) {
      v |= loadSlow(va + i, 1) << (i << 3);
      if (excCause >= 0) {
        excTval = va;
        return 0;
      }
    }
    return v;
  }
  const pa = physical(va, size, ACCESS_READ);
  if (pa < 0) return 0;
  const host = hostPage(pa, ACCESS_READ);
  if (host != 0 && cacheable(pa, ACCESS_READ)) tlbFill(tlbRead, va, pa, host);
  return loadPhys(pa, size, va);
}

function storePhys(pa: i64, size: i32, v: i64, va: i64): void {
  if (isRam(pa)) {
    const host = ramHost(pa);
    ramStore(host, size, v);
    if (size == 1) store<u8>(host, <u8>v);
    else if (size == 2) store<u16>(host, <u16>v);
    else if (size == 4) store<u32>(host, <u32>v);
    else store<i64>(host, v);
    if (<u64>(pa - tohost) < 8 || <u64>(tohost - pa) < <u64>size) checkTohost();
    return;
  }
  if (<u64>pa < <u64>ROM_SIZE) return;
  if (<u64>pa > 0xffffffff) {
    raise(CAUSE_STORE_ACCESS, va);
    return;
  }
  const a = <u32>pa;
  if (size == 8) {
    mmioWrite(a, 4, <i32>v);
    mmioWrite(a + 4, 4, <i32>(v >>> 32));
  } else {
    mmioWrite(a, size, <i32>v);
  }
  if (excCause < 0) raise(CAUSE_END_BLOCK, 0);
}

function checkTohost(): void {
  if (tohost == 0 || !isRam(tohost)) return;
  const v = load<i64>(ramHost(tohost));
  if (v != 0) {
    store<i64>(EXIT_VALUE_OFF, v);
    raise(CAUSE_HALT, 0);
  }
}

/** Slow store: TLB miss, MMIO, misaligned, or the tohost page. */
export function storeSlow(va: i64, size: i32, v: i64): void {
  if (va & (size - 1)) {
    // Translate every byte first so a fault leaves memory untouched.
    for (let i = 0; i < size; i++) {
      if (physical(va + i, 1, ACCESS_WRITE) < 0) {
        excTval = va;
        return;
      }
    }
    for (let i = 0; i < size; i++) storeSlow(va + i, 1, v >>> (i << 3));
    return;
  }
  const pa = physical(va, size, ACCESS_WRITE);
  if (pa < 0) return;
  storePhys(pa, size, v, va);
  // A page that still holds translated code (the store left its bytes as they were) stays out
  // of the write TLB (code-pages.ts).
  if (isRam(pa) && !isCodePage(ramHost(pa)) && (tohost == 0 || ((pa ^ tohost) & ~PAGE_MASK) != 0) && cacheable(pa, ACCESS_WRITE)) {
    tlbFill(tlbWrite, va, pa, ramHost(pa));
  }
}

/** Slow path of an LR (access READ) or SC/AMO (access WRITE): aligned RAM only; fills the TLB. */
export function atomicHost(va: i64, size: i32, access: i32): u32 {
  const load = access == ACCESS_READ;
  if (va & (size - 1)) {
    raise(load ? CAUSE_LOAD_MISALIGNED : CAUSE_STORE_MISALIGNED, va);
    return 0;
  }
  const pa = physical(va, size, access);
  if (pa < 0) return 0;
  if (!isRam(pa)) {
    raise(load ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS, va);
    return 0;
  }
  const host = ramHost(pa);
  if (!load) ramWritten(host, <u32>size);
  if (!cacheable(pa, access)) return host;
  if (load) tlbFill(tlbRead, va, pa, host);
  else if (!isCodePage(host) && (tohost == 0 || ((pa ^ tohost) & ~PAGE_MASK) != 0)) tlbFill(tlbWrite, va, pa, host);
  return host;
}

/** A fetch of 16 bits the fast path could not do (the upper half of a page-crossing insn). */
export function fetchHalfSlow(va: i64): i32 {
  const add = codeAddend(va);
  if (excCause >= 0) return 0;
  return <i32>load<u16>(<u32>(va + add));
}

/** The host wrote `len` bytes of RAM at RAM offset `offset` (DMA, loaders): drop their code. */
export function ramRangeWritten(offset: u32, len: u32): void {
  if (len == 0 || <u64>offset >= ramSize) return;
  if (<u64>offset + <u64>len > ramSize) len = <u32>(ramSize - <u64>offset);
  const first = offset >> 12;
  const last = (offset + len - 1) >> 12;
  for (let p = first; p <= last; p++) {
    const start = p == first ? offset & 0xfff : 0;
    const end = p == last ? ((offset + len - 1) & 0xfff) + 1 : 0x1000;
    ramWritten(RAM_WASM_OFFSET + (p << 12) + start, end - start);
  }
}
