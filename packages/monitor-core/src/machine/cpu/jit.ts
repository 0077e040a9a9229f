// A translator of hot guest code to WebAssembly (the QEMU TCG idea, made for wasm). Hot code of
// one guest page becomes a *region*: one wasm function holding several blocks (its members),
// each entered through a `loop` + `br_table` dispatcher, with jumps and branches forward to a
// later member as a plain `br`, back to an earlier one through the dispatcher after one budget
// check (so only loops check the budget). A block starts at a jump target, stays
// inside the page and holds only integer ALU operations, multiplication and division, loads and
// stores (FP ones too), AMOs and LR/SC, the D arithmetic wasm does exactly (fpOp), conditional
// branches (those forward over a few register-only instructions become selects: ifConvert) and
// at most one final jump; anything else (CSRs, other FP arithmetic, traps) is left
// to the interpreter. The host compiles the emitted module
// (`jitCompile` import) into the exported function table.
//
// Correctness rests on three rules:
// - A translation is named by its guest pc and the wasm address its bytes were read from (the
//   physical page under the current mapping), and runs only where both match; a write to a page
//   holding translated code drops that page's translations (code-pages.ts), so one that exists
//   still has its bytes: no check of them at entry.
// - Loads and stores use only the TLB fast path; on a miss (or a misaligned address, MMIO, the
//   tohost page, a page holding code) the region returns before that instruction, which the
//   interpreter then runs with full semantics: traps stay precise and nothing is done twice.
// - A region's semantics depend only on its bytes and pcs (baked in) and on the current TLBs,
//   whose pointers the interpreter publishes at JIT_TLB_PTRS before every run.
import {
  BATCH, BLOCK_CACHE_BASE, BODY, BODY_END, DRY_RUN, F_BASE, FREE_SLOTS, HOT_BASE, FCSR, JIT_FS, JIT_NPC, JIT_REM,
  JIT_RESERVATION, JIT_TLB_PTRS, MEMBERS, MODULE, REGION_SPANS, REGION_SPAN_SLOTS, SCRATCH, SLOT_REFS,
  TLB_ENTRIES, X_BASE,
} from './layout';
import { JIT_SLOTS, TABLE_FULL } from './abi';
import { clearCodePages, codeSpanAdded, markCodePage, setInvalidator } from './code-pages';
import { dropWriteTranslations } from './mmu';
import {
  OP_ADD, OP_ADDI, OP_ADDIW, OP_ADDW, OP_AND, OP_ANDI, OP_AUIPC, OP_BEQ, OP_BGE, OP_BGEU, OP_BLT,
  OP_BLTU, OP_BNE, OP_FENCE, OP_JAL, OP_JALR, OP_LB, OP_LBU, OP_LD, OP_LH, OP_LHU, OP_LUI, OP_LW,
  OP_LWU, OP_MUL, OP_MULW, OP_OR, OP_ORI, OP_SB, OP_SD, OP_SH, OP_SLL, OP_SLLI, OP_SLLIW, OP_SLLW,
  OP_SLT, OP_SLTI, OP_SLTIU, OP_SLTU, OP_SRA, OP_SRAI, OP_SRAIW, OP_SRAW, OP_SRL, OP_SRLI, OP_SRLIW,
  OP_SRLW, OP_SUB, OP_SUBW, OP_SW, OP_XOR, OP_XORI, OP_DIV, OP_DIVU, OP_DIVUW, OP_DIVW, OP_REM, OP_REMU,
  OP_REMUW, OP_REMW, OP_FLD, OP_FLW, OP_FSD, OP_FSW, OP_AMO, OP_FMA, OP_OPFP, OP_CSR, OP_MULH, OP_MULHSU, OP_MULHU, decodeInto,
  decodedImm, decodedInsn, decodedOp, decodedRd, decodedRs1, decodedRs2,
} from './decode';
import {
  I32_ADD, I32_MUL, I32_SHL, I32_SHR_S, I32_SHR_U, I32_SUB, I32_XOR, I64_ADD, I64_AND, I64_EQ, I64_EXTEND_I32_S,
  I64_EXTEND_I32_U, I64_GE_S, I64_GE_U, I64_LT_S, I64_LT_U, I64_MUL, I64_NE, I64_OR, I64_SHL, I64_SHR_S,
  I64_SHR_U, I64_SUB, I64_XOR, I32, I64, I32_EQ, I32_EQZ, I32_DIV_S, I32_DIV_U, I32_REM_S, I32_REM_U,
  I64_DIV_S, I64_DIV_U, I64_REM_S, I64_REM_U, I64_EQZ, ifI64, else_, i64Load32U, i64Store32, I32_GE_S,
  I32_GT_U, I32_OR, I64_GT_S, I64_GT_U, DROP, i32Load8S, i32Load8U, i64Load32S, select,
  loopVoid, blockVoid, br, brIf, byte, emitAt, emitPos, end, i32Add, i32And,
  i32Const, i32Load, i32Load16S, i32Load16U, i32LeS, i32LtS, i32Ne, i32Shl, i32Store, i32Sub, i32WrapI64,
  i64Add, i64And, i64Const, i64Load, i64Ne, i64ShrU, i64Store, ifVoid, localGet, localSet, localTee,
  memAccess, numeric, return_, returnCallIndirect, uleb, ulebLen, unreachable_,
  F64, F64_ABS, F64_ADD, F64_CONVERT_I32_S, F64_CONVERT_I32_U, F64_DIV, F64_EQ, F64_GE, F64_LE, F64_LT,
  F64_MUL, F64_NE, F64_NEG, F64_REINTERPRET_I64, F64_SUB, F64_TRUNC, I32_TRUNC_F64_S, I64_REINTERPRET_F64, f64Const,
} from './wasm-emit';

/**
 * Host: compile the module at ptr (n functions exported as "aa", "ab", …) and put function i
 * into the core's function table at index JIT_SLOTS[i] (u32), or at a new index written back
 * there where it is 0; returns 0 on failure.
 */
@external("env", "jitCompile") declare function jitCompile(ptr: u32, len: u32, n: i32): i32;

/**
 * Block cache: 65536 entries of 16 bytes (1 MiB, layout.ts), read through the accessors below.
 * A hot shell loop in the bundled guest touches code spread over more than the 32 KiB of pcs
 * that 16384 entries cover without collisions; there the colliding blocks evicted each other
 * and were translated again about 250 times a second.
 */
export const JIT_BASE: u32 = BLOCK_CACHE_BASE;
export const JIT_ENTRIES: u32 = 65536;
// An entry: the guest pc (i64) and the wasm address of its bytes (u32) name the translation;
// then its region's table index (u16: the host grows the table to at most MAX_TABLE_SLOTS,
// abi.ts; while pending, the region's record in the batch), its state (i8: 0 none, else STATE_*)
// and which member of the region it enters (u8).
const E_PC: u32 = 0;
const E_HOST: u32 = 8;
const E_INDEX: u32 = 12;
const E_STATE: u32 = 14;
const E_ENTRY: u32 = 15;
@inline export function entryPc(b: u32): i64 { return load<i64>(b, E_PC); }
@inline export function entryHost(b: u32): u32 { return load<u32>(b, E_HOST); }
@inline export function entryIndex(b: u32): u32 { return <u32>load<u16>(b, E_INDEX); }
@inline export function entryState(b: u32): i32 { return <i32>load<i8>(b, E_STATE); }
@inline export function entryMember(b: u32): u32 { return <u32>load<u8>(b, E_ENTRY); }
@inline function setEntryState(b: u32, state: i32): void { store<i8>(b, <i8>state, E_STATE); }
@inline function setEntryIndex(b: u32, index: u32): void { store<u16>(b, <u16>index, E_INDEX); }
@inline function setEntryMember(b: u32, k: u32): void { store<u8>(b, <u8>k, E_ENTRY); }
/** Entry `b` now names the translation of `pc` from bytes at `host` (none yet). */
@inline export function claimEntry(b: u32, pc: i64, host: u32): void {
  store<i64>(b, pc, E_PC);
  store<u32>(b, host, E_HOST);
  setEntryState(b, 0);
}
// Where this file's data lives in wasm memory (the state-page words it shares with the
// interpreter, the pending batch, the hotness counters, ...): layout.ts.
let membersUsed: u32 = 0;
/** Per pending region a record of six u32 (R_*) at BATCH, read through the accessors below. */
const BATCH_RECORD: u32 = 24;
const R_BODY: u32 = 0; // wasm address of its function body
const R_LENGTH: u32 = 4; // the body's length in bytes
const R_PAGE: u32 = 8; // wasm address of the guest page it was translated from
const R_FIRST: u32 = 12; // its first member in MEMBERS
const R_MEMBERS: u32 = 16; // how many members it has
const R_SPAN: u32 = 20; // the span of the page its members' bytes cover: lo | hi << 16
@inline function batchRecord(i: u32): u32 { return BATCH + i * BATCH_RECORD; }
@inline function recordBody(rec: u32): u32 { return load<u32>(rec, R_BODY); }
@inline function recordLength(rec: u32): u32 { return load<u32>(rec, R_LENGTH); }
@inline function recordPage(rec: u32): u32 { return load<u32>(rec, R_PAGE); }
@inline function recordFirst(rec: u32): u32 { return load<u32>(rec, R_FIRST); }
@inline function recordMembers(rec: u32): u32 { return load<u32>(rec, R_MEMBERS); }
@inline function recordSpan(rec: u32): u32 { return load<u32>(rec, R_SPAN); }
@inline function setRecord(rec: u32, body: u32, length: u32, page: u32, first: u32, members: u32, span: u32): void {
  store<u32>(rec, body, R_BODY);
  store<u32>(rec, length, R_LENGTH);
  store<u32>(rec, page, R_PAGE);
  store<u32>(rec, first, R_FIRST);
  store<u32>(rec, members, R_MEMBERS);
  store<u32>(rec, span, R_SPAN);
}
/** Table indices of regions that were dropped, for reuse (u16 × JIT_ENTRIES at FREE_SLOTS). */
let freeCount: u32 = 0;
const BATCH_MAX: u32 = 64;
let batchSize: u32 = 0;
let bodyEnd: u32 = BODY;

// Branch hints (the WebAssembly code-metadata section `metadata.code.branch_hint`, the
// branch-hinting proposal): every `if` that leaves a region (a TLB miss, FP state, the budget)
// is marked unlikely, so that V8 lays its code out of the hot path instead of making each load
// and store jump over it (V8 reads the section with --experimental-wasm-branch-hinting, which
// machine/hart.ts sets; without it the section is ignored). Per pending region, the offsets of
// those `if`s from the start of its body (where the locals are declared), in order.
const HINTS_MAX: u32 = 8192;
const hintOffsets = memory.data(2 * HINTS_MAX);
/** The first hint of each pending region (u32 × BATCH_MAX); the next one's first ends it. */
const hintFirst = memory.data(4 * BATCH_MAX);
let hintCount: u32 = 0;
/** Where the body of the region being emitted starts. */
let bodyStart: u32 = 0;
/** The next instruction is an `if` that leaves the region: hint it unlikely. */
function unlikely(): void {
  if (scanning || hintCount >= HINTS_MAX) return;
  store<u16>(hintOffsets + 2 * hintCount, <u16>(emitPos() - bodyStart));
  hintCount++;
}
@inline function hintsOf(i: u32): u32 {
  return (i + 1 < batchSize ? load<u32>(hintFirst + 4 * (i + 1)) : hintCount) - load<u32>(hintFirst + 4 * i);
}
/**
 * Executions of a block start before it is translated. Measured on the bundled guest (ours only,
 * two runs each, CPU s; boot wall): 250 -> boot 1.33 s, fork/exec 3.8, find 0.69; 500 -> 1.28,
 * 3.7, 0.71; 1000 -> 1.06, 3.3, 0.66; 2000 -> 1.02, 2.96, 0.59; 4000 -> 0.95, 2.82, 0.56, shell
 * loop 4.88; 8000 -> 0.96, 2.69, 0.61, loop 4.98; 16000 -> 0.94, 2.73, 0.64, loop 5.2-5.7.
 * Lukewarm code costs less interpreted than translated, compiled by Liftoff and then again by
 * TurboFan (a quarter of a Debian boot's CPU went to TurboFan compiling translations).
 */
