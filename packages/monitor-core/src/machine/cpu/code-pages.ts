// Invalidation by write tracking (the QEMU TCG "not dirty" idea): a bitmap, one bit per 4 KiB
// page of guest RAM, says which pages hold translated code. A marked page is never in a write
// TLB, so every store to it takes a slow path (the interpreter's, or a translated block's exit
// before the store); that path drops the translations made from the bytes it changes, and once
// none is left in the page clears its bit, after which stores to it fill the write TLB as usual.
// Translated code therefore needs no check of its guest bytes: a translation that exists still
// has the bytes it was made from.
//
// Writes that do not come from the hart's stores reach `ramWritten` too: the page walker's
// A/D updates, and DMA by the host's devices (the `ramWritten` export, docs/cpu-core.md).
//
// This module is a leaf (it imports only the layout): the translator registers how translations
// are dropped (`setInvalidator`), and the callers that mark a page drop its write-TLB entries, so
// the store path (mmu.ts) and the translator (jit.ts) need not import each other.
import { CODE_PAGES_BASE, CODE_PAGES_SIZE, PAGE_SPANS, PAGE_SPANS_ENTRIES, RAM_WASM_OFFSET } from './layout';

/** Drops the translations whose bytes `[lo, hi)` of the page at `page` overlap; answers the span
 *  `lo | hi << 16` of those left, or -1 when none is (jit.ts `invalidateRange`). */
type Invalidator = (page: u32, lo: u32, hi: u32) => i32;
function noTranslations(page: u32, lo: u32, hi: u32): i32 {
  return -1;
}
let invalidate: Invalidator = noTranslations;

/** The translator's way of dropping translations (set once by jit.ts before anything is marked). */
export function setInvalidator(f: Invalidator): void {
  invalidate = f;
}

/** Writes since init that reached code translated from a page (jitStats 5), each dropping the
 *  translations whose bytes it overlapped. */
export let codePageWrites: i64 = 0;
/** Writes to pages holding translated code that dropped nothing (same bytes, or beside the
 *  code): each took the slow path, leaving translated code if it came from there (jitStats 9). */
export let codePageDataWrites: i64 = 0;

@inline function bitAddr(host: u32): u32 {
  return CODE_PAGES_BASE + ((host - RAM_WASM_OFFSET) >> 15);
}
@inline function bitMask(host: u32): u8 {
  return <u8>(<u32>1 << (((host - RAM_WASM_OFFSET) >> 12) & 7));
}

/** Whether the RAM page holding wasm address `host` has translated code. */
@inline export function isCodePage(host: u32): bool {
  return (load<u8>(bitAddr(host)) & bitMask(host)) != 0;
}

/**
 * A block is being translated from the page of `host`: mark it. Answers true when the page was
 * not marked before: the caller then drops every write-TLB entry that maps it (under any virtual
 * address and context; mmu.ts `dropWriteTranslations`), so stores to it take the slow path.
 * ROM pages are never written and stay unmarked.
 */
export function markCodePage(host: u32): bool {
  if (host < RAM_WASM_OFFSET || isCodePage(host)) return false;
  store<u8>(bitAddr(host), load<u8>(bitAddr(host)) | bitMask(host));
  return true;
}

/** A write of `len` bytes (inside one page) reaches the RAM at `host`: drop the code
 *  translated from those bytes. */
@inline export function ramWritten(host: u32, len: u32): void {
  if (isCodePage(host)) codeWritten(host, len);
}

/**
 * A store of `size` bytes of `v` is about to reach the RAM at `host`: if its page holds
 * translated code and the store changes the bytes there, drop the code made from them. A store
 * of the bytes already there changes nothing a translation depends on (programs that patch an
 * instruction with the same value in a loop keep their translations).
 */
@inline export function ramStore(host: u32, size: i32, v: i64): void {
  if (!isCodePage(host)) return;
  const old = size == 1 ? <i64>load<u8>(host) : size == 2 ? <i64>load<u16>(host) : size == 4 ? <i64>load<u32>(host) : load<i64>(host);
  const mask: i64 = size == 8 ? -1 : (<i64>1 << (size << 3)) - 1;
  if (old != (v & mask)) codeWritten(host, <u32>size);
  else codePageDataWrites++;
}

// The page-span cache: per entry the page's wasm address (u32, 0 = none) and its code span
// (u32 lo | hi << 16, the union of its regions' spans).
@inline function spanEntry(page: u32): u32 {
  return PAGE_SPANS + ((page >> 12) & (PAGE_SPANS_ENTRIES - 1)) * 8;
}
@inline function spanPage(e: u32): u32 { return load<u32>(e); }
@inline function spanOf(e: u32): u32 { return load<u32>(e, 4); }
@inline function setSpanOf(e: u32, span: u32): void { store<u32>(e, span, 4); }
@inline function setSpan(e: u32, page: u32, span: u32): void {
  store<u32>(e, page);
  setSpanOf(e, span);
}

/**
 * `len` bytes at `host` in a marked page change. The translations whose bytes they overlap go
 * (jit.ts `invalidateRange`, which knows each region's span of the page); writes beside them,
 * to data that shares the page with code, keep them, and the page stays marked while any
 * translation from it is left. A small cache of each page's code span (the union of its
 * regions' spans, 1024 pages direct-mapped) answers most such data writes without a look at the
 * block cache.
 */
function codeWritten(host: u32, len: u32): void {
  const page = host & ~0xfff;
  const lo = host & 0xfff;
  const e = spanEntry(page);
  if (spanPage(e) == page) {
    const span = spanOf(e);
    if (lo + len <= (span & 0xffff) || lo >= (span >> 16)) {
      codePageDataWrites++;
      return;
    }
  }
  codePageWrites++;
  const left = invalidate(page, lo, lo + len);
  if (left < 0) {
    store<u8>(bitAddr(host), load<u8>(bitAddr(host)) & ~bitMask(host));
    store<u32>(e, 0); // the entry is free
  } else {
    setSpan(e, page, <u32>left);
  }
}

/** A region whose bytes span `[lo, hi)` of the page at `page` was compiled: widen the page's
 *  cached code span, if it has one. */
export function codeSpanAdded(page: u32, lo: u32, hi: u32): void {
  const e = spanEntry(page);
  if (spanPage(e) != page) return;
  const span = spanOf(e);
  setSpanOf(e, min(span & 0xffff, lo) | (max(span >> 16, hi) << 16));
}


export function clearCodePages(): void {
  memory.fill(CODE_PAGES_BASE, 0, CODE_PAGES_SIZE);
  memory.fill(PAGE_SPANS, 0, PAGE_SPANS_ENTRIES * 8);
}
