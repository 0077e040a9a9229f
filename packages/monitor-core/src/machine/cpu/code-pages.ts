// Invalidation by write tracking (the QEMU TCG "not dirty" idea): a bitmap, one bit per 4 KiB
// page of guest RAM, says which pages hold translated code. A marked page is never in a write
// TLB, so every store to it takes a slow path (the interpreter's, or a translated block's exit
// before the store); that path calls `ramWritten`, which drops the page's blocks and clears its
// bit, after which the store fills the write TLB as usual. Translated blocks therefore need no
// check of their guest bytes: a block that exists still has the bytes it was made from.
//
// Writes that do not come from the hart's stores reach `ramWritten` too: the page walker's
// A/D updates, and DMA by the host's devices (the `ramWritten` export, docs/cpu-core.md).
import { CODE_PAGES_BASE, CODE_PAGES_SIZE, RAM_BASE } from './layout';
import { dropWriteTranslations, ramSize } from './mmu';
import { invalidatePage } from './jit';

/** Code pages written since init (jitStats 5): each write dropped that page's blocks. */
export let codePageWrites: i64 = 0;

@inline function bitAddr(host: u32): u32 {
  return CODE_PAGES_BASE + ((host - RAM_BASE) >> 15);
}
@inline function bitMask(host: u32): u8 {
  return <u8>(<u32>1 << (((host - RAM_BASE) >> 12) & 7));
}

/** Whether the RAM page holding wasm address `host` has translated code. */
@inline export function isCodePage(host: u32): bool {
  return (load<u8>(bitAddr(host)) & bitMask(host)) != 0;
}

/**
 * A block is being translated from the page of `host`: mark it, and drop every write-TLB entry
 * that maps it (under any virtual address and context), so stores to it take the slow path.
 * ROM pages are never written and stay unmarked.
 */
export function markCodePage(host: u32): void {
  if (host < RAM_BASE || isCodePage(host)) return;
  store<u8>(bitAddr(host), load<u8>(bitAddr(host)) | bitMask(host));
  dropWriteTranslations(host & ~0xfff);
}

/** A write reaches the RAM page of `host`: if it holds translated code, drop that code. */
@inline export function ramWritten(host: u32): void {
  if (isCodePage(host)) codePageWritten(host);
}

function codePageWritten(host: u32): void {
  store<u8>(bitAddr(host), load<u8>(bitAddr(host)) & ~bitMask(host));
  codePageWrites++;
  invalidatePage(host & ~0xfff);
}

/** The host wrote `len` bytes of RAM at RAM offset `offset` (DMA, loaders): drop their code. */
export function ramRangeWritten(offset: u32, len: u32): void {
  if (len == 0 || <u64>offset >= ramSize) return;
  if (<u64>offset + <u64>len > ramSize) len = <u32>(ramSize - <u64>offset);
  const first = offset >> 12;
  const last = (offset + len - 1) >> 12;
  for (let p = first; p <= last; p++) ramWritten(RAM_BASE + (p << 12));
}

export function clearCodePages(): void {
  memory.fill(CODE_PAGES_BASE, 0, CODE_PAGES_SIZE);
}