export const JIT_THRESHOLD: i32 = 4000;
/**
 * Hotness counters (u16 × 65536 at HOT_BASE, untagged, indexed like the cache's sets): a pc
 * counts here and takes a block-cache entry only once it is translated, so the many lukewarm block starts
 * never evict translations (counting in the cache entries themselves made pairs of hot pcs
 * evict each other's counts, and they stayed interpreted). Aliasing pcs share a counter and
 * are merely translated a little early.
 */
const HOT_ENTRIES: u32 = 65536;

@inline function hotCounter(pc: i64): u32 {
  const lo = <u32>pc;
  return HOT_BASE + (((lo ^ (lo >> 16)) >> 1) & (HOT_ENTRIES - 1)) * 2;
}
/** Executions of the block start `pc` counted since it last became hot. */
@inline function hotCount(pc: i64): i32 { return <i32>load<u16>(hotCounter(pc)); }
// SLOT_REFS counts how many cache entries use each table slot (u8 × 65536): a region's
// function is in the table once and entered through the entries of its members, so its slot is
// reused only once none is left.

/** Count one execution of the block start `pc`; true when it has become hot (then restarts). */
export function countHot(pc: i64): bool {
  const h = hotCounter(pc);
  const c = <i32>load<u16>(h) + 1;
  if (c >= JIT_THRESHOLD) {
    store<u16>(h, 0);
    return true;
  }
  store<u16>(h, <u16>c);
  return false;
}
/** Most instructions in one block (a member of a region). */
const MAX_INSNS: i32 = 64;

export const STATE_COMPILED: i32 = -1;
export const STATE_NEVER: i32 = -2;
export const STATE_PENDING: i32 = -3;

let enabled: bool = true;
/** Statistics (the jitStats export): blocks translated (members of regions), regions, cache
 *  entries of compiled regions given up (their page written, or taken by another translation),
 *  batches compiled. */
export let jitTranslated: i64 = 0;
export let jitRegions: i64 = 0;
export let jitDropped: i64 = 0;
export let jitBatches: i64 = 0;
/** Times every translation was dropped because the function table was full (jitStats 10). */
export let jitFlushes: i64 = 0;
export function setJitEnabled(on: bool): void { enabled = on; }

/**
 * The cache is 2-way set associative: a pc may sit in either entry of its set (a pair of
 * adjacent entries), so two hot blocks whose pcs collide no longer evict each other in turn
 * (with one way, a few dozen such pairs in a busybox workload were retranslated ~100 times a
 * second). The set: halfword index with bits 17 and up folded in, so that kernel and user code
 * at the same low address bits do not always collide.
 */
export const JIT_WAY: u32 = 16;
const JIT_SET_MASK: u32 = ((JIT_ENTRIES - 1) << 4) & ~JIT_WAY;
/** The first entry of `pc`'s set. */
@inline export function jitSlot(pc: i64): u32 {
  const lo = <u32>pc;
  return JIT_BASE + (((lo ^ (lo >> 16)) << 3) & JIT_SET_MASK);
}
/** The entry holding the translation of `pc` from the bytes at wasm address `host`, or 0. */
@inline export function jitFind(pc: i64, host: u32): u32 {
  const b = jitSlot(pc);
  if (entryPc(b) == pc && entryHost(b) == host) return b;
  if (entryPc(b + JIT_WAY) == pc && entryHost(b + JIT_WAY) == host) return b + JIT_WAY;
  return 0;
}
/** The entry of set `b` to give to a new translation: one without a translation if there is
 *  one, else the second (the first keeps the older block). */
@inline export function jitVictim(b: u32): u32 {
  const state = entryState(b);
  return state >= 0 || state == STATE_NEVER ? b : b + JIT_WAY;
}

/** The table indices the host has handed out (it grows the table one index at a time, so they
 *  are contiguous): all of them are free again once every translation is dropped. */
let slotsLow: u32 = 0xffffffff;
let slotsHigh: u32 = 0;
/** The host's table is full: every translation is dropped at the start of the next `run`. */
let flushWanted: bool = false;

/**
 * The generation flush (QEMU's tb_flush): when the function table is full, drop every
 * translation and start over, so the code that is hot from now on is translated again. It runs
 * at the start of `run` (flushIfFull), where no translated code is on the stack; the batch that
 * did not fit left its entries untranslated (state 0), not "never".
 */
export function flushIfFull(): void {
  if (!flushWanted) return;
  jitFlushes++;
  clearJit();
  clearCodePages();
}

/** Drop every translation: the block cache, the pending batch, the hotness counts; every table
 *  index the host handed out is free again, and the host may clear the table's old functions
 *  (`jitCompile` with n = 0) so their modules can be garbage collected. */
export function clearJit(): void {
  setInvalidator(invalidateRange);
  flushWanted = false;
  freeCount = 0;
  if (slotsHigh != 0) {
    for (let slot = slotsLow; slot <= slotsHigh; slot++) freeSlot(slot);
    jitCompile(0, 0, 0);
  }
  memory.fill(HOT_BASE, 0, HOT_ENTRIES * 2);
  memory.fill(SLOT_REFS, 0, 65536);
  batchSize = 0;
  hintCount = 0;
  membersUsed = 0;
  pendingHits = 0;
  bodyEnd = BODY;
  for (let i: u32 = 0; i < JIT_ENTRIES; i++) {
    const b = JIT_BASE + (i << 4);
    claimEntry(b, -1, 0);
    setEntryMember(b, 0);
  }
}

/** The span `lo | hi << 16` of its page that the region of entry `b` (compiled or pending) was
 *  translated from. */
function regionSpan(b: u32): u32 {
  const index = entryIndex(b);
  if (entryState(b) == STATE_PENDING) return recordSpan(batchRecord(index));
  return index < REGION_SPAN_SLOTS ? load<u32>(REGION_SPANS + 4 * index) : 0x10000000;
}

/**
 * Bytes `[lo, hi)` of the RAM page at wasm address `page` change (code-pages.ts): give up every
 * translation whose region's bytes they overlap, compiled or waiting in the batch (flushJit then
 * drops it), and forget that an instruction there could not be translated. Returns the span
 * `lo | hi << 16` of the translations left in the page, or -1 when none is. A scan of the whole
 * cache (65536 entries, tens of microseconds); `jitStats(5)` counts how often it happens.
 */
export function invalidateRange(page: u32, lo: u32, hi: u32): i32 {
  let leftLo: u32 = 0x1000;
  let leftHi: u32 = 0;
  for (let b = JIT_BASE; b < JIT_BASE + (JIT_ENTRIES << 4); b += 16) {
    if ((entryHost(b) & ~0xfff) != page) continue;
    const state = entryState(b);
    if (state == 0) continue;
    if (state == STATE_NEVER) {
      const at = entryHost(b) & 0xfff;
      if (at < hi && at + 4 > lo) releaseBlock(b);
      continue;
    }
    const span = regionSpan(b);
    if (lo < (span >> 16) && hi > (span & 0xffff)) {
      releaseBlock(b);
      continue;
    }
    leftLo = min(leftLo, span & 0xffff);
    leftHi = max(leftHi, span >> 16);
  }
  return leftHi == 0 ? -1 : <i32>(leftLo | (leftHi << 16));
}

// --- the code of one region ---
//
// A region is one function (param: the member to start at) -> i32 (always 0). It takes the
// budget from JIT_REM and leaves the next pc at JIT_NPC and what is left of the budget at
// JIT_REM, so the instructions it ran are the difference. Its shape:
//
//   rem = JIT_REM; load the registers any member reads or writes into locals
//   block $exit
//     block $chainKnown
//       block $chain
//         loop $top
//           block $b(K-1) … block $b0  br_table $b0 … $b(K-1) (entry)  end
//           member 0:  rem -= len0
//                      … its instructions; a jump forward to member m: br $b(m-1) (lands where
//                      m starts); back to member m (a loop): if (rem <= 0) { va = pc_m;
//                      br $exit } entry = m; br $top; a jump elsewhere in this page: va =
//                      target, host = its bytes' address, set = its block-cache set (both known
//                      when translating) br $chainKnown; any other (jalr, another page): va =
//                      target; br $chain; a TLB miss: va = pc; br $exit
//           end
//           member 1: …
//         end
//         unreachable
//       end
//       $chain: host = the code TLB's host address of va (a miss: br $exit); set = jitSlot(va)
//     end
//     $chainKnown: store the registers; if rem > 0 and the set holds a compiled translation of
//             (va, host): JIT_REM = rem; return_call_indirect; else JIT_NPC = va, JIT_REM = rem,
//             return
//   end
//   $exit: store the registers; JIT_NPC = va, JIT_REM = rem; return
//
// An exit after `count` of a member's `len` instructions first gives back rem += len - count.
// A region runs its entry member whatever the budget (the interpreter and the chain stub enter
// only with rem > 0), and a path forward through members checks nothing, so rem may end below 0:
// a run slice overruns by at most one region pass, and instret stays exact (it counts what ran).
// Guest registers live in wasm locals; every exit stores all that any member writes (they were
// loaded at the start, so a path that did not write one stores the value it had).

const L_ENTRY: u32 = 0; // param i32: the member to start at, then the member a `br $top` goes to
const L_VA: u32 = 1; // local i64: address, jump target, or the pc an exit leaves for
const L_E: u32 = 2; // local i32: TLB entry, then a host address
/** i32: whether the instructions in a converted branch's shadow run (ifConvert); L_E's
 *  slot, which only loads, stores and the chain stubs use, none of them inside a shadow. */
const L_RUN: u32 = L_E;
const L_REM: u32 = 3; // local i32: what is left of the budget
const L_B: u32 = 4; // local i32: block-cache entry of a chained target
/** x1..x31 are locals 5..35 (x0 reads as the constant 0 and is never written). */
@inline function regLocal(r: u32): u32 { return L_B + r; }
/** Scratch i64 locals after the registers (mulh*). */
const L_T0: u32 = 36;
const L_T1: u32 = 37;
const L_T2: u32 = 38;
const L_T3: u32 = 39;
/** Scratch f64 locals (F/D arithmetic). */
const L_F0: u32 = 40;
const L_F1: u32 = 41;
const L_F2: u32 = 42;
/** The page (i64, its first virtual address) and addend (i64) that the last load (store) of
 *  the current member found in the read (write) TLB (tlbCheck); valid while `pageBase` says. */
const L_READ_PAGE: u32 = 43;
const L_READ_ADDEND: u32 = 44;
const L_WRITE_PAGE: u32 = 45;
const L_WRITE_ADDEND: u32 = 46;
/** More scratch f64 locals: the parts of a fused multiply-add (fmaOp). */
const L_F3: u32 = 47;
const L_F4: u32 = 48;
const L_F5: u32 = 49;
const L_F6: u32 = 50;
const L_F7: u32 = 51;
const L_F8: u32 = 52;
const L_F9: u32 = 53;
const L_F10: u32 = 54;

/** Most members in a region, and instructions in all of them (bounding the function's size). */
const MAX_MEMBERS: i32 = 32;
const MAX_REGION_INSNS: i32 = 384;
/** The most branch hints one region can record: two per instruction (FP state and TLB) and one
 *  per member (the budget). */
const REGION_HINTS_MAX: u32 = 2 * <u32>MAX_REGION_INSNS + <u32>MAX_MEMBERS;
/** Most wasm bytes one region can take (its instructions at about 100 bytes each at worst, the
 *  register loads and the two exit stubs). */
const REGION_BYTES_MAX: u32 = 0x10000;
/** The members of the region being made: pc (i64) and length in instructions (i32). */
const memberPc = memory.data(8 * MAX_MEMBERS);
const memberLen = memory.data(4 * MAX_MEMBERS);
let memberCount: i32 = 0;
/** Block starts found while scanning (branch and jump targets in the page), to scan next. */
const MAX_CANDIDATES: i32 = 64;
const candidatePc = memory.data(8 * MAX_CANDIDATES);
let candidateCount: i32 = 0;
/** True during the first pass (scanning a block): jumps record their targets as candidates. */
let scanning: bool = false;
/** Bytes of the block scanned last. */
let scanBytes: u32 = 0;

