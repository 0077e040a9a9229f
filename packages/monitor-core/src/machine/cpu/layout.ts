// Fixed places in the (imported) wasm memory. Everything the hot loop touches lives at a constant
// address so loads compile to `i64.load offset=CONST` without any allocation (runtime stub, no GC).
// AssemblyScript's own static data starts at `memoryBase` (asconfig.json: 0x60000), above these.
// Every address here is a wasm byte offset; guest physical addresses are named *_PHYS (the
// board's physical map is machine/memory-map.ts). The numbers the host also uses are in abi.ts.
import {
  MAX_TABLE_SLOTS, STATE_EXIT_VALUE, STATE_F, STATE_MTIME, STATE_PC, STATE_PRIV, STATE_X,
} from './abi';
export {
  EXIT_BUDGET, EXIT_HALT, EXIT_SBI, EXIT_WFI, PRIV_M, PRIV_S, PRIV_U, RAM_PHYS, RESET_PC, ROM_SIZE,
} from './abi';

// In address order:

// ---- 0x1000 .. 0x2000: the state block and the words the interpreter and translated code share

/** The architectural state block of docs/cpu-core.md (x, f, pc, mtime, exitValue, priv; the
 *  fields' offsets are abi.ts's STATE_*). */
export const STATE: u32 = 0x1000;
export const X_BASE: u32 = STATE + STATE_X; // x[0..31]
export const F_BASE: u32 = STATE + STATE_F; // f[0..31]
export const PC_OFF: u32 = STATE + STATE_PC;
export const MTIME_OFF: u32 = STATE + STATE_MTIME;
export const EXIT_VALUE_OFF: u32 = STATE + STATE_EXIT_VALUE;
export const PRIV_OFF: u32 = STATE + STATE_PRIV;

/** Where a translated region leaves the next pc (i64). */
export const JIT_NPC: u32 = 0x1900;
/** tlbRead, tlbWrite and tlbCode (u32 each), published by the interpreter for translated code. */
export const JIT_TLB_PTRS: u32 = 0x1908;
/**
 * Instructions translated code may still run (i32): the interpreter writes what is left of its
 * budget before it calls a region; a region leaves what is left of it here when it returns or
 * continues directly in another one.
 */
export const JIT_REM: u32 = 0x1914;
/** mstatus.FS (i32, 0 Off .. 3 Dirty), written by the interpreter before it calls a block: FP
 *  loads and stores are translated, and run only while it allows them without a state change. */
export const JIT_FS: u32 = 0x1918;
/** The translator's scratch decoded-instruction slot (16 bytes, decode.ts). */
export const SCRATCH: u32 = 0x1920;
/** The LR/SC reservation (i64): the wasm address of the reserved word, -1 for none; the
 *  interpreter's and translated code's LR and SC share it. */
export const JIT_RESERVATION: u32 = 0x1930;
/** fcsr (i32: frm << 5 | fflags; unpriv spec 11.2), the register itself (csr.ts): translated
 *  code reads it for FP arithmetic (RNE only, no new flag) and reads and writes it for
 *  frflags/fsflags/frrm/fsrm. */
export const FCSR: u32 = 0x1938;

/** The end of the state block's page. */
export const STATE_PAGE_END: u32 = 0x2000;

/** The code span of recently written code pages (code-pages.ts): 1024 × { page u32, lo u16,
 *  hi u16 }, in the free space between the state block's page and the boot ROM. */
export const PAGE_SPANS: u32 = 0x2000;
export const PAGE_SPANS_ENTRIES: u32 = 1024;

/** Where guest physical [0, ROM_SIZE), the boot ROM (read/execute, writes ignored), sits in
 *  wasm memory (the contract's romBase()). */
export const ROM_WASM_OFFSET: u32 = 0x10000;

/** 65536 × u32: the 32-bit expansion of every 16-bit RVC encoding (0 = illegal), built by init. */
export const RVC_TABLE: u32 = 0x20000;

