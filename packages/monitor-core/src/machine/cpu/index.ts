// The RV64GC hart as a WebAssembly module: the exports of docs/cpu-core.md.
import {
  STATIC_DATA_END, EXIT_BUDGET, PC_OFF, PRIV_M, PRIV_OFF, RAM_WASM_OFFSET, RESET_PC, ROM_WASM_OFFSET, STATE,
  STATE_PAGE_END,
} from './layout';
import {
  STAT_CODE_PAGE_DATA_WRITES, STAT_CODE_PAGE_WRITES, STAT_DECODE_MISSES, STAT_JIT_BATCHES, STAT_JIT_DROPPED,
  STAT_JIT_ENTRIES, STAT_JIT_FLUSHES, STAT_JIT_INSNS, STAT_JIT_LOOKUPS, STAT_JIT_REGIONS, STAT_JIT_TRANSLATED,
} from './abi';
import { priv } from './context';
import {
  csrRead as rawCsrRead, csrWrite as rawCsrWrite, mip, resetCsrs, retired,
  setMip, setPrivilege, updateTimerCompare,
} from './csr';
import { clearException, flushTlb as dropTranslations, ramRangeWritten, resetTlbs, setRamSize, setTohostAddr } from './mmu';
import { enterTrap, interruptCause, pendingInterrupt } from './trap';
import {
  decodeMisses, dropReservation, execute, exitReason, jitEntries, jitInsns, jitLookups, setExitReason, setSbiMode,
} from './interpreter';
import { clearCodePages, codePageDataWrites, codePageWrites } from './code-pages';
import { buildRvcTable } from './rvc';
import { clearDecodeCache } from './decode';
import { clearJit, emitForTest, hintForTest, flushIfFull, flushJit, jitBatches, jitDropped, jitFlushes, jitRegions, jitTranslated, setJitEnabled } from './jit';

export function ramBase(): u32 {
  return RAM_WASM_OFFSET;
}
export function romBase(): u32 {
  return ROM_WASM_OFFSET;
}
export function statePtr(): u32 {
  return STATE;
}

let rvcReady = false;
let runsSinceFlush = 0;

export function init(ramSize: u32): void {
  // AssemblyScript's static data must end below the tables laid out after it (layout.ts).
  if (<u32>__heap_base > STATIC_DATA_END) unreachable();
  if (!rvcReady) {
    buildRvcTable();
    clearDecodeCache();
    rvcReady = true;
  }
  clearJit();
  clearCodePages();
  setRamSize(<u64>ramSize);
  memory.fill(STATE, 0, STATE_PAGE_END - STATE);
  resetCsrs();
  resetTlbs();
  clearException();
  dropReservation();
  setExitReason(-1);
  store<i64>(PC_OFF, RESET_PC);
  store<i32>(PRIV_OFF, PRIV_M);
}

export function run(budget: i32): i32 {
  flushIfFull();
  if (load<i32>(PRIV_OFF) != priv) setPrivilege(load<i32>(PRIV_OFF));
  let pc = load<i64>(PC_OFF);
  setExitReason(-1);
  updateTimerCompare();
  let left: i32 = budget;
  while (true) {
    const irq = pendingInterrupt();
    if (irq >= 0) {
      dropReservation();
      pc = enterTrap(interruptCause(irq), 0, pc);
    }
    if (left <= 0) break;
    const before = retired;
    pc = execute(pc, left);
    left -= <i32>(retired - before);
    if (exitReason >= 0) break;
  }
  store<i64>(PC_OFF, pc);
  store<i32>(PRIV_OFF, priv);
  // Blocks waiting for a full batch are compiled after a while anyway.
  if (++runsSinceFlush >= 64) {
    runsSinceFlush = 0;
    flushJit();
  }
  return exitReason >= 0 ? exitReason : EXIT_BUDGET;
}

export function setPending(mask: i32): void {
  setMip(mip | <i64>mask);
}
export function clearPending(mask: i32): void {
  setMip(mip & ~(<i64>mask));
}
export function setSbiInMonitor(on: i32): void {
  setSbiMode(on != 0);
}
export function setTohost(addr: u32): void {
  setTohostAddr(<u64>addr);
}
export function csrRead(csr: i32): i64 {
  return rawCsrRead(csr);
}
export function csrWrite(csr: i32, v: i64): void {
  rawCsrWrite(csr, v);
}
export function setPc(pc: i64): void {
  store<i64>(PC_OFF, pc);
}
export function setPriv(p: i32): void {
  setPrivilege(p);
  store<i32>(PRIV_OFF, p);
}
export function flushTlb(): void {
  dropTranslations();
}
/** The host wrote guest RAM at RAM offset `offset` (DMA, a loader, the SBI): translated code
 *  made from those bytes is dropped. Stores by the hart itself need no call. */
export function ramWritten(offset: u32, len: u32): void {
  ramRangeWritten(offset, len);
}
/** 0 turns the translator off (tests compare both tiers); on by default. */
export function setJit(on: i32): void {
  setJitEnabled(on != 0);
}
export function instret(): i64 {
  return retired;
}
/** Translator statistics: `which` is one of abi.ts's STAT_*, which say what each counts. */
export function jitStats(which: i32): i64 {
  switch (which) {
    case STAT_JIT_ENTRIES: return jitEntries;
    case STAT_JIT_INSNS: return jitInsns;
    case STAT_JIT_TRANSLATED: return jitTranslated;
    case STAT_JIT_DROPPED: return jitDropped;
    case STAT_JIT_BATCHES: return jitBatches;
    case STAT_CODE_PAGE_WRITES: return codePageWrites;
    case STAT_JIT_REGIONS: return jitRegions;
    case STAT_JIT_LOOKUPS: return jitLookups;
    case STAT_DECODE_MISSES: return decodeMisses;
    case STAT_CODE_PAGE_DATA_WRITES: return codePageDataWrites;
    case STAT_JIT_FLUSHES: return jitFlushes;
  }
  return 0;
}
/** The translator's code for one block, not compiled (golden tests): address << 32 | length. */
export function jitEmit(pc: i64, host: u32): u64 {
  return emitForTest(pc, host);
}
/** The offset in that code of its `i`th branch hinted unlikely, -1 past the last (golden tests). */
export function jitEmitHint(i: u32): i32 {
  return hintForTest(i);
}