/** The member being emitted, its length, and the structured blocks opened inside its code. */
let curMember: i32 = 0;
let curLen: i32 = 0;
let nest: u32 = 0;
/** Registers (bit r) written so far in the block being scanned / by any member. */
let dirty: u32 = 0;
/** Registers read before any write in the block being scanned. */
let readFirst: u32 = 0;
/** Registers any member writes: every exit stores them back. */
let regionWritten: u32 = 0;

@inline function memberPcAt(k: i32): i64 { return load<i64>(memberPc + 8 * <u32>k); }
@inline function memberLenAt(k: i32): i32 { return load<i32>(memberLen + 4 * <u32>k); }

/** The member starting at `pc`, or -1. */
function memberOf(pc: i64): i32 {
  for (let k = 0; k < memberCount; k++) if (memberPcAt(k) == pc) return k;
  return -1;
}

/** Branch depths from the current point of member code to the loop and the two exit stubs. */
@inline function depthTop(): u32 { return nest + <u32>(memberCount - 1 - curMember); }
/** The chain stub's entry that first finds the target's host address and block-cache set. */
@inline function depthChain(): u32 { return depthTop() + 1; }
/** The chain stub's entry for a target whose host address and set are known (L_E, L_B). */
@inline function depthChainKnown(): u32 { return depthTop() + 2; }
@inline function depthExit(): u32 { return depthTop() + 3; }

/** Push x[r]; `off` is r as a byte offset into x[] (the decoder's form). */
function getReg(off: u32): void {
  const r = off >> 3;
  if (r == 0) { i64Const(0); return; }
  if ((dirty & (1 << r)) == 0) readFirst |= 1 << r;
  localGet(regLocal(r));
}
/** Pop into x[r] (r != 0); inside a converted forward branch's shadow, only where L_RUN says
 *  the instruction runs (x[r] = run ? value : x[r]). */
function setReg(off: u32): void {
  const r = off >> 3;
  if (predicated) {
    getReg(off);
    localGet(L_RUN);
    select();
  }
  localSet(regLocal(r));
  dirty |= 1 << r;
  if (<i32>r == readPageBase) readPageBase = -1;
  if (<i32>r == writePageBase) writePageBase = -1;
}
/** Store the registers in `set` back to the state block. */
function storeRegs(set: u32): void {
  for (let r: u32 = 1; r < 32; r++) {
    if ((set & (1 << r)) == 0) continue;
    i32Const(0);
    localGet(regLocal(r));
    i64Store(X_BASE + (r << 3));
  }
}
/** Load the registers in `set` from the state block. */
function loadRegs(set: u32): void {
  for (let r: u32 = 1; r < 32; r++) {
    if ((set & (1 << r)) == 0) continue;
    i32Const(0);
    i64Load(X_BASE + (r << 3));
    localSet(regLocal(r));
  }
}

/** rem += n (the instructions of the current member an exit did not run). */
function giveBack(n: i32): void {
  if (n == 0) return;
  localGet(L_REM);
  i32Const(n);
  i32Add();
  localSet(L_REM);
}

/** Leave for the interpreter at `npc` after `count` instructions of the current member. */
function exitTo(npc: i64, count: i32): void {
  i64Const(npc);
  localSet(L_VA);
  giveBack(curLen - count);
  br(depthExit());
}

/** Go on at the known pc `npc` after `count` instructions of the current member: a later
 *  member of this region by a plain `br` (to the block that ends where it starts), an earlier
 *  one (a loop) through the dispatcher once the budget check allows, anything else through the
 *  chain stub. */
function goto(npc: i64, count: i32): void {
  if (scanning) { addCandidate(npc); return; }
  giveBack(curLen - count);
  const m = memberOf(npc);
  if (m > curMember) {
    br(nest + <u32>(m - curMember - 1));
  } else if (m >= 0) {
    budgetCheck(npc);
    i32Const(m);
    localSet(L_ENTRY);
    br(depthTop());
  } else if (((npc ^ pagePc) & ~<i64>0xfff) == 0) {
    // In this page: its bytes are at a known host address (the page's, which this region runs
    // only under), and its block-cache set follows from the pc.
    i64Const(npc);
    localSet(L_VA);
    i32Const(<i32>hostOf(npc));
    localSet(L_E);
    i32Const(<i32>jitSlot(npc));
    localSet(L_B);
    br(depthChainKnown());
  } else {
    i64Const(npc);
    localSet(L_VA);
    br(depthChain());
  }
}

/** Leave for the interpreter at `npc` once the budget is used up: `if (rem <= 0) { va = npc;
 *  br $exit }`. Only loops (a jump back to a member) and the chain stub check it; a pass forward
 *  through a region may run past the budget by up to its MAX_REGION_INSNS instructions. */
function budgetCheck(npc: i64): void {
  localGet(L_REM);
  i32Const(0);
  i32LeS();
  unlikely();
  ifVoid();
  nest++;
  i64Const(npc);
  localSet(L_VA);
  br(depthExit());
  nest--;
  end();
}

/** Go on at the computed pc in L_VA (jalr) after `count` instructions: the chain stub. */
function gotoComputed(count: i32): void {
  giveBack(curLen - count);
  br(depthChain());
}

/**
 * va = x[rs1] + imm into L_VA; L_E = its TLB entry; leave before this instruction unless the
 * entry maps it. One compare, and the hit path falls through (an exit never joins it again):
 * - `misaligned` (plain loads and stores): the tag must equal the page of the access's last
 *   byte, (va + size - 1) & ~0xfff. The entry is chosen by va's page and holds only pages of
 *   that index, so a match also says the access does not cross into the next page: a misaligned
 *   access inside one page runs here (wasm accesses need no alignment, and a misaligned access
 *   may be performed in parts, unpriv spec 2.6, which is what the interpreter does byte by
 *   byte); one that crosses leaves. Left out, misaligned accesses left translated code every
 *   time (busybox awk keeps doubles misaligned: 3 M exits in its bench loop).
 * - otherwise (AMOs, LR/SC: misaligned ones trap): the tag must equal va & ~(0xfff & ~(size-1)),
 *   whose low bits reject a misaligned va (tags have them clear; an empty entry's tag is -1).
 *   va = rs1 + imm; e = tlb[(va >> 12) & (TLB_ENTRIES - 1)]
 *   if (e.tag != (misaligned ? (va + size - 1) & ~0xfff : va & ~(0xfff & ~(size-1)))) exit
 * Tried and measured slower: checking the page and the page end in a second step after a failed
 * tag compare (the slow path joined the hit path again, and V8 laid it out inline: the hit path
 * jumped over it at every access; a freestanding SHA-256 took 1.11 s instead of 1.04), and (bench.S 2,550 ->
 * 2,290 and 2,390 MIPS) a one-page "L0" cache of the last page and its addend in front of this
 * lookup, in locals and in memory, for the same reason and moves of spilled values.
 */
function tlbCheck(rs1: u32, imm: i64, tlbPtr: u32, size: i32, pc: i64, count: i32, misaligned: bool = false): void {
  const read = tlbPtr == JIT_TLB_PTRS;
  const base = <i32>(rs1 >> 3);
  const page = read ? L_READ_PAGE : L_WRITE_PAGE;
  getReg(rs1);
  i64Const(imm);
  i64Add();
  localSet(L_VA);
  if (misaligned && base != 0 && base == (read ? readPageBase : writePageBase)) {
    // The same base register as the last access of this kind in this member, unchanged since:
    // most such accesses (a struct's fields, a stack frame) stay in the page that one found.
    //   if ((u64)(va - page) > 0x1000 - size) exit    // another page, or across its end
    localGet(L_VA);
    localGet(page);
    numeric(I64_SUB);
    i64Const(0x1000 - size);
    numeric(I64_GT_U);
    exitIf(pc, count);
    return;
  }
  i32Const(0);
  i32Load(tlbPtr);
  tlbIndex();
  localTee(L_E);
  i64Load(0); // tag
  localGet(L_VA);
  if (misaligned) {
    if (size > 1) {
      i64Const(size - 1);
      i64Add();
    }
    i64Const(~<i64>0xfff);
  } else {
    i64Const(~(<i64>0xfff & ~<i64>(size - 1)));
  }
  i64And();
  i64Ne();
  exitIf(pc, count);
  localGet(L_E);
  i64Load(8); // addend
  localSet(page + 1);
  if (misaligned && base != 0) {
    localGet(L_VA);
    i64Const(~<i64>0xfff);
    i64And();
    localSet(page);
  }
  if (read) readPageBase = misaligned ? base : -1;
  else writePageBase = misaligned ? base : -1;
}
/** With a TLB's address pushed: add the byte offset of L_VA's entry in it,
 *  ((va >> 12) & (TLB_ENTRIES - 1)) * 16, computed as (va >> 8) & ((TLB_ENTRIES - 1) << 4). */
function tlbIndex(): void {
  localGet(L_VA);
  i64Const(8);
  i64ShrU();
  i32WrapI64();
  i32Const(<i32>((TLB_ENTRIES - 1) << 4));
  i32And();
  i32Add();
}
/** Push the host address of L_VA: wrap(va + addend), the addend tlbCheck with `tlbPtr` left. */
function hostAddr(tlbPtr: u32): void {
  localGet(L_VA);
  localGet(tlbPtr == JIT_TLB_PTRS ? L_READ_ADDEND : L_WRITE_ADDEND);
  i64Add();
  i32WrapI64();
}

/** The base register whose page L_READ_PAGE (L_WRITE_PAGE) holds, -1 for none: set by
 *  tlbCheck, forgotten where the register is written and where a member starts (control may
 *  come from elsewhere; inside a member the first check dominates the ones after it). */
let readPageBase: i32 = -1;
let writePageBase: i32 = -1;

// Chaining (the QEMU TCG "goto_tb" idea): a region that leaves for a pc outside it continues
// directly in that pc's translation, by a tail call through the core's function table, when the
// code TLB maps the target and the block cache holds a compiled translation of that pc from
// those bytes and budget is left; otherwise it returns to the interpreter.
// Interrupts need no check here: inside translated code nothing can make one pending (MMIO and
// CSR accesses are left to the interpreter), and the budget ends every run slice.

/**
 * Inside `block`, with L_E = the target's host address and L_B = the first entry of its set:
 * L_B = the entry holding the translation of (L_VA, L_E); br_if 0 unless there is a compiled one.
 *   if (!(set[0].pc == va && set[0].host == host) && !((++set).pc == va && .host == host)) leave
 *   if (entry.state != COMPILED) leave
 */
function chainCheck(): void {
  blockVoid(); // found
  localGet(L_B);
  i64Load(E_PC);
  localGet(L_VA);
  numeric(I64_EQ);
  localGet(L_B);
  i32Load(E_HOST);
  localGet(L_E);
  numeric(I32_EQ);
  i32And();
  brIf(0);
  localGet(L_B);
  i32Const(<i32>JIT_WAY);
  i32Add();
  localTee(L_B);
  i64Load(E_PC);
  localGet(L_VA);
  i64Ne();
  localGet(L_B);
  i32Load(E_HOST);
  localGet(L_E);
  i32Ne();
  numeric(I32_OR);
  brIf(1);
  end();
  localGet(L_B);
  i32Load8S(E_STATE);
  i32Const(STATE_COMPILED);
  i32Ne();
  brIf(0);
}

/** Inside `block`: L_E = host address of L_VA through the code TLB; br_if 0 on a miss. */
function codeHost(): void {
  i32Const(0);
  i32Load(JIT_TLB_PTRS + 8); // tlbCode
  tlbIndex();
  localTee(L_E);
  i64Load(0); // tag
  localGet(L_VA);
  i64Const(~<i64>0xfff);
  i64And();
  i64Ne();
  brIf(0);
  localGet(L_VA);
  localGet(L_E);
  i64Load(8); // addend
  i64Add();
  i32WrapI64();
  localSet(L_E);
}