/** AssemblyScript's static data lies in [memoryBase (asconfig.json: 0x60000), STATIC_DATA_END). */
export const STATIC_DATA_END: u32 = 0x100000;
// STATIC_DATA_END .. 0x200000: free (the decoded-instruction cache's place while it had 65536
// entries; untouched pages cost no memory).

/** Table indices of dropped regions, for reuse (jit.ts: u16 × 65536). */
export const FREE_SLOTS: u32 = 0x200000;

/** One bit per 4 KiB page of guest RAM: the page holds translated code (code-pages.ts). Sized
 *  for the largest RAM a 32-bit wasm memory holds (4 GiB / 4 KiB / 8). */
export const CODE_PAGES_BASE: u32 = 0x220000;
export const CODE_PAGES_SIZE: u32 = 0x20000;

// The translator's pending batch (jit.ts):
/** The function bodies of the pending regions, [BODY, BODY_END) (192 KiB: with the batch's
 *  branch hints, at most 40 KiB, and the headers the module stays below BATCH). */
export const BODY: u32 = 0x240000;
export const BODY_END: u32 = 0x270000;
/** The pcs (i64) of the pending regions' members, in batch order. */
export const MEMBERS: u32 = 0x278000;
/** The module handed to the host: the bodies plus under 32 KiB of headers. */
export const MODULE: u32 = 0x280000;
/** One record per pending region (jit.ts: BATCH_MAX × BATCH_RECORD bytes). */
export const BATCH: u32 = 0x2c0000;
/** The first pass's scratch output (one instruction's code). */
export const DRY_RUN: u32 = 0x2c0800;
// 0x2c1000: JIT_SLOTS (abi.ts), the table index of each function handed to the host.

/** The translator's hotness counters (jit.ts: u16 × 65536). */
export const HOT_BASE: u32 = 0x2c2000;
/** How many block-cache entries use each table slot (jit.ts: u8 × 65536). */
export const SLOT_REFS: u32 = 0x2e2000;

/** The translator's block cache (jit.ts): 65536 entries of 16 bytes. */
export const BLOCK_CACHE_BASE: u32 = 0x300000;

/**
 * The TLBs (mmu.ts): banks of three direct-mapped TLBs (read, write, code) of TLB_ENTRIES
 * { tag: i64, addend: i64 }, one bank per translation context. M-mode's bank comes first (M
 * does not translate, so it is the same in every address space); then TLB_SPACES address-space
 * slots (one per recently used ASID, priv spec 4.1.11), each with the banks U, S and S with SUM,
 * so that switching processes, privilege changes and Linux's SUM toggling around user copies
 * select other banks instead of flushing. Translated code (jit.ts) only ever sees the three
 * pointers the interpreter publishes, so none of this changes what it compares.
 *
 * 4096 entries (index: the low 12 bits of the virtual page number, `tlbEntry`): with 256, two
 * hot pages of a process whose page numbers shared their low 8 bits (a busybox page and a heap
 * page, wherever ASLR put the heap in that run) evicted each other on every access, and
 * translated code left for the interpreter at each such access (docs/cpu-core.md "MMU", the
 * shell loop's run-to-run swing). QEMU's softmmu TLB is direct mapped as well and grows up to
 * 2^22 entries (QEMU's accel/tcg/tlb-bounds.h).
 */
