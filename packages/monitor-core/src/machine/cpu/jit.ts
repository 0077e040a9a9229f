// A small translator of hot straight-line guest code to WebAssembly (the QEMU TCG idea at its
// simplest). A block starts at a jump target, stays inside one page, and holds only integer ALU
// operations, loads, stores and at most one final branch/jump; anything else (CSRs, AMOs, FP,
// traps, division) is left to the interpreter. The host compiles the emitted module
// (`jitCompile` import) into the exported function table.
//
// Correctness rests on three rules:
// - A translation is named by its guest pc and the wasm address its bytes were read from (the
//   physical page under the current mapping), and runs only where both match; a write to a page
//   holding translated code drops that page's blocks (code-pages.ts), so a block that exists
//   still has its bytes: no check of them at entry.
// - Loads and stores use only the TLB fast path; on a miss (or a misaligned address, MMIO, the
//   tohost page) the block returns before that instruction, which the interpreter then runs
//   with full semantics: traps stay precise and nothing is done twice.
// - A block's semantics depend only on its bytes and pc (pc is baked in) and on the current
//   TLBs, whose pointers the interpreter publishes at JIT_TLB_PTRS before every run.
import { BLOCK_CACHE_BASE, F_BASE, X_BASE } from './layout';
import { markCodePage } from './code-pages';
import {
  OP_ADD, OP_ADDI, OP_ADDIW, OP_ADDW, OP_AND, OP_ANDI, OP_AUIPC, OP_BEQ, OP_BGE, OP_BGEU, OP_BLT,
  OP_BLTU, OP_BNE, OP_FENCE, OP_JAL, OP_JALR, OP_LB, OP_LBU, OP_LD, OP_LH, OP_LHU, OP_LUI, OP_LW,
  OP_LWU, OP_MUL, OP_MULW, OP_OR, OP_ORI, OP_SB, OP_SD, OP_SH, OP_SLL, OP_SLLI, OP_SLLIW, OP_SLLW,
  OP_SLT, OP_SLTI, OP_SLTIU, OP_SLTU, OP_SRA, OP_SRAI, OP_SRAIW, OP_SRAW, OP_SRL, OP_SRLI, OP_SRLIW,
  OP_SRLW, OP_SUB, OP_SUBW, OP_SW, OP_XOR, OP_XORI, OP_DIV, OP_DIVU, OP_DIVUW, OP_DIVW, OP_REM, OP_REMU,
  OP_REMUW, OP_REMW, OP_FLD, OP_FLW, OP_FSD, OP_FSW, decodeInto,
} from './decode';
import {
  I32_ADD, I32_MUL, I32_SHL, I32_SHR_S, I32_SHR_U, I32_SUB, I32_XOR, I64_ADD, I64_AND, I64_EQ, I64_EXTEND_I32_S,
  I64_EXTEND_I32_U, I64_GE_S, I64_GE_U, I64_LT_S, I64_LT_U, I64_MUL, I64_NE, I64_OR, I64_SHL, I64_SHR_S,
  I64_SHR_U, I64_SUB, I64_XOR, I32, I64, I32_EQ, I32_EQZ, I32_DIV_S, I32_DIV_U, I32_REM_S, I32_REM_U,
  I64_DIV_S, I64_DIV_U, I64_REM_S, I64_REM_U, I64_EQZ, ifI64, else_, i64Load32U, i64Store32, I32_GE_S,
  I32_OR, i32Load8S, i32Load8U,
  loopVoid, blockVoid, br, brIf, byte, emitAt, emitPos, end, i32Add, i32And,
  i32Const, i32Load, i32Load16S, i32Load16U, i32LtS, i32Ne, i32Shl, i32Store, i32Sub, i32WrapI64,
  i64Add, i64And, i64Const, i64Load, i64Ne, i64ShrU, i64Store, ifVoid, localGet, localSet, localTee,
  memAccess, numeric, return_, returnCallIndirect, uleb, ulebLen, unreachable_,
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
// then its function's table index (u16: the host caps the table below 65536), its state (i8:
// 0 none, else STATE_*) and its length in instructions (u8, at most MAX_INSNS).
const E_PC: u32 = 0;
const E_HOST: u32 = 8;
const E_INDEX: u32 = 12;
const E_STATE: u32 = 14;
const E_LEN: u32 = 15;
@inline export function entryPc(b: u32): i64 { return load<i64>(b, E_PC); }
@inline export function entryHost(b: u32): u32 { return load<u32>(b, E_HOST); }
@inline export function entryIndex(b: u32): u32 { return <u32>load<u16>(b, E_INDEX); }
@inline export function entryState(b: u32): i32 { return <i32>load<i8>(b, E_STATE); }
@inline export function entryLen(b: u32): i32 { return <i32>load<u8>(b, E_LEN); }
@inline function setEntryState(b: u32, state: i32): void { store<i8>(b, <i8>state, E_STATE); }
/** Entry `b` now names the translation of `pc` from bytes at `host` (none yet). */
@inline export function claimEntry(b: u32, pc: i64, host: u32): void {
  store<i64>(b, pc, E_PC);
  store<u32>(b, host, E_HOST);
  setEntryState(b, 0);
}
/** Where a block leaves the next pc (i64). */
export const JIT_NPC: u32 = 0x1900;
/** tlbRead, tlbWrite and tlbCode (u32 each), published for the blocks. */
export const JIT_TLB_PTRS: u32 = 0x1908;
/**
 * Instructions a chain of blocks may still run (i32): the interpreter writes what is left of its
 * budget before it calls a block; a block that continues directly in another one subtracts what
 * it ran.
 */
export const JIT_REM: u32 = 0x1914;
/** mstatus.FS (i32, 0 Off .. 3 Dirty), written by the interpreter before it calls a block: FP
 *  loads and stores are translated, and run only while it allows them without a state change. */
export const JIT_FS: u32 = 0x1918;
/** Scratch decode slot (16 bytes) and the emission buffers. */
const SCRATCH: u32 = 0x1920;
// Wasm memory 0x200000 .. 0x300000: the table indices of dropped blocks, function bodies of the
// pending batch, the module around them (bodies plus under 32 KiB of headers), the batch records
// (64 × 24 bytes), the first pass's scratch output (one instruction), and the slot list.
const BODY: u32 = 0x240000;
const BODY_END: u32 = 0x278000;
const MODULE: u32 = 0x280000;
const BATCH: u32 = 0x2c0000;
const DRY_RUN: u32 = 0x2c0800;
export const JIT_SLOTS: u32 = 0x2c1000;
/** Table indices of blocks that were dropped, for reuse (u16 × JIT_ENTRIES). */
const FREE_SLOTS: u32 = 0x200000;
let freeCount: u32 = 0;
const BATCH_MAX: u32 = 64;
let batchSize: u32 = 0;
let bodyEnd: u32 = BODY;
/** Executions of a block start before it is translated. */
export const JIT_THRESHOLD: i32 = 500;
/**
 * Hotness counters (u16 × 65536, untagged, indexed like the cache's sets): a pc counts here
 * and takes a block-cache entry only once it is translated, so the many lukewarm block starts
 * never evict translations (counting in the cache entries themselves made pairs of hot pcs
 * evict each other's counts, and they stayed interpreted). Aliasing pcs share a counter and
 * are merely translated a little early.
 */
const HOT_BASE: u32 = 0x2c2000;
const HOT_ENTRIES: u32 = 65536;

/** Count one execution of the block start `pc`; true when it has become hot (then restarts). */
export function countHot(pc: i64): bool {
  const lo = <u32>pc;
  const h = HOT_BASE + (((lo ^ (lo >> 16)) >> 1) & (HOT_ENTRIES - 1)) * 2;
  const c = <i32>load<u16>(h) + 1;
  if (c >= JIT_THRESHOLD) {
    store<u16>(h, 0);
    return true;
  }
  store<u16>(h, <u16>c);
  return false;
}
const MAX_INSNS: i32 = 64;
/** Most wasm bytes one block can take (64 instructions, each a chained branch storing every register, at worst). */
const BLOCK_BYTES_MAX: u32 = 0x8000;

export const STATE_COMPILED: i32 = -1;
export const STATE_NEVER: i32 = -2;
export const STATE_PENDING: i32 = -3;

let enabled: bool = true;
/** Statistics (the jitStats export): blocks translated, compiled blocks given up (their page
 *  written, or their cache entry taken by another translation), batches compiled. */
export let jitTranslated: i64 = 0;
export let jitDropped: i64 = 0;
export let jitBatches: i64 = 0;
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

export function clearJit(): void {
  memory.fill(HOT_BASE, 0, HOT_ENTRIES * 2);
  batchSize = 0;
  pendingHits = 0;
  bodyEnd = BODY;
  for (let i: u32 = 0; i < JIT_ENTRIES; i++) {
    const b = JIT_BASE + (i << 4);
    claimEntry(b, -1, 0);
    store<u8>(b, 0, E_LEN);
  }
}

/**
 * The RAM page at wasm address `page` was written (code-pages.ts): give up every translation
 * made from its bytes, compiled or waiting in the batch (flushJit then drops it), and forget
 * that its first instructions could not be translated. A scan of the whole cache (65536
 * entries, tens of microseconds); `jitStats(5)` counts how often it happens.
 */
export function invalidatePage(page: u32): void {
  for (let b = JIT_BASE; b < JIT_BASE + (JIT_ENTRIES << 4); b += 16) {
    if ((entryHost(b) & ~0xfff) != page || entryState(b) == 0) continue;
    releaseBlock(b);
  }
}

// --- the code of one block ---
//
// A block is one function (param: the host address of its first instruction) -> i32: the number
// of instructions it ran, after storing the next pc at JIT_NPC. Guest registers live in wasm
// locals inside it: those read before being written are loaded once at its start, written ones
// are stored back (flushDirty) on every path that leaves the block, so the interpreter and the
// next block see them in the state block.

const L_HOST: u32 = 0; // param i32: host address of the block's first instruction
const L_VA: u32 = 1; // local i64: address or jump target
const L_E: u32 = 2; // local i32: TLB entry, then a host address
const L_REM: u32 = 3; // local i32: JIT_REM after this block
const L_B: u32 = 4; // local i32: block-cache entry of a computed jump target
/** x1..x31 are locals 5..35 (x0 reads as the constant 0 and is never written). */
@inline function regLocal(r: u32): u32 { return L_B + r; }

/** Guest pc of the block being emitted, and the wasm address of its bytes (a block runs only
 *  where pc maps to those, so this is also its function's parameter). */
let blockPc: i64 = 0;
let blockHost: u32 = 0;
/** Registers (bit r) written so far on the current path: what an exit must store back. */
let dirty: u32 = 0;
/** Registers read before any write in the block: loaded at its start. */
let readFirst: u32 = 0;
/** The block branches back to its own first instruction (a loop): that branch stays inside the
 *  function (`br` to a wasm `loop`), see backEdge. */
let selfLoop = false;
/** Instructions in the block being emitted (known in the second pass). */
let blockLen: i32 = 0;

/** Push x[r]; `off` is r as a byte offset into x[] (the decoder's form). */
function getReg(off: u32): void {
  const r = off >> 3;
  if (r == 0) { i64Const(0); return; }
  if ((dirty & (1 << r)) == 0) readFirst |= 1 << r;
  localGet(regLocal(r));
}
/** Pop into x[r] (r != 0). */
function setReg(off: u32): void {
  const r = off >> 3;
  localSet(regLocal(r));
  dirty |= 1 << r;
}
/** Store every register written so far back to the state block. */
function flushDirty(): void {
  for (let r: u32 = 1; r < 32; r++) {
    if ((dirty & (1 << r)) == 0) continue;
    i32Const(0);
    localGet(regLocal(r));
    i64Store(X_BASE + (r << 3));
  }
}
/** Load the registers in `set` (those the block reads before writing them). */
function loadRegs(set: u32): void {
  for (let r: u32 = 1; r < 32; r++) {
    if ((set & (1 << r)) == 0) continue;
    i32Const(0);
    i64Load(X_BASE + (r << 3));
    localSet(regLocal(r));
  }
}

/** Return to the interpreter: next pc = npc, `count` instructions done (registers stored). */
function leave(npc: i64, count: i32): void {
  i32Const(0);
  i64Const(npc);
  i64Store(JIT_NPC);
  i32Const(count);
  return_();
}
function exitWith(npc: i64, count: i32): void {
  flushDirty();
  leave(npc, count);
}

/**
 * va = x[rs1] + imm into L_VA; L_E = its TLB entry; leave before this instruction unless the
 * tag matches (the tag's low bits also reject misaligned addresses).
 *   va = rs1 + imm; e = tlb[(va >> 12) & 255]; if (e.tag != va & ~(0xfff & ~(size-1))) exit
 */
function tlbCheck(rs1: u32, imm: i64, tlbPtr: u32, size: i32, pc: i64, count: i32): void {
  getReg(rs1);
  i64Const(imm);
  i64Add();
  localSet(L_VA);
  i32Const(0);
  i32Load(tlbPtr);
  localGet(L_VA);
  i64Const(12);
  i64ShrU();
  i32WrapI64();
  i32Const(255);
  i32And();
  i32Const(4);
  i32Shl();
  i32Add();
  localTee(L_E);
  i64Load(0); // tag
  localGet(L_VA);
  i64Const(~(<i64>0xfff & ~<i64>(size - 1)));
  i64And();
  i64Ne();
  ifVoid();
  exitWith(pc, count);
  end();
}
/** Push the host address of L_VA: wrap(va + addend). */
function hostAddr(): void {
  localGet(L_VA);
  localGet(L_E);
  i64Load(8);
  i64Add();
  i32WrapI64();
}

// Chaining (the QEMU TCG "goto_tb" idea): a block that ends with a known next pc continues
// directly in that pc's translation, by a tail call through the core's function table, when the
// code TLB maps the target, the block cache holds a compiled block for that pc and those bytes,
// and it fits in the remaining budget; otherwise it returns to the interpreter. Interrupts need
// no check here: inside blocks nothing can make one pending (MMIO and CSR accesses are left to
// the interpreter).

/** Push the target pc: the constant `pc`, or L_VA when dynamic. */
function target(dynamic: bool, pc: i64): void {
  if (dynamic) localGet(L_VA); else i64Const(pc);
}

/**
 * Inside `block`, with L_E = the target's host address and L_B = the first entry of its set:
 * L_B = the entry holding the translation of (target, L_E); br_if 0 unless there is one,
 * compiled, with a length that fits in JIT_REM - count; leaves L_REM = JIT_REM - count.
 *   if (!(set[0].pc == target && set[0].host == host) && !((++set).pc == target && .host == host)) leave
 *   if (entry.state != COMPILED || (rem = JIT_REM - count) < entry.length) leave
 */
function chainCheck(dynamic: bool, pc: i64, count: i32): void {
  blockVoid(); // found
  localGet(L_B);
  i64Load(E_PC);
  target(dynamic, pc);
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
  target(dynamic, pc);
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
  i32Const(0);
  i32Load(JIT_REM);
  i32Const(count);
  i32Sub();
  localTee(L_REM);
  localGet(L_B);
  i32Load8U(E_LEN);
  i32LtS();
  brIf(0);
}

/** Inside `block`: L_E = host address of the target pc through the code TLB; br_if 0 on a miss. */
function codeHost(dynamic: bool, pc: i64): void {
  i32Const(0);
  i32Load(JIT_TLB_PTRS + 8); // tlbCode
  if (dynamic) {
    localGet(L_VA);
    i64Const(12);
    i64ShrU();
    i32WrapI64();
    i32Const(255);
    i32And();
    i32Const(4);
    i32Shl();
  } else {
    i32Const(<i32>(((<u32>(pc >>> 12)) & 255) << 4));
  }
  i32Add();
  localTee(L_E);
  i64Load(0); // tag
  if (dynamic) { localGet(L_VA); i64Const(~<i64>0xfff); i64And(); } else i64Const(pc & ~<i64>0xfff);
  i64Ne();
  brIf(0);
  if (dynamic) localGet(L_VA); else i64Const(pc);
  localGet(L_E);
  i64Load(8); // addend
  i64Add();
  i32WrapI64();
  localSet(L_E);
}

/** JIT_REM = L_REM; tail call: table index from the entry L_B, argument L_E. */
function chainCall(): void {
  i32Const(0);
  localGet(L_REM);
  i32Store(JIT_REM);
  localGet(L_E);
  localGet(L_B);
  i32Load16U(E_INDEX);
  returnCallIndirect(0, 0);
}

/**
 * The branch back to the block's own start, `depth` structured blocks inside the loop body:
 * another round in the same function while the budget (JIT_REM) holds a whole one, the
 * registers staying in locals; else leave as any other exit.
 *   rem = JIT_REM - count; if (rem >= blockLen) { JIT_REM = rem; continue } else chainTo(start)
 * A store to the block's own page cannot happen inside the loop: the page is not in the write
 * TLB (code-pages.ts), so such a store leaves the block before it.
 */
function backEdge(count: i32, depth: u32): void {
  i32Const(0);
  i32Load(JIT_REM);
  i32Const(count);
  i32Sub();
  localTee(L_REM);
  i32Const(blockLen);
  numeric(I32_GE_S);
  ifVoid();
  i32Const(0);
  localGet(L_REM);
  i32Store(JIT_REM);
  br(depth + 1);
  end();
  chainTo(blockPc, count);
}

/** Leave for the known next pc `npc` after `count` instructions, through its block if possible. */
function chainTo(npc: i64, count: i32): void {
  flushDirty();
  blockVoid();
  if (((npc ^ blockPc) & ~<i64>0xfff) == 0) {
    // Same page: the same mapping as this block's own bytes.
    i32Const(<i32>(blockHost + <u32>(npc - blockPc)));
    localSet(L_E);
  } else {
    codeHost(false, npc);
  }
  i32Const(<i32>jitSlot(npc));
  localSet(L_B);
  chainCheck(false, npc, count);
  chainCall();
  end();
  leave(npc, count);
}

/** Leave for the computed next pc in L_VA after `count` instructions (jalr). */
function chainToComputed(count: i32): void {
  flushDirty();
  blockVoid();
  codeHost(true, 0);
  // L_B = jitSlot(L_VA)
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
  chainCheck(true, 0, count);
  chainCall();
  end();
  i32Const(0);
  localGet(L_VA);
  i64Store(JIT_NPC);
  i32Const(count);
  return_();
}

/** rd = rs1 op rs2 */
function binop64(d: u32, opcode: u32): void {
  getReg(load<u8>(d, 10));
  getReg(load<u8>(d, 11));
  numeric(opcode);
  setReg(load<u8>(d, 9));
}
/** rd = rs1 op imm */
function immop64(d: u32, opcode: u32): void {
  getReg(load<u8>(d, 10));
  i64Const(<i64>load<i32>(d, 4));
  numeric(opcode);
  setReg(load<u8>(d, 9));
}
/** rd = (rs1 cmp rs2/imm) ? 1 : 0 */
function cmpop(d: u32, opcode: u32, imm: bool): void {
  getReg(load<u8>(d, 10));
  if (imm) i64Const(<i64>load<i32>(d, 4));
  else getReg(load<u8>(d, 11));
  numeric(opcode);
  numeric(I64_EXTEND_I32_U);
  setReg(load<u8>(d, 9));
}
/** rd = sext32(low32(rs1) op low32(rs2 or imm)) */
function op32(d: u32, opcode: u32, imm: bool): void {
  getReg(load<u8>(d, 10));
  i32WrapI64();
  if (imm) i32Const(load<i32>(d, 4));
  else { getReg(load<u8>(d, 11)); i32WrapI64(); }
  numeric(opcode);
  numeric(I64_EXTEND_I32_S);
  setReg(load<u8>(d, 9));
}

/**
 * M-extension division (unpriv spec 13.2: never traps): x / 0 = -1 (all ones), x % 0 = x, and
 * the signed overflow MIN / -1 = MIN, MIN % -1 = 0. wasm traps on a zero divisor and on signed
 * division overflow (not on rem_s), so those cases are decided first:
 *   rd = rs2 == 0 ? (rem ? rs1 : -1) : (signed div && rs2 == -1) ? -rs1 : rs1 op rs2
 * The W forms do the same on the low words and sign-extend the result.
 */
function divide(d: u32, opcode: u32, word: bool, signedDiv: bool, rem: bool): void {
  const rs1 = <u32>load<u8>(d, 10);
  const rs2 = <u32>load<u8>(d, 11);
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
  setReg(load<u8>(d, 9));
}

/** Leave before this instruction unless mstatus.FS (JIT_FS) is `Dirty` (a load, which would
 *  have to set it) or not `Off` (a store). */
function fsCheck(load_: bool, pc: i64, count: i32): void {
  i32Const(0);
  i32Load(JIT_FS);
  if (load_) { i32Const(3); i32Ne(); } else numeric(I32_EQZ);
  ifVoid();
  exitWith(pc, count);
  end();
}

/** Emit the code of one instruction; returns false if it cannot be translated. */
function emitInsn(d: u32, pc: i64, len: i64, count: i32): bool {
  const op = load<u8>(d, 8);
  const rd = <u32>load<u8>(d, 9);
  const imm = <i64>load<i32>(d, 4);
  // Ops without effects but a register write: nothing to do for rd = x0 (loads still check).
  switch (op) {
    case OP_ADD: case OP_SUB: case OP_SLL: case OP_SLT: case OP_SLTU: case OP_XOR: case OP_SRL:
    case OP_SRA: case OP_OR: case OP_AND: case OP_MUL: case OP_ADDW: case OP_SUBW: case OP_SLLW:
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
      tlbCheck(load<u8>(d, 10), imm, JIT_TLB_PTRS, single ? 4 : 8, pc, count);
      i32Const(0);
      hostAddr();
      if (single) { i64Load32U(0); i64Const(<i64>0xffffffff00000000); numeric(I64_OR); } else i64Load(0);
      i64Store(F_BASE + rd);
      break;
    }
    case OP_FSW: case OP_FSD: {
      const single = op == OP_FSW;
      fsCheck(false, pc, count);
      tlbCheck(load<u8>(d, 10), imm, JIT_TLB_PTRS + 4, single ? 4 : 8, pc, count);
      hostAddr();
      i32Const(0);
      i64Load(F_BASE + <u32>load<u8>(d, 11));
      if (single) i64Store32(0); else i64Store(0);
      break;
    }
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
      tlbCheck(load<u8>(d, 10), imm, JIT_TLB_PTRS, size, pc, count);
      if (rd != 0) {
        hostAddr();
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
      tlbCheck(load<u8>(d, 10), imm, JIT_TLB_PTRS + 4, size, pc, count);
      hostAddr();
      getReg(load<u8>(d, 11));
      memAccess(opcode, 0);
      break;
    }
    case OP_JAL:
      if (rd != 0) { i64Const(pc + len); setReg(rd); }
      if (pc + imm == blockPc) selfLoop = true;
      if (pc + imm == blockPc && len != 0) backEdge(count + 1, 0);
      else chainTo(pc + imm, count + 1);
      break;
    case OP_JALR:
      // The target is computed before rd is written (rd may be rs1).
      getReg(load<u8>(d, 10));
      i64Const(imm);
      i64Add();
      i64Const(-2);
      i64And();
      localSet(L_VA);
      if (rd != 0) { i64Const(pc + len); setReg(rd); }
      chainToComputed(count + 1);
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
      getReg(load<u8>(d, 10));
      getReg(load<u8>(d, 11));
      numeric(cmp);
      ifVoid();
      if (pc + imm == blockPc) selfLoop = true;
      if (pc + imm == blockPc && len != 0) backEdge(count + 1, 1);
      else chainTo(pc + imm, count + 1);
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

/**
 * Translate the block at `pc` (host bytes at `host`) for cache entry `b` into the pending batch;
 * the entry becomes STATE_PENDING (or STATE_NEVER when its first instruction is not
 * translatable). Blocks are compiled in batches: one module per block would cost a module's
 * fixed overhead each and scatter the code over thousands of code spaces.
 */
export function compileBlock(b: u32, pc: i64, host: u32): void {
  if (!enabled) { setEntryState(b, STATE_NEVER); return; }
  if (bodyEnd + BLOCK_BYTES_MAX > BODY_END) flushJit();
  blockPc = pc;
  blockHost = host;
  dirty = 0;
  readFirst = 0;
  selfLoop = false;
  // First pass (len 0): how far the block goes, which registers it reads before writing, which
  // it writes, whether it loops back to its start.
  let off: u32 = 0;
  let count: i32 = 0;
  const pageLeft: u32 = 0x1000 - (<u32>pc & 0xfff);
  while (count < MAX_INSNS) {
    if (off + 2 > pageLeft) break;
    let raw = <u32>load<u16>(host + off);
    if ((raw & 3) == 3) {
      if (off + 4 > pageLeft) break;
      raw = load<u32>(host + off);
    }
    decodeInto(SCRATCH, raw);
    const op = load<u8>(SCRATCH, 8);
    emitAt(DRY_RUN);
    if (!emitInsn(SCRATCH, pc + <i64>off, 0, count)) break;
    off += (raw & 3) == 3 ? 4 : 2;
    count++;
    if (isJump(op)) break;
  }
  if (count == 0) { setEntryState(b, STATE_NEVER); return; }
  const written = dirty;
  blockLen = count;

  // From here on a store to the block's page takes the slow path, which drops the block.
  markCodePage(host);

  // Body: locals, the registers read first, the instructions.
  const start = bodyEnd;
  emitAt(start);
  dirty = 0;
  uleb(3); // local groups: L_VA; L_E, L_REM, L_B; x1..x31
  uleb(1); byte(I64);
  uleb(3); byte(I32);
  uleb(31); byte(I64);
  // In a loop, every exit stores all the registers the body writes (an earlier round may have
  // written them), so those are loaded too.
  const looping = selfLoop;
  if (looping) {
    loadRegs(readFirst | written);
    dirty = written;
    loopVoid();
  } else {
    loadRegs(readFirst);
  }
  off = 0;
  let ended = false;
  for (let i = 0; i < count; i++) {
    let raw = <u32>load<u16>(host + off);
    if ((raw & 3) == 3) raw = load<u32>(host + off);
    const len: i64 = (raw & 3) == 3 ? 4 : 2;
    decodeInto(SCRATCH, raw);
    emitInsn(SCRATCH, pc + <i64>off, len, i);
    if (isJump(load<u8>(SCRATCH, 8))) ended = true;
    off += <u32>len;
  }
  if (!ended) chainTo(pc + <i64>off, count);
  else unreachable_(); // every path returned
  if (looping) { end(); unreachable_(); }
  end();
  const p = emitPos();
  bodyEnd = p;

  const rec = BATCH + batchSize * 24;
  store<u32>(rec, b);
  store<u32>(rec, start, 4);
  store<u32>(rec, p - start, 8);
  store<u32>(rec, host, 12);
  store<i64>(rec, pc, 16);
  batchSize++;
  setEntryState(b, STATE_PENDING);
  store<u8>(b, <u8>count, E_LEN);
  jitTranslated++;
  if (batchSize >= BATCH_MAX) flushJit();
}

/**
 * For the golden tests of emitted code: translate the block at `pc` (guest bytes at wasm address
 * `host`) into a fresh batch without compiling it; returns the body's wasm address << 32 | its
 * length (0 if nothing was translatable).
 */
export function emitForTest(pc: i64, host: u32): u64 {
  clearJit();
  const b = jitSlot(pc);
  claimEntry(b, pc, host);
  compileBlock(b, pc, host);
  if (batchSize == 0) return 0;
  return (<u64>load<u32>(BATCH, 4) << 32) | <u64>load<u32>(BATCH, 8);
}

/** Give up the translation held by entry `b` (taken over by another one, or its page written). */
export function releaseBlock(b: u32): void {
  if (entryState(b) == STATE_COMPILED) {
    jitDropped++;
    freeSlot(entryIndex(b));
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

/** Compile the pending batch (host `jitCompile`) and mark its blocks compiled. */
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
  // code section
  let codeLen = ulebLen(n);
  for (let i: u32 = 0; i < n; i++) {
    const len = load<u32>(BATCH + i * 24, 8);
    codeLen += ulebLen(len) + len;
  }
  byte(10); uleb(codeLen); uleb(n);
  for (let i: u32 = 0; i < n; i++) {
    const rec = BATCH + i * 24;
    const len = load<u32>(rec, 8);
    uleb(len);
    memory.copy(emitPos(), load<u32>(rec, 4), len);
    emitAt(emitPos() + len);
  }
  // Reuse the table indices of dropped blocks; 0 asks the host for a new one.
  for (let i: u32 = 0; i < n; i++) {
    let slot: u32 = 0;
    if (freeCount > 0) {
      freeCount--;
      slot = <u32>load<u16>(FREE_SLOTS + (freeCount << 1));
    }
    store<u32>(JIT_SLOTS + (i << 2), slot);
  }
  const ok = jitCompile(MODULE, emitPos() - MODULE, <i32>n);
  jitBatches++;
  for (let i: u32 = 0; i < n; i++) {
    const rec = BATCH + i * 24;
    const b = load<u32>(rec);
    // The entry may have been taken over by another translation, or its page written, while
    // its block waited.
    if (entryPc(b) != load<i64>(rec, 16) || entryHost(b) != load<u32>(rec, 12) || entryState(b) != STATE_PENDING) {
      if (ok > 0) freeSlot(load<u32>(JIT_SLOTS + (i << 2)));
      continue;
    }
    if (ok > 0) {
      store<u16>(b, <u16>load<u32>(JIT_SLOTS + (i << 2)), E_INDEX);
      setEntryState(b, STATE_COMPILED);
    } else {
      setEntryState(b, STATE_NEVER);
    }
  }
  batchSize = 0;
  bodyEnd = BODY;
  pendingHits = 0;
}