/** L_B = jitSlot(L_VA), the first entry of the target's set. */
function slotOfVa(): void {
  localGet(L_VA);
  i32WrapI64();
  localTee(L_B);
  localGet(L_B);
  i32Const(16);
  numeric(I32_SHR_U);
  numeric(I32_XOR);
  i32Const(3);
  i32Shl();
  i32Const(<i32>JIT_SET_MASK);
  i32And();
  i32Const(<i32>JIT_BASE);
  i32Add();
  localSet(L_B);
}

/** JIT_NPC = L_VA; JIT_REM = L_REM; return 0 (registers already stored). */
function leaveStub(): void {
  i32Const(0);
  localGet(L_VA);
  i64Store(JIT_NPC);
  i32Const(0);
  localGet(L_REM);
  i32Store(JIT_REM);
  i32Const(0);
  return_();
}

/** The chain stub's first part, inside the block its second part follows: L_E = the host
 *  address of L_VA through the code TLB (a miss leaves by $exit), L_B = its block-cache set. */
function chainFind(): void {
  blockVoid(); // a code-TLB miss
  codeHost();
  slotOfVa();
  br(1); // on to the second part
  end();
  br(1); // $exit
}

/** The chain stub's second part: store the registers; tail-call the translation of (L_VA, L_E)
 *  in the set at L_B, else leave. */
function chainStub(): void {
  storeRegs(regionWritten);
  blockVoid();
  localGet(L_REM);
  i32Const(0);
  i32LeS();
  brIf(0); // the budget is used up
  chainCheck();
  i32Const(0);
  localGet(L_REM);
  i32Store(JIT_REM);
  localGet(L_B);
  i32Load8U(E_ENTRY);
  localGet(L_B);
  i32Load16U(E_INDEX);
  returnCallIndirect(0, 0);
  end();
  leaveStub();
}

/** rd = rs1 op rs2 */
function binop64(d: u32, opcode: u32): void {
  getReg(decodedRs1(d));
  getReg(decodedRs2(d));
  numeric(opcode);
  setReg(decodedRd(d));
}
/** rd = rs1 op imm */
function immop64(d: u32, opcode: u32): void {
  getReg(decodedRs1(d));
  i64Const(<i64>decodedImm(d));
  numeric(opcode);
  setReg(decodedRd(d));
}
/** rd = (rs1 cmp rs2/imm) ? 1 : 0 */
function cmpop(d: u32, opcode: u32, imm: bool): void {
  getReg(decodedRs1(d));
  if (imm) i64Const(<i64>decodedImm(d));
  else getReg(decodedRs2(d));
  numeric(opcode);
  numeric(I64_EXTEND_I32_U);
  setReg(decodedRd(d));
}
/** rd = sext32(low32(rs1) op low32(rs2 or imm)) */
function op32(d: u32, opcode: u32, imm: bool): void {
  getReg(decodedRs1(d));
  i32WrapI64();
  if (imm) i32Const(decodedImm(d));
  else { getReg(decodedRs2(d)); i32WrapI64(); }
  numeric(opcode);
  numeric(I64_EXTEND_I32_S);
  setReg(decodedRd(d));
}

/**
 * M-extension division (unpriv spec 13.2: never traps): x / 0 = -1 (all ones), x % 0 = x, and
 * the signed overflow MIN / -1 = MIN, MIN % -1 = 0. wasm traps on a zero divisor and on signed
 * division overflow (not on rem_s), so those cases are decided first:
 *   rd = rs2 == 0 ? (rem ? rs1 : -1) : (signed div && rs2 == -1) ? -rs1 : rs1 op rs2
 * The W forms do the same on the low words and sign-extend the result.
 */
function divide(d: u32, opcode: u32, word: bool, signedDiv: bool, rem: bool): void {
  const rs1 = decodedRs1(d);
  const rs2 = decodedRs2(d);
  getReg(rs2);
  if (word) { i32WrapI64(); numeric(I32_EQZ); } else numeric(I64_EQZ);
  ifI64();
  if (rem) { getReg(rs1); if (word) { i32WrapI64(); numeric(I64_EXTEND_I32_S); } } else i64Const(-1);
  else_();
  if (signedDiv) {
    getReg(rs2);
    if (word) { i32WrapI64(); i32Const(-1); numeric(I32_EQ); } else { i64Const(-1); numeric(I64_EQ); }
    ifI64();
    i64Const(0);
    getReg(rs1);
    if (word) { i32WrapI64(); numeric(I64_EXTEND_I32_S); }
    numeric(I64_SUB);
    if (word) { i32WrapI64(); numeric(I64_EXTEND_I32_S); }
    else_();
  }
  getReg(rs1);
  if (word) i32WrapI64();
  getReg(rs2);
  if (word) i32WrapI64();
  numeric(opcode);
  if (word) numeric(I64_EXTEND_I32_S);
  if (signedDiv) end();
  end();
  setReg(decodedRd(d));
}


/** Push L_T(k) >>> 32 (high) or & 0xffffffff (low). */
function half(local: u32, high: bool): void {
  localGet(local);
  if (high) { i64Const(32); i64ShrU(); } else { i64Const(0xffffffff); i64And(); }
}

/**
 * The high 64 bits of the 128-bit product (unpriv spec 13.1; the interpreter's mulhu/mulh/
 * mulhsu), from 32-bit halves, wasm having no wide multiply:
 *   a = rs1, b = rs2; p01 = a.lo * b.hi; p10 = a.hi * b.lo
 *   mid = (a.lo * b.lo) >>> 32 + p01.lo + p10.lo
 *   hi = a.hi * b.hi + p01.hi + p10.hi + mid >>> 32        (mulhu)
 *   mulh: hi -= (a < 0 ? b : 0) + (b < 0 ? a : 0); mulhsu: hi -= (a < 0 ? b : 0)
 * Compilers divide by constants with mulhu, so busybox's number formatting runs it constantly.
 */
function mulHigh(d: u32, op: u8): void {
  getReg(decodedRs1(d));
  localSet(L_T0);
  getReg(decodedRs2(d));
  localSet(L_T1);
  half(L_T0, false); half(L_T1, true); numeric(I64_MUL); localSet(L_T2);
  half(L_T0, true); half(L_T1, false); numeric(I64_MUL); localSet(L_T3);
  half(L_T0, false); half(L_T1, false); numeric(I64_MUL); i64Const(32); i64ShrU();
  half(L_T2, false); i64Add();
  half(L_T3, false); i64Add();
  localSet(L_VA); // mid
  half(L_T0, true); half(L_T1, true); numeric(I64_MUL);
  half(L_T2, true); i64Add();
  half(L_T3, true); i64Add();
  localGet(L_VA); i64Const(32); i64ShrU(); i64Add();
  if (op != OP_MULHU) {
    localGet(L_T1); i64Const(0); localGet(L_T0); i64Const(0); numeric(I64_LT_S); select();
    numeric(I64_SUB);
  }
  if (op == OP_MULH) {
    localGet(L_T0); i64Const(0); localGet(L_T1); i64Const(0); numeric(I64_LT_S); select();
    numeric(I64_SUB);
  }
  setReg(decodedRd(d));
}

/** Leave before this instruction unless mstatus.FS (JIT_FS) is `Dirty` (a load, which would
 *  have to set it) or not `Off` (a store). */
function fsCheck(load_: bool, pc: i64, count: i32): void {
  i32Const(0);
  i32Load(JIT_FS);
  if (load_) { i32Const(3); i32Ne(); } else numeric(I32_EQZ);
  exitIf(pc, count);
}

/** Leave before this instruction when `cond` (an i32 just pushed) is not 0. */
function exitIf(pc: i64, count: i32): void {
  unlikely();
  ifVoid();
  nest++;
  exitTo(pc, count);
  nest--;
  end();
}

/** Push f[r]'s bits as an f64 (a double: all 64 bits; unpriv spec 12.2). */
function getF64(r: u32): void {
  i32Const(0);
  i64Load(F_BASE + (r << 3));
  numeric(F64_REINTERPRET_I64);
}
/** Pop an f64 into f[r]. */
function setF64(r: u32, local: u32): void {
  i32Const(0);
  localGet(local);
  numeric(I64_REINTERPRET_F64);
  i64Store(F_BASE + (r << 3));
}
/** fflags.NX (unpriv spec 11.2) in the published fcsr. */
const FFLAGS_NX: i32 = 1;

/**
 * D-extension operations (unpriv spec ch. 12) that wasm's f64 does exactly as RISC-V specifies
 * them, on the conditions under which they set no flag that is not already set: these
 * never change fcsr. Otherwise (a NaN or an infinity in or out, a possible underflow, a new
 * inexact, a rounding mode other than RNE) the region leaves before the instruction and the
 * interpreter runs it with its soft-float (fpu.ts), flags included. FS must be Dirty where f is
 * written (it would have to be set), not Off where it is only read. Single precision, square
 * root, min/max and fclass are left to the interpreter; fused multiply-add is fmaOp's.
 *   fadd.d/fsub.d: r = a op b; leave unless |r| < inf; leave if inexact (TwoSum: the rounding
 *     error (a - (r - (r - a))) + (b - (r - a)) is not 0) and NX is not set
 *   fmul.d/fdiv.d: r = a op b; leave unless 2^-1022 <= |r| < inf (no underflow, no NaN, no
 *     infinity; an exact zero leaves too) or NX is not set
 *   fsgnj.d/fsgnjn.d/fsgnjx.d: sign bit operations; fmv.x.d, fmv.d.x: bit moves
 *   fcvt.d.w/fcvt.d.wu: exact; fcvt.w.d with rtz: leave unless -2^31 <= trunc(a) <= 2^31-1 and
 *     (a is whole or NX is set)
 *   feq.d/flt.d/fle.d: leave if either operand is a NaN (flt/fle signal on any NaN, feq on sNaN)
 * An FS or rounding-mode check, and `fcsr` at FCSR, come first where the operation needs them.
 */