export const TLB_ENTRIES: u32 = 4096;
export const TLB_SIZE: u32 = TLB_ENTRIES * 16;
export const TLB_BANK_SIZE: u32 = 3 * TLB_SIZE;
export const TLB_SPACE_SIZE: u32 = 3 * TLB_BANK_SIZE;
export const TLB_SPACES: u32 = 8;
export const TLB_BASE: u32 = 0x400000;
export const TLB_SPACE_BASE: u32 = TLB_BASE + TLB_BANK_SIZE;
export const TLB_END: u32 = TLB_SPACE_BASE + TLB_SPACES * TLB_SPACE_SIZE;
/** One byte per TLB entry of [TLB_BASE, TLB_END): 1 when it caches a global mapping (PTE.G). */
export const TLB_GLOBAL_BASE: u32 = TLB_END;
export const TLB_GLOBAL_END: u32 = TLB_GLOBAL_BASE + (TLB_END - TLB_BASE) / 16;
/** The filled-entry lists (mmu.ts): one per group of banks that is flushed together (M's bank,
 *  then each address-space slot), each a u32 count and up to TLB_FILLED_MAX entry addresses, so
 *  that a flush clears the entries in use instead of all of the group (576 KiB for a slot). */
export const TLB_FILLED_BASE: u32 = TLB_GLOBAL_END;
export const TLB_FILLED_SIZE: u32 = 0x2000;
export const TLB_FILLED_MAX: u32 = TLB_FILLED_SIZE / 4 - 1;
export const TLB_FILLED_END: u32 = TLB_FILLED_BASE + (1 + TLB_SPACES) * TLB_FILLED_SIZE;

/** The entry for va's page in the TLB at `tlb` (direct-mapped on the virtual page number). */
@inline export function tlbEntry(tlb: u32, va: i64): u32 {
  return tlb + ((<u32>(va >>> 12) & (TLB_ENTRIES - 1)) << 4);
}
/** An entry's tag: the virtual address of the page it maps (-1: none). Compared with an address
 *  whose low bits are cleared only above the access's alignment, so misaligned accesses miss. */
@inline export function tlbTag(e: u32): i64 { return load<i64>(e); }
/** An entry's addend: wasm address = virtual address + addend, anywhere in the page. */
@inline export function tlbAddend(e: u32): i64 { return load<i64>(e, 8); }
@inline export function setTlbEntry(e: u32, tag: i64, addend: i64): void {
  store<i64>(e, tag);
  store<i64>(e, addend, 8);
}
@inline export function clearTlbEntry(e: u32): void { store<i64>(e, -1); }

/** Each translated region's span of its page (jit.ts): u32 lo | hi << 16 per table slot, for
 *  every slot the host may hand out (a slot beyond REGION_SPAN_SLOTS would count as the whole
 *  page). */
export const REGION_SPANS: u32 = 0x920000;
export const REGION_SPAN_SLOTS: u32 = MAX_TABLE_SLOTS;

/**
 * The decoded-instruction cache (decode.ts): 262144 entries of 16 bytes, direct-mapped on the
 * halfword address, so 512 KiB of code without conflicts. With 65536 (128 KiB of code), the
 * Debian guest's `apt-get install` missed 8,450 times per million instructions and its boot
 * 4,977; with 262144, 3,240 and 1,787 (bench/RESULTS.md, "Where `apt-get install` spends
 * its CPU").
 */
export const DECODE_BASE: u32 = 0x950000;
export const DECODE_ENTRIES: u32 = 262144;

/** Where guest RAM, physical [RAM_PHYS, RAM_PHYS + ramSize), sits in wasm memory (the
 *  contract's ramBase()). */
export const RAM_WASM_OFFSET: u32 = DECODE_BASE + DECODE_ENTRIES * 16;

@inline export function getX(r: u32): i64 {
  return load<i64>(X_BASE + (r << 3));
}
@inline export function setX(r: u32, v: i64): void {
  if (r != 0) store<i64>(X_BASE + (r << 3), v);
}
@inline export function getF(r: u32): i64 {
  return load<i64>(F_BASE + (r << 3));
}
@inline export function setF(r: u32, v: i64): void {
  store<i64>(F_BASE + (r << 3), v);
}
@inline export function getPriv(): i32 {
  return load<i32>(PRIV_OFF);
}
@inline export function getMtime(): i64 {
  return load<i64>(MTIME_OFF);
}