function fpOp(insn: u32, pc: i64, count: i32): bool {
  const f7 = insn >> 25;
  const f3 = (insn >> 12) & 7;
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  switch (f7) {
    case 0x01: case 0x05: case 0x09: case 0x0d: { // fadd.d fsub.d fmul.d fdiv.d
      if (!rneOnly(f3, pc, count)) return false;
      getF64(rs1);
      localSet(L_F0);
      getF64(rs2);
      if (f7 == 0x05) numeric(F64_NEG); // a - b = a + (-b), exactly
      localSet(L_F1);
      localGet(L_F0);
      localGet(L_F1);
      numeric(f7 == 0x09 ? F64_MUL : f7 == 0x0d ? F64_DIV : F64_ADD);
      localSet(L_F2);
      localGet(L_F2);
      numeric(F64_ABS);
      f64Const(Infinity);
      numeric(F64_LT);
      numeric(I32_EQZ);
      if (f7 == 0x09 || f7 == 0x0d) {
        localGet(L_F2);
        numeric(F64_ABS);
        f64Const(2.2250738585072014e-308); // the smallest normal double, 2^-1022
        numeric(F64_LT);
        numeric(I32_OR);
        nxClear();
        numeric(I32_OR);
      } else {
        // TwoSum (Knuth): the exact rounding error of r = a + b, for finite r.
        localGet(L_F0);
        localGet(L_F2);
        localGet(L_F2);
        localGet(L_F0);
        numeric(F64_SUB);
        numeric(F64_SUB);
        numeric(F64_SUB);
        localGet(L_F1);
        localGet(L_F2);
        localGet(L_F0);
        numeric(F64_SUB);
        numeric(F64_SUB);
        numeric(F64_ADD);
        f64Const(0);
        numeric(F64_NE);
        nxClear();
        i32And();
        numeric(I32_OR);
      }
      exitIf(pc, count);
      setF64(rd, L_F2);
      return true;
    }
    case 0x11: { // fsgnj.d fsgnjn.d fsgnjx.d
      if (f3 > 2) return false;
      fsCheck(true, pc, count);
      i32Const(0);
      i64Load(F_BASE + (rs2 << 3));
      if (f3 == 1) { i64Const(-1); numeric(I64_XOR); }
      i64Const(<i64>0x8000000000000000);
      i64And();
      i32Const(0);
      i64Load(F_BASE + (rs1 << 3));
      if (f3 != 2) { i64Const(0x7fffffffffffffff); i64And(); }
      numeric(f3 == 2 ? I64_XOR : I64_OR);
      localSet(L_T0);
      i32Const(0);
      localGet(L_T0);
      i64Store(F_BASE + (rd << 3));
      return true;
    }
    case 0x71: // fmv.x.d
      if (f3 != 0 || rs2 != 0) return false; // fclass.d
      fsCheck(false, pc, count);
      if (rd != 0) {
        i32Const(0);
        i64Load(F_BASE + (rs1 << 3));
        setReg(rd << 3);
      }
      return true;
    case 0x79: // fmv.d.x
      if (f3 != 0 || rs2 != 0) return false;
      fsCheck(true, pc, count);
      getReg(rs1 << 3);
      localSet(L_T0);
      i32Const(0);
      localGet(L_T0);
      i64Store(F_BASE + (rd << 3));
      return true;
    case 0x69: // fcvt.d.w, fcvt.d.wu
      if (rs2 > 1 || !rneOnly(f3, pc, count)) return false;
      getReg(rs1 << 3);
      i32WrapI64();
      numeric(rs2 == 0 ? F64_CONVERT_I32_S : F64_CONVERT_I32_U);
      localSet(L_F2);
      setF64(rd, L_F2);
      return true;
    case 0x61: // fcvt.w.d with rtz (C's conversion)
      if (rs2 != 0 || f3 != 1) return false;
      fsCheck(false, pc, count);
      getF64(rs1);
      localSet(L_F0);
      localGet(L_F0);
      numeric(F64_TRUNC);
      localSet(L_F1);
      localGet(L_F1);
      f64Const(-2147483648.0);
      numeric(F64_GE);
      localGet(L_F1);
      f64Const(2147483647.0);
      numeric(F64_LE);
      i32And();
      numeric(I32_EQZ); // out of range or NaN
      localGet(L_F1);
      localGet(L_F0);
      numeric(F64_NE);
      nxClear();
      i32And(); // a new inexact
      numeric(I32_OR);
      exitIf(pc, count);
      if (rd != 0) {
        localGet(L_F1);
        numeric(I32_TRUNC_F64_S);
        numeric(I64_EXTEND_I32_S);
        setReg(rd << 3);
      }
      return true;
    case 0x51: { // fle.d flt.d feq.d
      if (f3 > 2) return false;
      fsCheck(false, pc, count);
      getF64(rs1);
      localSet(L_F0);
      getF64(rs2);
      localSet(L_F1);
      localGet(L_F0);
      localGet(L_F0);
      numeric(F64_NE);
      localGet(L_F1);
      localGet(L_F1);
      numeric(F64_NE);
      numeric(I32_OR); // a NaN: flags may be due
      exitIf(pc, count);
      if (rd != 0) {
        localGet(L_F0);
        localGet(L_F1);
        numeric(f3 == 0 ? F64_LE : f3 == 1 ? F64_LT : F64_EQ);
        numeric(I64_EXTEND_I32_U);
        setReg(rd << 3);
      }
      return true;
    }
  }
  return false;
}

/** Veltkamp's constant 2^27 + 1: x * it splits a binary64 into two 26-bit halves (fmaOp). */
const VELTKAMP: f64 = 134217729.0;

/**
 * fmadd.d/fmsub.d/fnmsub.d/fnmadd.d (unpriv spec 12.6): one rounding of a*b+c, which wasm has no
 * instruction for, computed exactly in f64 as the interpreter's fast path does (fpu.ts,
 * fmaNearest64: Boldo & Melquiond's emulation with rounding to odd). Only in RNE and while the
 * exponents keep every step away from overflow and underflow; otherwise (a zero, a subnormal,
 * an infinity or NaN in, a result near the subnormal range or an exact zero out) the region
 * leaves before the instruction. A new inexact sets fflags.NX in the published fcsr.
 *   x = ±a, y = b, z = ±c (the negations of fmsub/fnmsub/fnmadd are exact)
 *   leave unless exponent(a), exponent(b) in 573..1473 and exponent(c) in 123..1923
 *   ph = x*y; xh, xl = split(x); yh, yl = split(y)        (Dekker: ph + pl = x*y exactly)
 *   pl = (((xh*yh - ph) + xh*yl) + xl*yh) + xl*yl
 *   th, tl = TwoSum(z, ph); v0, err = TwoSum(tl, pl)
 *   v = err != 0 ? odd(v0 stepped toward the exact sum) : v0
 *   r = th + v; leave if exponent(r) < 123; inexact = err != 0 or TwoSum(th, v) has an error
 */
function fmaOp(insn: u32, pc: i64, count: i32): bool {
  if (((insn >> 25) & 3) != 1) return false; // single precision (fmt 0) is the interpreter's
  const op = (insn >> 2) & 3; // 0 fmadd, 1 fmsub, 2 fnmsub, 3 fnmadd
  const rd = (insn >> 7) & 31;
  if (!rneOnly((insn >> 12) & 7, pc, count)) return false;
  fmaExponentOutside(<u32>(insn >> 15) & 31, 573, 900);
  fmaExponentOutside(<u32>(insn >> 20) & 31, 573, 900);
  numeric(I32_OR);
  fmaExponentOutside(insn >> 27, 123, 1800);
  numeric(I32_OR);
  exitIf(pc, count);
  getF64((insn >> 15) & 31);
  if (op >= 2) numeric(F64_NEG);
  localSet(L_F0); // x
  getF64((insn >> 20) & 31);
  localSet(L_F1); // y
  getF64(insn >> 27);
  if (op & 1) numeric(F64_NEG);
  localSet(L_F2); // z
  fOp(L_F0, L_F1, F64_MUL); localSet(L_F3); // ph
  veltkampHigh(L_F0, L_F4); // xh
  fOp(L_F0, L_F4, F64_SUB); localSet(L_F5); // xl
  veltkampHigh(L_F1, L_F6); // yh
  fOp(L_F1, L_F6, F64_SUB); localSet(L_F7); // yl
  fOp(L_F4, L_F6, F64_MUL); localGet(L_F3); numeric(F64_SUB);
  fOp(L_F4, L_F7, F64_MUL); numeric(F64_ADD);
  fOp(L_F5, L_F6, F64_MUL); numeric(F64_ADD);
  fOp(L_F5, L_F7, F64_MUL); numeric(F64_ADD);
  localSet(L_F8); // pl
  twoSum(L_F2, L_F3, L_F9, L_F10); // th, tl
  twoSum(L_F10, L_F8, L_F4, L_F5); // v0, err
  // v: v0 with its last bit set, one step toward zero first when err points that way
  localGet(L_F4);
  numeric(I64_REINTERPRET_F64);
  localGet(L_F5); f64Const(0); numeric(F64_LT);
  localGet(L_F4); f64Const(0); numeric(F64_LT);
  i32Ne();
  numeric(I64_EXTEND_I32_U);
  numeric(I64_SUB);
  i64Const(1);
  numeric(I64_OR);
  numeric(F64_REINTERPRET_I64);
  localGet(L_F4);
  localGet(L_F5); f64Const(0); numeric(F64_NE);
  select();
  localSet(L_F7); // v
  twoSum(L_F9, L_F7, L_F1, L_F6); // r, its error
  localGet(L_F1);
  numeric(I64_REINTERPRET_F64);
  i64Const(52);
  numeric(I64_SHR_U);
  i32WrapI64();
  i32Const(0x7ff);
  i32And();
  i32Const(123);
  i32LtS();
  exitIf(pc, count);
  localGet(L_F5); f64Const(0); numeric(F64_NE);
  localGet(L_F6); f64Const(0); numeric(F64_NE);
  numeric(I32_OR);
  ifVoid();
  i32Const(0);
  i32Const(0);
  i32Load(FCSR);
  i32Const(FFLAGS_NX);
  numeric(I32_OR);
  i32Store(FCSR);
  end();
  setF64(rd, L_F1);
  return true;
}
/** Push 1 when f[r]'s biased exponent minus `lo` is above `span` (unsigned: below lo too). */
function fmaExponentOutside(r: u32, lo: i32, span: i32): void {
  i32Const(0);
  i64Load(F_BASE + (r << 3));
  i64Const(52);
  numeric(I64_SHR_U);
  i32WrapI64();
  i32Const(0x7ff);
  i32And();
  i32Const(lo);
  i32Sub();
  i32Const(span);
  numeric(I32_GT_U);
}
/** Push a op b of two f64 locals. */
function fOp(a: u32, b: u32, op: u32): void {
  localGet(a);
  localGet(b);
  numeric(op);
}
/** hi = t - (t - x) with t = VELTKAMP * x: the high 26 bits of x (Dekker's split). */
function veltkampHigh(x: u32, hi: u32): void {
  f64Const(VELTKAMP);
  localGet(x);
  numeric(F64_MUL);
  localTee(hi);
  localGet(hi);
  localGet(x);
  numeric(F64_SUB);
  numeric(F64_SUB);
  localSet(hi);
}
/** s = a + b and err its exact rounding error (Knuth's TwoSum), into two f64 locals; s, err must
 *  differ from a and b. bv = s - a; err = (a - (s - bv)) + (b - bv). */
function twoSum(a: u32, b: u32, s: u32, err: u32): void {
  fOp(a, b, F64_ADD);
  localTee(s);
  localGet(a);
  numeric(F64_SUB);
  localSet(err); // bv, for now
  localGet(a);
  localGet(s);
  localGet(err);
  numeric(F64_SUB);
  numeric(F64_SUB);
  localGet(b);
  localGet(err);
  numeric(F64_SUB);
  numeric(F64_ADD);
  localSet(err);
}

/**
 * csrrw/csrrs/csrrc and their immediate forms on fflags (0x001), frm (0x002) and fcsr (0x003)
 * (Zicsr; unpriv spec 11.2), the C library's frflags/fsflags/frrm/fsrm around its rounding
 * functions: fcsr lives in memory (csr.ts, FCSR), so translated code reads and writes it. Only
 * while FS is Dirty (a write would have to set it; the interpreter takes the rest, and traps).
 * Other CSRs are left to the interpreter.
 *   field = fcsr >> shift & mask; x[rd] = field
 *   if (csrrw or the source is not x0/0) fcsr = fcsr & ~(mask << shift) | op(field, src) << shift
 */
function fcsrOp(insn: u32, pc: i64, count: i32): bool {
  const csr = insn >> 20;
  const f3 = (insn >> 12) & 7;
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31; // the register, or the 5-bit immediate of the i forms
  if (csr < 1 || csr > 3 || (f3 & 3) == 0) return false;
  const shift: i32 = csr == 2 ? 5 : 0;
  const mask: i32 = csr == 1 ? 31 : csr == 2 ? 7 : 0xff;
  const op = f3 & 3; // 1 rw, 2 rs, 3 rc
  const writes = op == 1 || rs1 != 0; // csrrs/csrrc with x0 or 0 write nothing
  fsCheck(true, pc, count);
  if (writes && (f3 & 4) == 0) {
    getReg(rs1 << 3); // read before rd is written (rd may be rs1)
    localSet(L_T0);
  }
  if (rd != 0) {
    i32Const(0);
    i32Load(FCSR);
    if (shift != 0) { i32Const(shift); numeric(I32_SHR_U); }
    i32Const(mask);
    i32And();
    numeric(I64_EXTEND_I32_U);
    setReg(rd << 3);
  }
  if (!writes) return true;
  i32Const(0); // the store's address
  i32Const(0);
  i32Load(FCSR);
  i32Const(~(mask << shift));
  i32And();
  if (op == 1) {
    fcsrSource(f3, rs1);
  } else {
    i32Const(0);
    i32Load(FCSR);
    if (shift != 0) { i32Const(shift); numeric(I32_SHR_U); }
    fcsrSource(f3, rs1);
    if (op == 3) { i32Const(-1); numeric(I32_XOR); }
    if (op == 2) numeric(I32_OR);
    else i32And();
  }
  i32Const(mask);
  i32And();
  if (shift != 0) { i32Const(shift); i32Shl(); }
  numeric(I32_OR);
  i32Store(FCSR);
  return true;
}
/** Push the csr instruction's source as an i32: the immediate, or x[rs1] as read into L_T0. */
function fcsrSource(f3: u32, rs1: u32): void {
  if (f3 & 4) { i32Const(<i32>rs1); return; }
  localGet(L_T0);
  i32WrapI64();
}

/** FS must be Dirty (the result goes to f), and the rounding mode RNE: static (0), or dynamic
 *  (7) with frm 0 in the published fcsr; false (not translated) for any other static mode. */
function rneOnly(rm: u32, pc: i64, count: i32): bool {
  if (rm != 0 && rm != 7) return false;
  fsCheck(true, pc, count);
  if (rm == 7) {
    i32Const(0);
    i32Load(FCSR);
    i32Const(0xe0); // frm
    i32And();
    exitIf(pc, count);
  }
  return true;
}

/** Push 1 when fflags.NX is clear in the published fcsr (a new inexact would set it). */
function nxClear(): void {
  i32Const(0);
  i32Load(FCSR);
  i32Const(FFLAGS_NX);
  i32And();
  numeric(I32_EQZ);
}

/**
 * AMOs (unpriv spec 14.4; LR/SC in lrsc below), on the write TLB's fast path like a store: an
 * address that misses (misaligned, MMIO, a page holding code, unmapped) leaves the region before
 * the instruction, which the interpreter then runs with its traps. The .W forms work on the
 * sign-extended words, which keeps min/max and minu/maxu right (an unsigned compare of two
 * sign-extended words orders them as u32).
 *   va = x[rs1]; host = TLB(va); old = mem[host]; mem[host] = op(old, x[rs2]); x[rd] = old
 */
function amo(insn: u32, pc: i64, count: i32): bool {
  const f5 = insn >> 27;
  const f3 = (insn >> 12) & 7;
  if (f3 != 2 && f3 != 3) return false;
  let cmp: u32 = 0; // the compare that keeps old (min/max)
  switch (f5) {
    case 0x01: case 0x00: case 0x04: case 0x0c: case 0x08: break;
    case 0x10: cmp = I64_LT_S; break;
    case 0x14: cmp = I64_GT_S; break;
    case 0x18: cmp = I64_LT_U; break;
    case 0x1c: cmp = I64_GT_U; break;
    case 0x02: return lrsc(insn, true, f3 == 2, pc, count);
    case 0x03: return lrsc(insn, false, f3 == 2, pc, count);
    default: return false; // reserved encodings
  }
  const word = f3 == 2;
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  tlbCheck(rs1 << 3, 0, JIT_TLB_PTRS + 4, word ? 4 : 8, pc, count);
  hostAddr(JIT_TLB_PTRS + 4);
  localSet(L_E);
  localGet(L_E);
  if (word) i64Load32S(0); else i64Load(0);
  localSet(L_VA); // old
  localGet(L_E);
  if (f5 == 0x01) {
    amoSource(rs2, word);
  } else if (cmp != 0) {
    localGet(L_VA);
    amoSource(rs2, word);
    localGet(L_VA);
    amoSource(rs2, word);
    numeric(cmp);
    select();
  } else {
    localGet(L_VA);
    amoSource(rs2, word);
    numeric(f5 == 0x00 ? I64_ADD : f5 == 0x04 ? I64_XOR : f5 == 0x0c ? I64_AND : I64_OR);
  }
  if (word) i64Store32(0); else i64Store(0);
  if (rd != 0) {
    localGet(L_VA);
    setReg(rd << 3);
  }
  return true;
}
/**
 * LR and SC (unpriv spec 14.2) with the reservation at JIT_RESERVATION, as the interpreter keeps
 * it: LR through the read TLB, SC through the write TLB (a miss leaves the region before it).
 *   lr: host = TLB(x[rs1]); x[rd] = mem[host]; reservation = host
 *   sc: host = TLB(x[rs1]); x[rd] = reservation == host ? (mem[host] = x[rs2], 0) : 1;
 *       reservation = -1
 */
function lrsc(insn: u32, lr: bool, word: bool, pc: i64, count: i32): bool {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  if (lr && rs2 != 0) return false; // reserved: the interpreter raises illegal instruction
  tlbCheck(rs1 << 3, 0, lr ? JIT_TLB_PTRS : JIT_TLB_PTRS + 4, word ? 4 : 8, pc, count);
  hostAddr(lr ? JIT_TLB_PTRS : JIT_TLB_PTRS + 4);
  localSet(L_E);
  if (lr) {
    if (rd != 0) {
      localGet(L_E);
      if (word) i64Load32S(0); else i64Load(0);
      setReg(rd << 3);
    }
    i32Const(0);
    localGet(L_E);
    numeric(I64_EXTEND_I32_U);
    i64Store(JIT_RESERVATION);
    return true;
  }
  i32Const(0);
  i64Load(JIT_RESERVATION);
  localGet(L_E);
  numeric(I64_EXTEND_I32_U);
  numeric(I64_EQ);
  ifI64();
  localGet(L_E);
  getReg(rs2 << 3);
  if (word) i64Store32(0); else i64Store(0);
  i64Const(0);
  else_();
  i64Const(1);
  end();
  if (rd != 0) setReg(rd << 3); else numeric(DROP);
  i32Const(0);
  i64Const(-1);
  i64Store(JIT_RESERVATION);
  return true;
}

/** Push x[rs2], as the sign-extended low word for a .W AMO. */
function amoSource(rs2: u32, word: bool): void {
  getReg(rs2 << 3);
  if (word) { i32WrapI64(); numeric(I64_EXTEND_I32_S); }
}

/**
 * If-conversion: a conditional branch forward over at most SHADOW_MAX instructions that only
 * compute a register (no memory access, no exit, no branch) becomes selects, as compilers do for
 * `x += cond` or min/max: the branch's outcome (data-dependent ones mispredict about half the
 * time, costing the host more than the few instructions) decides through a `select` per skipped
 * instruction whether its result is kept, and the budget gets back the instructions skipped.
 * bench.S's `beqz t0, 2f; addi a0, a0, 1` made its loop two members, the taken path jumping to
 * the second.
 */
const SHADOW_MAX: i32 = 4;
/** Instructions still to emit in the current branch's shadow; whether this one is in it. */
let shadowLeft: i32 = 0;
let predicated: bool = false;
const shadowScratch: u32 = <u32>memory.data(16);

/** How many instructions lie in [from, to) (the pcs after a branch and its target) when all
 *  of them can run predicated, inside the member's size limit after `count` instructions; else 0. */
function shadowOf(from: i64, to: i64, count: i32): i32 {
  if (to <= from || (((to - 1) ^ pagePc) & ~<i64>0xfff) != 0) return 0;
  let n: i32 = 0;
  let at = from;
  while (at < to) {
    if (n >= SHADOW_MAX || count + n + 1 >= MAX_INSNS) return 0;
    const raw = insnAt(hostOf(at));
    at += (raw & 3) == 3 ? 4 : 2;
    decodeInto(shadowScratch, raw);
    if (!predicable(decodedOp(shadowScratch))) return 0;
    n++;
  }
  return at == to ? n : 0;
}

/** Register-only instructions cheap enough to run whatever the branch does. */
function predicable(op: u8): bool {
  switch (op) {
    case OP_ADD: case OP_SUB: case OP_SLL: case OP_SLT: case OP_SLTU: case OP_XOR: case OP_SRL:
    case OP_SRA: case OP_OR: case OP_AND: case OP_MUL: case OP_ADDW: case OP_SUBW: case OP_SLLW:
    case OP_SRLW: case OP_SRAW: case OP_MULW: case OP_ADDI: case OP_SLTI: case OP_SLTIU:
    case OP_XORI: case OP_ORI: case OP_ANDI: case OP_SLLI: case OP_SRLI: case OP_SRAI:
    case OP_ADDIW: case OP_SLLIW: case OP_SRLIW: case OP_SRAIW: case OP_LUI: case OP_AUIPC:
      return true;
  }
  return false;
}

/** With the branch's condition (i32, taken) pushed: L_RUN = !taken; the budget gets back the
 *  `skipped` instructions when taken (rem += taken ? skipped : 0); the next `skipped`
 *  instructions write their registers through select (setReg). */
function ifConvert(skipped: i32): void {
  numeric(I32_EQZ);
  localSet(L_RUN);
  localGet(L_REM);
  i32Const(0);
  i32Const(skipped);
  localGet(L_RUN);
  select();
  i32Add();
  localSet(L_REM);
  shadowLeft = skipped;
}

/** Emit the code of one instruction; returns false if it cannot be translated. */
function emitInsn(d: u32, pc: i64, len: i64, count: i32): bool {
  const op = decodedOp(d);
  const rd = decodedRd(d);
  const imm = <i64>decodedImm(d);
  predicated = shadowLeft > 0;
  if (predicated) shadowLeft--;
  // Ops without effects but a register write: nothing to do for rd = x0 (loads still check).
  switch (op) {
    case OP_ADD: case OP_SUB: case OP_SLL: case OP_SLT: case OP_SLTU: case OP_XOR: case OP_SRL:
    case OP_SRA: case OP_OR: case OP_AND: case OP_MUL: case OP_MULH: case OP_MULHSU: case OP_MULHU: case OP_ADDW: case OP_SUBW: case OP_SLLW:
    case OP_SRLW: case OP_SRAW: case OP_MULW: case OP_ADDI: case OP_SLTI: case OP_SLTIU:
    case OP_XORI: case OP_ORI: case OP_ANDI: case OP_SLLI: case OP_SRLI: case OP_SRAI:
    case OP_ADDIW: case OP_SLLIW: case OP_SRLIW: case OP_SRAIW: case OP_LUI: case OP_AUIPC:
    case OP_FENCE: case OP_DIV: case OP_DIVU: case OP_REM: case OP_REMU: case OP_DIVW: case OP_DIVUW:
    case OP_REMW: case OP_REMUW:
      if (rd == 0) return true;
  }
  switch (op) {
    // wasm shifts take the count modulo the width, as RISC-V's do (unpriv spec 2.4.1).
    case OP_ADD: binop64(d, I64_ADD); break;
    case OP_SUB: binop64(d, I64_SUB); break;
    case OP_SLL: binop64(d, I64_SHL); break;
    case OP_SRL: binop64(d, I64_SHR_U); break;
    case OP_SRA: binop64(d, I64_SHR_S); break;
    case OP_XOR: binop64(d, I64_XOR); break;
    case OP_OR: binop64(d, I64_OR); break;
    case OP_AND: binop64(d, I64_AND); break;
    case OP_MUL: binop64(d, I64_MUL); break;
    case OP_MULH: case OP_MULHSU: case OP_MULHU: mulHigh(d, op); break;
    case OP_SLT: cmpop(d, I64_LT_S, false); break;
    case OP_SLTU: cmpop(d, I64_LT_U, false); break;
    case OP_SLTI: cmpop(d, I64_LT_S, true); break;
    case OP_SLTIU: cmpop(d, I64_LT_U, true); break;
    case OP_ADDI: immop64(d, I64_ADD); break;
    case OP_XORI: immop64(d, I64_XOR); break;
    case OP_ORI: immop64(d, I64_OR); break;
    case OP_ANDI: immop64(d, I64_AND); break;
    case OP_SLLI: immop64(d, I64_SHL); break;
    case OP_SRLI: immop64(d, I64_SHR_U); break;
    case OP_SRAI: immop64(d, I64_SHR_S); break;
    case OP_ADDW: op32(d, I32_ADD, false); break;
    case OP_SUBW: op32(d, I32_SUB, false); break;
    case OP_SLLW: op32(d, I32_SHL, false); break;
    case OP_SRLW: op32(d, I32_SHR_U, false); break;
    case OP_SRAW: op32(d, I32_SHR_S, false); break;
    case OP_MULW: op32(d, I32_MUL, false); break;
    case OP_ADDIW: op32(d, I32_ADD, true); break;
    case OP_SLLIW: op32(d, I32_SHL, true); break;
    case OP_SRLIW: op32(d, I32_SHR_U, true); break;
    case OP_SRAIW: op32(d, I32_SHR_S, true); break;
    case OP_DIV: divide(d, I64_DIV_S, false, true, false); break;
    case OP_DIVU: divide(d, I64_DIV_U, false, false, false); break;
    case OP_REM: divide(d, I64_REM_S, false, false, true); break;
    case OP_REMU: divide(d, I64_REM_U, false, false, true); break;
    case OP_DIVW: divide(d, I32_DIV_S, true, true, false); break;
    case OP_DIVUW: divide(d, I32_DIV_U, true, false, false); break;
    case OP_REMW: divide(d, I32_REM_S, true, false, true); break;
    case OP_REMUW: divide(d, I32_REM_U, true, false, true); break;
    case OP_FLW: case OP_FLD: {
      // f[rd] = the loaded bits, a single NaN-boxed (unpriv spec 20.2)
      const single = op == OP_FLW;
      fsCheck(true, pc, count);
      tlbCheck(decodedRs1(d), imm, JIT_TLB_PTRS, single ? 4 : 8, pc, count, true);
      i32Const(0);
      hostAddr(JIT_TLB_PTRS);
      if (single) { i64Load32U(0); i64Const(<i64>0xffffffff00000000); numeric(I64_OR); } else i64Load(0);
      i64Store(F_BASE + rd);
      break;
    }
    case OP_FSW: case OP_FSD: {
      const single = op == OP_FSW;
      fsCheck(false, pc, count);
      tlbCheck(decodedRs1(d), imm, JIT_TLB_PTRS + 4, single ? 4 : 8, pc, count, true);
      hostAddr(JIT_TLB_PTRS + 4);
      i32Const(0);
      i64Load(F_BASE + decodedRs2(d));
      if (single) i64Store32(0); else i64Store(0);
      break;
    }
    case OP_AMO:
      if (!amo(decodedInsn(d), pc, count)) return false;
      break;
    case OP_OPFP:
      if (!fpOp(decodedInsn(d), pc, count)) return false;
      break;
    case OP_FMA:
      if (!fmaOp(decodedInsn(d), pc, count)) return false;
      break;
    case OP_CSR:
      if (!fcsrOp(decodedInsn(d), pc, count)) return false;
      break;
    case OP_LUI: i64Const(imm); setReg(rd); break;
    case OP_AUIPC: i64Const(pc + imm); setReg(rd); break;
    case OP_FENCE: break;
    case OP_LB: case OP_LH: case OP_LW: case OP_LD: case OP_LBU: case OP_LHU: case OP_LWU: {
      let size: i32 = 8;
      let opcode: u32 = 0x29; // i64.load
      switch (op) {
        case OP_LB: size = 1; opcode = 0x30; break; // i64.load8_s
        case OP_LBU: size = 1; opcode = 0x31; break;
        case OP_LH: size = 2; opcode = 0x32; break;
        case OP_LHU: size = 2; opcode = 0x33; break;
        case OP_LW: size = 4; opcode = 0x34; break;
        case OP_LWU: size = 4; opcode = 0x35; break;
      }
      tlbCheck(decodedRs1(d), imm, JIT_TLB_PTRS, size, pc, count, true);
      if (rd != 0) {
        hostAddr(JIT_TLB_PTRS);
        memAccess(opcode, 0);
        setReg(rd);
      }
      break;
    }
    case OP_SB: case OP_SH: case OP_SW: case OP_SD: {
      let size: i32 = 8;
      let opcode: u32 = 0x37; // i64.store
      if (op == OP_SB) { size = 1; opcode = 0x3c; }
      else if (op == OP_SH) { size = 2; opcode = 0x3d; }
      else if (op == OP_SW) { size = 4; opcode = 0x3e; }
      tlbCheck(decodedRs1(d), imm, JIT_TLB_PTRS + 4, size, pc, count, true);
      hostAddr(JIT_TLB_PTRS + 4);
      getReg(decodedRs2(d));
      memAccess(opcode, 0);
      break;
    }
    case OP_JAL:
      if (rd != 0) { i64Const(pc + len); setReg(rd); }
      goto(pc + imm, count + 1);
      break;
    case OP_JALR:
      // The target is computed before rd is written (rd may be rs1).
      getReg(decodedRs1(d));
      i64Const(imm);
      i64Add();
      i64Const(-2);
      i64And();
      localSet(L_VA);
      if (rd != 0) { i64Const(pc + len); setReg(rd); }
      gotoComputed(count + 1);
      break;
    case OP_BEQ: case OP_BNE: case OP_BLT: case OP_BGE: case OP_BLTU: case OP_BGEU: {
      // A side exit when taken; the block goes on along the fall-through path.
      let cmp: u32 = I64_EQ;
      switch (op) {
        case OP_BNE: cmp = I64_NE; break;
        case OP_BLT: cmp = I64_LT_S; break;
        case OP_BGE: cmp = I64_GE_S; break;
        case OP_BLTU: cmp = I64_LT_U; break;
        case OP_BGEU: cmp = I64_GE_U; break;
      }
      getReg(decodedRs1(d));
      getReg(decodedRs2(d));
      numeric(cmp);
      const skipped = shadowOf(pc + len, pc + imm, count + 1);
      if (skipped > 0) {
        ifConvert(skipped);
        break;
      }
      ifVoid();
      nest++;
      goto(pc + imm, count + 1);
      nest--;
      end();
      break;
    }
    default:
      return false;
  }
  return true;
}

/** Unconditional jumps end a block; conditional branches are side exits inside it. */
@inline function isJump(op: u8): bool {
  return op == OP_JAL || op == OP_JALR;
}

/** The guest pc and wasm address of the page the region is made from. */
let pagePc: i64 = 0;
let pageHost: u32 = 0;
@inline function hostOf(pc: i64): u32 { return pageHost + <u32>(pc - pagePc); }

/** The instruction bits at `host` (16 bits for a compressed one). */
@inline function insnAt(host: u32): u32 {
  const raw = <u32>load<u16>(host);
  return (raw & 3) == 3 ? load<u32>(host) : raw;
}

/**
 * First pass over the block at `pc`: how many instructions it takes (up to an untranslatable
 * one, the first jump, the page end or MAX_INSNS), which registers it reads before writing and
 * which it writes (readFirst, dirty); its branch and jump targets become candidates.
 */
function scanBlock(pc: i64): i32 {
  scanning = true;
  dirty = 0;
  readFirst = 0;
  shadowLeft = 0;
  readPageBase = -1;
  writePageBase = -1;
  let off: u32 = 0;
  let count: i32 = 0;
  const pageLeft: u32 = 0x1000 - (<u32>pc & 0xfff);
  const host = hostOf(pc);
  while (count < MAX_INSNS) {
    if (off + 2 > pageLeft) break;
    const raw = insnAt(host + off);
    if ((raw & 3) == 3 && off + 4 > pageLeft) break;
    decodeInto(SCRATCH, raw);
    const op = decodedOp(SCRATCH);
    emitAt(DRY_RUN);
    const len: u32 = (raw & 3) == 3 ? 4 : 2;
    if (!emitInsn(SCRATCH, pc + <i64>off, <i64>len, count)) break;
    off += len;
    count++;
    if (isJump(op)) break;
  }
  // A block that stops at its size limit (or before an instruction left out) goes on at the
  // next pc, as hot as itself although the interpreter never counted it as a block start.
  if (count > 0 && !isJump(decodedOp(SCRATCH))) addCandidate(pc + <i64>off, true);
  scanning = false;
  scanBytes = off;
  return count;
}

/**
 * A block start `pc` found while scanning: scanned later if it lies in the page, is not a
 * candidate yet, has run (its hotness counter is not 0, or it is where the block falls through
 * to) and is not translated already (a jump
 * there chains to that translation: taking it into this region too made the fork/exec
 * workload translate 2.4 times as many blocks, each new region taking entries from older ones).
 */
function addCandidate(pc: i64, fallThrough: bool = false): void {
  if (((pc ^ pagePc) & ~<i64>0xfff) != 0 || candidateCount >= MAX_CANDIDATES) return;
  for (let i = 0; i < candidateCount; i++) if (load<i64>(candidatePc + 8 * <u32>i) == pc) return;
  if (hotCount(pc) == 0 && !fallThrough) return;
  const b = jitFind(pc, hostOf(pc));
  if (b != 0 && (entryState(b) == STATE_COMPILED || entryState(b) == STATE_PENDING)) return;
  store<i64>(candidatePc + 8 * <u32>candidateCount, pc);
  candidateCount++;
}

/** Emit member `k`: its share of the budget, then its instructions. */
function emitMember(k: i32): void {
  curMember = k;
  curLen = memberLenAt(k);
  nest = 0;
  shadowLeft = 0;
  readPageBase = -1;
  writePageBase = -1;
  const pc = memberPcAt(k);
  // rem -= len (the loops and the chain stub check what is left: budgetCheck)
  localGet(L_REM);
  i32Const(curLen);
  i32Sub();
  localSet(L_REM);
  const host = hostOf(pc);
  let off: u32 = 0;
  let ended = false;
  for (let i = 0; i < curLen; i++) {
    const raw = insnAt(host + off);
    const len: i64 = (raw & 3) == 3 ? 4 : 2;
    decodeInto(SCRATCH, raw);
    emitInsn(SCRATCH, pc + <i64>off, len, i);
    if (isJump(decodedOp(SCRATCH))) ended = true;
    off += <u32>len;
  }
  if (ended) return;
  // The block ends before an instruction it leaves out, or at its size limit: go on there,
  // by falling into the next member when that is where it goes.
  const next = pc + <i64>off;
  if (memberOf(next) == k + 1) return;
  if (memberOf(next) < 0) preheat(next);
  goto(next, curLen);
}

/**
 * A hot block goes on, without a branch, at `pc` outside its region (past its size limit or the
 * page end): make `pc` hot at its next execution, as it runs as often as the block. Counting it
 * from 0 made straight-line code translate one region after another, each waiting for its
 * predecessor's batch (a SHA-256 with unrolled rounds ran its block function 51,000 times
 * before all of it was translated, with a threshold of 4,000).
 */
function preheat(pc: i64): void {
  const h = hotCounter(pc);
  if (<i32>load<u16>(h) < JIT_THRESHOLD - 1) store<u16>(h, <u16>(JIT_THRESHOLD - 1));
}

/**
 * Translate the region that starts at the hot block `pc` (host bytes at `host`) for cache entry
 * `b` into the pending batch. Its members: that block, then (breadth first) the blocks its
 * branches and jumps reach in the same page that have run, up to MAX_MEMBERS blocks and
 * MAX_REGION_INSNS instructions. Each member's cache entry becomes STATE_PENDING with the
 * region's batch record in its index (STATE_NEVER for `b` when its first instruction is not
 * translatable); other members take an entry only where their set has a free way, so a region
 * never evicts hot translations for its lukewarm members. Regions are compiled in batches: one
 * module per region would cost a module's fixed overhead each.
 */
export function compileBlock(b: u32, pc: i64, host: u32): void {
  if (!enabled) { setEntryState(b, STATE_NEVER); return; }
  if (flushWanted) return; // no table index left until the flush
  if (bodyEnd + REGION_BYTES_MAX > BODY_END || hintCount + REGION_HINTS_MAX > HINTS_MAX) flushJit();
  pagePc = pc & ~<i64>0xfff;
  pageHost = host - (<u32>pc & 0xfff);
  memberCount = 0;
  candidateCount = 0;
  store<i64>(candidatePc, pc);
  candidateCount = 1;
  let readSet: u32 = 0;
  regionWritten = 0;
  let total: i32 = 0;
  let spanLo: u32 = 0x1000;
  let spanHi: u32 = 0;
  for (let c = 0; c < candidateCount && memberCount < MAX_MEMBERS && total < MAX_REGION_INSNS; c++) {
    const start = load<i64>(candidatePc + 8 * <u32>c);
    const count = scanBlock(start);
    if (count == 0 || total + count > MAX_REGION_INSNS) continue;
    store<i64>(memberPc + 8 * <u32>memberCount, start);
    store<i32>(memberLen + 4 * <u32>memberCount, count);
    memberCount++;
    total += count;
    readSet |= readFirst;
    regionWritten |= dirty;
    spanLo = min(spanLo, <u32>start & 0xfff);
    spanHi = max(spanHi, (<u32>start & 0xfff) + scanBytes);
  }
  if (memberCount == 0 || memberPcAt(0) != pc) { setEntryState(b, STATE_NEVER); return; }
  // From here on a store to the page takes the slow path, which drops the region (while it
  // waits in the batch too: the page's cached code span must cover it from now, or a store
  // beside the span cached so far would keep a region made from the old bytes).
  if (markCodePage(host)) dropWriteTranslations(host & ~0xfff);
  codeSpanAdded(pageHost, spanLo, spanHi);

  // Body: locals, the registers, the dispatcher, the members, the two stubs.
  const start = bodyEnd;
  bodyStart = start;
  store<u32>(hintFirst + 4 * batchSize, hintCount);
  emitAt(start);
  uleb(7); // local groups: L_VA; L_E, L_REM, L_B; x1..x31; L_T0..L_T3; L_F0..L_F2; the pages; L_F3..L_F10
  uleb(1); byte(I64);
  uleb(3); byte(I32);
  uleb(31); byte(I64);
  uleb(4); byte(I64);
  uleb(3); byte(F64);
  uleb(4); byte(I64);
  uleb(8); byte(F64);
  i32Const(0);
  i32Load(JIT_REM);
  localSet(L_REM);
  // An exit stores every register any member writes, so those are loaded too.
  loadRegs(readSet | regionWritten);
  dirty = regionWritten;
  blockVoid(); // $exit
  blockVoid(); // $chainKnown
  blockVoid(); // $chain
  loopVoid(); // $top
  const n = <u32>memberCount;
  if (n > 1) {
    for (let k: u32 = 0; k < n; k++) blockVoid();
    localGet(L_ENTRY);
    byte(0x0e); // br_table: member k at label k
    uleb(n);
    for (let k: u32 = 0; k < n; k++) uleb(k);
    uleb(0);
  }
  for (let k = 0; k < memberCount; k++) {
    if (n > 1) end();
    emitMember(k);
  }
  end(); // loop
  unreachable_();
  end(); // $chain
  chainFind();
  end(); // $chainKnown
  chainStub();
  end(); // $exit
  storeRegs(regionWritten);
  leaveStub();
  end();
  const p = emitPos();
  bodyEnd = p;

  // The batch record, and the members' cache entries.
  setRecord(batchRecord(batchSize), start, p - start, pageHost, membersUsed, <u32>memberCount, spanLo | (spanHi << 16));
  for (let k = 0; k < memberCount; k++) {
    const mpc = memberPcAt(k);
    const mhost = hostOf(mpc);
    store<i64>(MEMBERS + 8 * membersUsed, mpc);
    membersUsed++;
    let e = k == 0 ? b : jitFind(mpc, mhost);
    if (e == 0) {
      e = jitVictim(jitSlot(mpc));
      if (entryState(e) != 0 && entryState(e) != STATE_NEVER) continue; // both ways hold translations
      claimEntry(e, mpc, mhost);
    } else {
      releaseBlock(e);
    }
    setEntryState(e, STATE_PENDING);
    setEntryIndex(e, batchSize);
    setEntryMember(e, <u32>k);
  }
  batchSize++;
  jitTranslated += <i64>memberCount;
  jitRegions++;
  if (batchSize >= BATCH_MAX) flushJit();
}

/**
 * For the golden tests of emitted code: translate the region at `pc` (guest bytes at wasm
 * address `host`) into a fresh batch without compiling it; returns the body's wasm address << 32
 * | its length (0 if nothing was translatable). The region holds the block at `pc` and every
 * block it reaches in the page.
 */
export function emitForTest(pc: i64, host: u32): u64 {
  clearJit();
  // Every block start of the page has run once, so every block the snippet reaches is a member.
  const page = pc & ~<i64>0xfff;
  for (let a = page; a < page + 0x1000; a += 2) store<u16>(hotCounter(a), 1);
  const b = jitSlot(pc);
  claimEntry(b, pc, host);
  compileBlock(b, pc, host);
  if (batchSize == 0) return 0;
  return (<u64>recordBody(batchRecord(0)) << 32) | <u64>recordLength(batchRecord(0));
}

/** For the golden tests: the offset of the `i`th branch hint of the region emitForTest made, -1
 *  past the last. */
export function hintForTest(i: u32): i32 {
  return i < hintCount ? <i32>load<u16>(hintOffsets + 2 * i) : -1;
}

/** Give up the translation held by entry `b` (taken over by another one, or its page written);
 *  the region's table slot is reused once none of its entries is left. */
export function releaseBlock(b: u32): void {
  if (entryState(b) == STATE_COMPILED) {
    jitDropped++;
    const index = entryIndex(b);
    const refs = load<u8>(SLOT_REFS + index) - 1;
    store<u8>(SLOT_REFS + index, refs);
    if (refs == 0) freeSlot(index);
  }
  setEntryState(b, 0);
}

@inline function freeSlot(index: u32): void {
  if (freeCount < JIT_ENTRIES) {
    store<u16>(FREE_SLOTS + (freeCount << 1), <u16>index);
    freeCount++;
  }
}

let pendingHits: i32 = 0;
/** Executions of blocks that wait for their batch, since the last compile. */
const PENDING_HITS_MAX: i32 = 20000;

export function pendingHit(): void {
  if (++pendingHits >= PENDING_HITS_MAX) flushJit();
}

/** Export name of function i in a batch: two letters (the host derives the same names). */
@inline function nameByte(i: u32, k: u32): u32 {
  return 0x61 + (k == 0 ? i >> 4 : i & 15);
}

/** The name of the branch-hint section, "metadata.code.branch_hint". */
const HINT_SECTION_NAME = memory.data<u8>([
  0x6d, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74, 0x61, 0x2e, 0x63, 0x6f, 0x64, 0x65, 0x2e,
  0x62, 0x72, 0x61, 0x6e, 0x63, 0x68, 0x5f, 0x68, 0x69, 0x6e, 0x74,
]);
const HINT_SECTION_NAME_LEN: u32 = 25;

/**
 * The custom section with the batch's branch hints (code metadata, binary format): the name,
 * then per function with hints (in index order) its index and its hints (offset, size 1, 0 =
 * unlikely), in offset order. It must come before the code section.
 */
function branchHintSection(n: u32): void {
  if (hintCount == 0) return;
  let funcs: u32 = 0;
  let len = ulebLen(HINT_SECTION_NAME_LEN) + HINT_SECTION_NAME_LEN;
  for (let i: u32 = 0; i < n; i++) {
    const count = hintsOf(i);
    if (count == 0) continue;
    funcs++;
    len += ulebLen(i) + ulebLen(count);
    const first = load<u32>(hintFirst + 4 * i);
    for (let h = first; h < first + count; h++) len += ulebLen(<u32>load<u16>(hintOffsets + 2 * h)) + 2;
  }
  len += ulebLen(funcs);
  byte(0);
  uleb(len);
  uleb(HINT_SECTION_NAME_LEN);
  memory.copy(emitPos(), HINT_SECTION_NAME, HINT_SECTION_NAME_LEN);
  emitAt(emitPos() + HINT_SECTION_NAME_LEN);
  uleb(funcs);
  for (let i: u32 = 0; i < n; i++) {
    const count = hintsOf(i);
    if (count == 0) continue;
    uleb(i);
    uleb(count);
    const first = load<u32>(hintFirst + 4 * i);
    for (let h = first; h < first + count; h++) {
      uleb(<u32>load<u16>(hintOffsets + 2 * h));
      byte(1); // size of the payload
      byte(0); // unlikely
    }
  }
}

/** Compile the pending batch (host `jitCompile`) and mark its regions' entries compiled. */
export function flushJit(): void {
  if (batchSize == 0) return;
  const n = batchSize;
  emitAt(MODULE);
  byte(0x00); byte(0x61); byte(0x73); byte(0x6d); byte(1); byte(0); byte(0); byte(0);
  byte(1); byte(6); byte(1); byte(0x60); byte(1); byte(0x7f); byte(1); byte(0x7f);
  // imports: env.memory and env.table (the core's function table, for chaining)
  byte(2); byte(29); byte(2);
  byte(3); byte(0x65); byte(0x6e); byte(0x76);
  byte(6); byte(0x6d); byte(0x65); byte(0x6d); byte(0x6f); byte(0x72); byte(0x79);
  byte(2); byte(0); byte(0);
  byte(3); byte(0x65); byte(0x6e); byte(0x76);
  byte(5); byte(0x74); byte(0x61); byte(0x62); byte(0x6c); byte(0x65);
  byte(1); byte(0x70); byte(0); byte(0);
  // function section: n functions of type 0
  byte(3); uleb(ulebLen(n) + n); uleb(n);
  for (let i: u32 = 0; i < n; i++) byte(0);
  // export section: n × (name len 2, 2 letters, kind func, index)
  let exportLen = ulebLen(n);
  for (let i: u32 = 0; i < n; i++) exportLen += 4 + ulebLen(i);
  byte(7); uleb(exportLen); uleb(n);
  for (let i: u32 = 0; i < n; i++) {
    byte(2); byte(nameByte(i, 0)); byte(nameByte(i, 1)); byte(0); uleb(i);
  }
  branchHintSection(n);
  // code section
  let codeLen = ulebLen(n);
  for (let i: u32 = 0; i < n; i++) {
    const len = recordLength(batchRecord(i));
    codeLen += ulebLen(len) + len;
  }
  byte(10); uleb(codeLen); uleb(n);
  for (let i: u32 = 0; i < n; i++) {
    const rec = batchRecord(i);
    const len = recordLength(rec);
    uleb(len);
    memory.copy(emitPos(), recordBody(rec), len);
    emitAt(emitPos() + len);
  }
  // Reuse the table indices of dropped regions; 0 asks the host for a new one.
  for (let i: u32 = 0; i < n; i++) {
    let slot: u32 = 0;
    if (freeCount > 0) {
      freeCount--;
      slot = <u32>load<u16>(FREE_SLOTS + (freeCount << 1));
    }
    store<u32>(JIT_SLOTS + (i << 2), slot);
  }
  const ok = jitCompile(MODULE, emitPos() - MODULE, <i32>n);
  if (ok == TABLE_FULL) flushWanted = true;
  else jitBatches++;
  for (let i: u32 = 0; i < n; i++) {
    const rec = batchRecord(i);
    const slot = load<u32>(JIT_SLOTS + (i << 2));
    const host = recordPage(rec);
    const first = recordFirst(rec);
    let refs: u32 = 0;
    // An entry may have been taken over by another translation, or its page written, while the
    // region waited: only those still pending for this record become compiled.
    for (let m = first; m < first + recordMembers(rec); m++) {
      const mpc = load<i64>(MEMBERS + 8 * m);
      const e = jitFind(mpc, host + (<u32>mpc & 0xfff));
      if (e == 0 || entryState(e) != STATE_PENDING || entryIndex(e) != i) continue;
      if (ok > 0) {
        setEntryIndex(e, slot);
        setEntryState(e, STATE_COMPILED);
        refs++;
      } else {
        // A full table is no reason to give the block up: after the flush it is translated again.
        setEntryState(e, ok == TABLE_FULL ? 0 : STATE_NEVER);
      }
    }
    if (ok > 0) {
      slotsLow = min(slotsLow, slot);
      slotsHigh = max(slotsHigh, slot);
      store<u8>(SLOT_REFS + slot, <u8>refs);
      if (refs == 0) freeSlot(slot);
      const span = recordSpan(rec);
      if (slot < REGION_SPAN_SLOTS) store<u32>(REGION_SPANS + 4 * slot, span);
    }
  }
  batchSize = 0;
  hintCount = 0;
  membersUsed = 0;
  bodyEnd = BODY;
  pendingHits = 0;
}
