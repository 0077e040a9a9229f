// The instruction decoder and execution loop (RV64IMAFDC + Zicsr + Zifencei + privileged
// instructions). This is the one long file of the core: a single switch loop, as in TinyEMU, so
// locals (pc, the code page pointer, the budget) stay in wasm locals across instructions.
//
// Fast paths: instruction fetch reads through `pc + codeAdd` while pc stays in the same page;
// loads/stores compare one TLB tag whose low bits also reject misaligned accesses (those take the
// slow path, which supports them). Anything that changes privilege, translation or interrupt
// enables ends the block so run() can take interrupts and the code page is looked up afresh.
import {
  EXIT_HALT, EXIT_SBI, EXIT_WFI, F_BASE, JIT_FS, JIT_NPC, JIT_REM, JIT_RESERVATION, JIT_TLB_PTRS, PRIV_M,
  PRIV_S, PRIV_U, X_BASE, getX, tlbAddend, tlbEntry, tlbTag,
} from './layout';
import {
  OP_ADD, OP_ADDI, OP_ADDIW, OP_ADDW, OP_AMO, OP_AND, OP_ANDI, OP_AUIPC, OP_BEQ, OP_BGE, OP_BGEU, OP_BLT,
  OP_BLTU, OP_BNE, OP_CSR, OP_DIV, OP_DIVU, OP_DIVUW, OP_DIVW, OP_FENCE, OP_FLD, OP_FLW, OP_FMA, OP_FSD,
  OP_FSW, OP_JAL, OP_JALR, OP_LB, OP_LBU, OP_LD, OP_LH, OP_LHU, OP_LUI, OP_LW, OP_LWU, OP_MUL, OP_MULH,
  OP_MULHSU, OP_MULHU, OP_MULW, OP_OPFP, OP_OR, OP_ORI, OP_REM, OP_REMU, OP_REMUW, OP_REMW, OP_SB, OP_SD,
  OP_SH, OP_SLL, OP_SLLI, OP_SLLIW, OP_SLLW, OP_SLT, OP_SLTI, OP_SLTIU, OP_SLTU, OP_SRA, OP_SRAI, OP_SRAIW,
  OP_SRAW, OP_SRL, OP_SRLI, OP_SRLIW, OP_SRLW, OP_SUB, OP_SUBW, OP_SW, OP_SYSTEM, OP_XOR, OP_XORI,
  decodeInto, decodeSlot, decodedHit, decodedImm, decodedInsn, decodedKey, decodedLength, decodedOp,
  decodedRd, decodedRs1, decodedRs2,
} from './decode';
import {
  STATE_COMPILED, STATE_NEVER, STATE_PENDING, claimEntry, compileBlock, countHot, entryIndex, entryMember,
  entryState, jitFind, jitSlot, jitVictim, pendingHit, releaseBlock,
} from './jit';
import {
  ACCESS_READ, ACCESS_WRITE, CAUSE_BREAKPOINT, CAUSE_END_BLOCK, CAUSE_HALT, CAUSE_ILLEGAL, atomicHost,
  PAGE_MASK, clearException, codeAddend, codePageCached, excCause, excTval, fenceVma, fetchHalfSlow,
  loadSlow, raise, storeSlow, tlbCode, tlbRead, tlbWrite,
} from './mmu';
import {
  MSTATUS_FS, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_SIE,
  MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, mstatus, priv,
} from './context';
import {
  csrFault, csrReadChecked, csrWriteChecked, markFpDirty, mepc, mie, mip, retired, sepc,
  setMstatusRaw, setPrivilege, addRetired,
} from './csr';
import { enterTrap } from './trap';
import { executeFma, executeOpFp } from './fp-exec';

/** Translator statistics (jitStats export): calls into translated code, instructions run there,
 *  block starts the interpreter looked up in the block cache, and decoded-instruction cache
 *  misses. */
export let jitEntries: i64 = 0;
export let jitInsns: i64 = 0;
export let jitLookups: i64 = 0;
export let decodeMisses: i64 = 0;

/** Set when run() must return (EXIT_WFI, EXIT_SBI, EXIT_HALT); -1 while running. */
export let exitReason: i32 = -1;
export let sbiInMonitor: bool = false;

export function setExitReason(r: i32): void { exitReason = r; }
export function setSbiMode(on: bool): void { sbiInMonitor = on; }
export function dropReservation(): void { store<i64>(JIT_RESERVATION, -1); }

const BOX: i64 = <i64>0xffffffff00000000;

/** Register write without the rd != 0 test; execute() re-zeroes x0 after every instruction. */
@inline function writeX(r: u32, v: i64): void {
  store<i64>(X_BASE + (r << 3), v);
}

// --- memory fast paths: one tag compare, which a misaligned address never passes ---
/** TLB entry `e` maps va's page and va is aligned to `size` (the slow path does the rest). */
@inline function tlbHit(e: u32, va: i64, size: i32): bool {
  return tlbTag(e) == (va & ~(PAGE_MASK & ~<i64>(size - 1)));
}
/** The wasm address of va through TLB entry `e` (after tlbHit). */
@inline function hostOf(e: u32, va: i64): u32 {
  return <u32>(va + tlbAddend(e));
}
@inline function ld8(va: i64): i64 {
  const e = tlbEntry(tlbRead, va);
  if (tlbHit(e, va, 1)) return <i64>load<u8>(hostOf(e, va));
  return loadSlow(va, 1);
}
@inline function ld16(va: i64): i64 {
  const e = tlbEntry(tlbRead, va);
  if (tlbHit(e, va, 2)) return <i64>load<u16>(hostOf(e, va));
  return loadSlow(va, 2);
}
@inline function ld32(va: i64): i64 {
  const e = tlbEntry(tlbRead, va);
  if (tlbHit(e, va, 4)) return <i64>load<u32>(hostOf(e, va));
  return loadSlow(va, 4);
}
@inline function ld64(va: i64): i64 {
  const e = tlbEntry(tlbRead, va);
  if (tlbHit(e, va, 8)) return load<i64>(hostOf(e, va));
  return loadSlow(va, 8);
}
@inline function st8(va: i64, v: i64): void {
  const e = tlbEntry(tlbWrite, va);
  if (tlbHit(e, va, 1)) store<u8>(hostOf(e, va), <u8>v);
  else storeSlow(va, 1, v);
}
@inline function st16(va: i64, v: i64): void {
  const e = tlbEntry(tlbWrite, va);
  if (tlbHit(e, va, 2)) store<u16>(hostOf(e, va), <u16>v);
  else storeSlow(va, 2, v);
}
@inline function st32(va: i64, v: i64): void {
  const e = tlbEntry(tlbWrite, va);
  if (tlbHit(e, va, 4)) store<u32>(hostOf(e, va), <u32>v);
  else storeSlow(va, 4, v);
}
@inline function st64(va: i64, v: i64): void {
  const e = tlbEntry(tlbWrite, va);
  if (tlbHit(e, va, 8)) store<i64>(hostOf(e, va), v);
  else storeSlow(va, 8, v);
}

/** Host address for LR (read TLB) or SC/AMO (write TLB); misaligned addresses miss on purpose. */
@inline function atomicAddress(va: i64, size: i32, access: i32): u32 {
  const e = tlbEntry(access == ACCESS_READ ? tlbRead : tlbWrite, va);
  if (tlbHit(e, va, size)) return hostOf(e, va);
  return atomicHost(va, size, access);
}

/**
 * CSR writes that can enable an interrupt or change translation end the block, so run() takes
 * the interrupt and the code page is looked up again; sscratch, sepc and the like do not.
 */
/** The TLBs of the current translation context, for translated code (jit.ts JIT_TLB_PTRS). */
@inline function publishTlbs(): void {
  store<u32>(JIT_TLB_PTRS, tlbRead);
  store<u32>(JIT_TLB_PTRS + 4, tlbWrite);
  store<u32>(JIT_TLB_PTRS + 8, tlbCode);
}

const CSR_SSTATUS: i32 = 0x100;

function csrWriteEndsBlock(csr: i32): bool {
  switch (csr) {
    case 0x100: case 0x104: case 0x144: case 0x14d: case 0x180: // sstatus sie sip stimecmp satp
    case 0x300: case 0x303: case 0x304: case 0x30a: case 0x344: // mstatus mideleg mie menvcfg mip
      return true;
  }
  return csr >= 0x3a0 && csr <= 0x3ef; // pmpcfg/pmpaddr: the code page is checked again
}

// Operands of a decoded instruction (decode.ts): register byte offsets and the immediate.
@inline function S1(d: u32): i64 { return load<i64>(decodedRs1(d), X_BASE); }
@inline function S2(d: u32): i64 { return load<i64>(decodedRs2(d), X_BASE); }
@inline function IMM(d: u32): i64 { return <i64>decodedImm(d); }
@inline function W(d: u32, v: i64): void { store<i64>(decodedRd(d), v, X_BASE); }

// Instruction fields, extracted where used so they need not live in registers across the loop.
@inline function RD(i: u32): u32 { return (i >> 7) & 31; }
@inline function RS1(i: u32): u32 { return (i >> 15) & 31; }
@inline function RS2(i: u32): u32 { return (i >> 20) & 31; }
@inline function F3(i: u32): u32 { return (i >> 12) & 7; }

// --- M extension helpers (unpriv spec ch. 7: division by zero and overflow do not trap) ---
function mulhu(a: u64, b: u64): u64 {
  const a0 = a & 0xffffffff;
  const a1 = a >>> 32;
  const b0 = b & 0xffffffff;
  const b1 = b >>> 32;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  return a1 * b1 + (p01 >>> 32) + (p10 >>> 32) + (mid >>> 32);
}
function mulh(a: i64, b: i64): i64 {
  let r = <i64>mulhu(<u64>a, <u64>b);
  if (a < 0) r -= b;
  if (b < 0) r -= a;
  return r;
}
function mulhsu(a: i64, b: i64): i64 {
  let r = <i64>mulhu(<u64>a, <u64>b);
  if (a < 0) r -= b;
  return r;
}
function div64(a: i64, b: i64): i64 {
  if (b == 0) return -1;
  if (b == -1) return -a; // also MIN / -1 = MIN without a wasm trap
  return a / b;
}
function divu64(a: i64, b: i64): i64 {
  if (b == 0) return -1;
  return <i64>(<u64>a / <u64>b);
}
function rem64(a: i64, b: i64): i64 {
  if (b == 0) return a;
  if (b == -1) return 0;
  return a % b;
}
function remu64(a: i64, b: i64): i64 {
  if (b == 0) return a;
  return <i64>(<u64>a % <u64>b);
}
function div32(a: i32, b: i32): i32 {
  if (b == 0) return -1;
  if (b == -1) return -a;
  return a / b;
}
function divu32(a: i32, b: i32): i32 {
  if (b == 0) return -1;
  return <i32>(<u32>a / <u32>b);
}
function rem32(a: i32, b: i32): i32 {
  if (b == 0) return a;
  if (b == -1) return 0;
  return a % b;
}
function remu32(a: i32, b: i32): i32 {
  if (b == 0) return a;
  return <i32>(<u32>a % <u32>b);
}

function amo64(f5: u32, old: i64, src: i64): i64 {
  switch (f5) {
    case 0x01: return src; // amoswap
    case 0x00: return old + src;
    case 0x04: return old ^ src;
    case 0x0c: return old & src;
    case 0x08: return old | src;
    case 0x10: return old < src ? old : src;
    case 0x14: return old > src ? old : src;
    case 0x18: return <u64>old < <u64>src ? old : src;
    default: return <u64>old > <u64>src ? old : src; // 0x1c amomaxu
  }
}
function amo32(f5: u32, old: i32, src: i32): i32 {
  switch (f5) {
    case 0x01: return src;
    case 0x00: return old + src;
    case 0x04: return old ^ src;
    case 0x0c: return old & src;
    case 0x08: return old | src;
    case 0x10: return old < src ? old : src;
    case 0x14: return old > src ? old : src;
    case 0x18: return <u32>old < <u32>src ? old : src;
    default: return <u32>old > <u32>src ? old : src;
  }
}
@inline function validAmo(f5: u32): bool {
  return f5 == 0 || f5 == 1 || f5 == 4 || f5 == 8 || f5 == 0x0c || f5 == 0x10 || f5 == 0x14 || f5 == 0x18 || f5 == 0x1c;
}

// Why an instruction did not complete (execute's `trap`): it was illegal, or a memory access
// raised an exception (excCause: a fault, or a store to tohost or a code page ending the run).
const TRAP_NONE: i32 = 0;
const TRAP_ILLEGAL: i32 = 1;
const TRAP_EXCEPTION: i32 = 2;

/** Take the pending synchronous exception (excCause) for the instruction at epc. */
function exceptionTrap(epc: i64, npc: i64): i64 {
  const cause = excCause;
  clearException();
  if (cause == CAUSE_HALT) {
    exitReason = EXIT_HALT;
    return npc;
  }
  if (cause == CAUSE_END_BLOCK) return npc;
  dropReservation();
  return enterTrap(<i64>cause, excTval, epc);
}

/** mret / sret (priv spec 3.3.2): pop the interrupt-enable stack and return to xEPC. */
function doMret(): i64 {
  const s = mstatus;
  const mpp = <i32>((s >> MSTATUS_MPP_SHIFT) & 3);
  let n = (s & ~(MSTATUS_MIE | MSTATUS_MPP)) | MSTATUS_MPIE | ((s & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
  if (mpp != PRIV_M) n &= ~MSTATUS_MPRV;
  setMstatusRaw(n);
  setPrivilege(mpp);
  return mepc;
}
function doSret(): i64 {
  const s = mstatus;
  const spp = (s & MSTATUS_SPP) ? PRIV_S : PRIV_U;
  const n = (s & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | MSTATUS_SPIE | ((s & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
  setMstatusRaw(n);
  setPrivilege(spp);
  return sepc;
}

/**
 * Execute from `startPc` for at most `budget` instructions or until an event ends the block.
 * Returns the next pc; adds the executed count to `retired`.
 */
export function execute(startPc: i64, budget: i32): i64 {
  let pc = startPc;
  let n: i32 = 0;
  let limit = budget;
  const base = retired;
  let codePage: i64 = startPc + 2; // never matches startPc below, so the first fetch translates
  let codeAdd: i64 = 0;
  // How many instruction starts from here on to look up in the block cache: 1 at a block start
  // (the first instruction, or one after a jump, a branch or an instruction blocks leave out);
  // 2 where translated code ran and returned, so that once the instruction it left at has run
  // here, the next one is looked up too (it left before a load or store that missed the TLB, or
  // another instruction it leaves out, in the middle of a block; without this the rest of the
  // block would be interpreted). Not after a region that left at its first instruction: where
  // several instructions in a row leave every time (MMIO accesses), each next pc would become a
  // region of its own. (A count, not a second flag tested after every instruction: that cost
  // the interpreter 10 %.)
  let lookups: i32 = 1;
  let wholePage: bool = true; // PMP allows all of pc's page (else no translated block may run there)
  publishTlbs();
  while (n < limit) {
    n++;
    let raw: u32;
    // One unsigned compare: pc lies in codePage and is not its last halfword (pc is even; an
    // instruction there may straddle into the next page). Testing `(pc + 2) & ~PAGE_MASK` instead
    // also accepted a jump back to the previous page's last halfword, fetched through
    // codePage's addend. (codePage is reset only where the loop then ends.)
    if (<u64>(pc - codePage) < 0xffe) {
      raw = load<u32>(<u32>(pc + codeAdd));
    } else {
      codeAdd = codeAddend(pc);
      codePage = pc & ~PAGE_MASK;
      // A page PMP allows only in part is not cached: this instruction runs alone (the loop
      // ends after it, so the next fetch is checked again) and is fetched 2 bytes at a time.
      wholePage = codePageCached;
      if (!wholePage) limit = n;
      raw = 0;
      if (excCause < 0) {
        if ((pc & PAGE_MASK) == 0xffe || !wholePage) {
          raw = <u32>load<u16>(<u32>(pc + codeAdd));
          // A 32-bit instruction straddling two pages, or in a divided one:
          if ((raw & 3) == 3) raw |= <u32>fetchHalfSlow(pc + 2) << 16;
        } else {
          raw = load<u32>(<u32>(pc + codeAdd));
        }
      }
      // The one exit of a fetch that faulted: the trap is taken at pc and the loop ends.
      if (excCause >= 0) {
        pc = exceptionTrap(pc, pc);
        codePage = -1;
        limit = n;
        continue;
      }
    }
    if (lookups != 0 && wholePage) {
      lookups--;
      const host = <u32>(pc + codeAdd);
      let b = jitFind(pc, host);
      jitLookups++;
      const state = b != 0 ? entryState(b) : 0;
      {
        if (state == STATE_COMPILED) {
          const rem = limit - n + 1;
          {
            store<i32>(JIT_REM, rem);
            store<i32>(JIT_FS, <i32>((mstatus & MSTATUS_FS) >> 13));
            call_indirect<i32>(entryIndex(b), entryMember(b));
            // Regions may have continued in others (jit.ts chaining); the last one leaves what
            // is left of the budget (0 done when the member did not fit in it).
            const done = rem - load<i32>(JIT_REM);
            jitEntries++;
            jitInsns += <i64>done;
            const npc = load<i64>(JIT_NPC);
            if (done > 0) {
              n += done - 1;
              pc = npc;
              lookups = 2;
              continue;
            }
          }
        } else if (state == STATE_PENDING) {
          pendingHit(); // a hot block waits for its batch: compile the batch soon
        } else if (state != STATE_NEVER && countHot(pc)) {
          // Hot now: it takes a cache entry (one without a translation if the set has one).
          if (b == 0) {
            b = jitVictim(jitSlot(pc));
            releaseBlock(b);
            claimEntry(b, pc, host);
          }
          compileBlock(b, pc, host);
        }
      }
    }
    const d = decodeSlot(pc);
    if (!decodedHit(d, raw)) {
      decodeInto(d, raw);
      decodeMisses++;
    }
    let npc = pc + decodedLength(d);
    let trap = TRAP_NONE;
    switch (decodedOp(d)) {
      case OP_LUI: W(d, IMM(d)); break;
      case OP_AUIPC: W(d, pc + IMM(d)); break;
      case OP_JAL: W(d, npc); npc = pc + IMM(d); lookups = 1; break;
      case OP_JALR: {
        const target = (S1(d) + IMM(d)) & ~1;
        W(d, npc);
        npc = target;
        lookups = 1;
        break;
      }
      case OP_BEQ: if (S1(d) == S2(d)) npc = pc + IMM(d); lookups = 1; break;
      case OP_BNE: if (S1(d) != S2(d)) npc = pc + IMM(d); lookups = 1; break;
      case OP_BLT: if (S1(d) < S2(d)) npc = pc + IMM(d); lookups = 1; break;
      case OP_BGE: if (S1(d) >= S2(d)) npc = pc + IMM(d); lookups = 1; break;
      case OP_BLTU: if (<u64>S1(d) < <u64>S2(d)) npc = pc + IMM(d); lookups = 1; break;
      case OP_BGEU: if (<u64>S1(d) >= <u64>S2(d)) npc = pc + IMM(d); lookups = 1; break;
      case OP_LB: {
        const v = <i64><i8>ld8(S1(d) + IMM(d));
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        W(d, v);
        break;
      }
      case OP_LH: {
        const v = <i64><i16>ld16(S1(d) + IMM(d));
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        W(d, v);
        break;
      }
      case OP_LW: {
        const v = <i64><i32>ld32(S1(d) + IMM(d));
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        W(d, v);
        break;
      }
      case OP_LD: {
        const v = ld64(S1(d) + IMM(d));
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        W(d, v);
        break;
      }
      case OP_LBU: {
        const v = ld8(S1(d) + IMM(d));
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        W(d, v);
        break;
      }
      case OP_LHU: {
        const v = ld16(S1(d) + IMM(d));
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        W(d, v);
        break;
      }
      case OP_LWU: {
        const v = ld32(S1(d) + IMM(d));
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        W(d, v);
        break;
      }
      case OP_SB:
        st8(S1(d) + IMM(d), S2(d));
        if (excCause >= 0) trap = TRAP_EXCEPTION;
        break;
      case OP_SH:
        st16(S1(d) + IMM(d), S2(d));
        if (excCause >= 0) trap = TRAP_EXCEPTION;
        break;
      case OP_SW:
        st32(S1(d) + IMM(d), S2(d));
        if (excCause >= 0) trap = TRAP_EXCEPTION;
        break;
      case OP_SD:
        st64(S1(d) + IMM(d), S2(d));
        if (excCause >= 0) trap = TRAP_EXCEPTION;
        break;
      case OP_ADDI: W(d, S1(d) + IMM(d)); break;
      case OP_SLLI: W(d, S1(d) << IMM(d)); break;
      case OP_SLTI: W(d, S1(d) < IMM(d) ? 1 : 0); break;
      case OP_SLTIU: W(d, <u64>S1(d) < <u64>IMM(d) ? 1 : 0); break;
      case OP_XORI: W(d, S1(d) ^ IMM(d)); break;
      case OP_SRLI: W(d, <i64>(<u64>S1(d) >> <u64>IMM(d))); break;
      case OP_SRAI: W(d, S1(d) >> IMM(d)); break;
      case OP_ORI: W(d, S1(d) | IMM(d)); break;
      case OP_ANDI: W(d, S1(d) & IMM(d)); break;
      case OP_ADDIW: W(d, <i64>(<i32>S1(d) + decodedImm(d))); break;
      case OP_SLLIW: W(d, <i64>(<i32>S1(d) << decodedImm(d))); break;
      case OP_SRLIW: W(d, <i64><i32>(<u32>S1(d) >> <u32>decodedImm(d))); break;
      case OP_SRAIW: W(d, <i64>(<i32>S1(d) >> decodedImm(d))); break;
      case OP_ADD: W(d, S1(d) + S2(d)); break;
      case OP_SUB: W(d, S1(d) - S2(d)); break;
      case OP_SLL: W(d, S1(d) << (S2(d) & 63)); break;
      case OP_SLT: W(d, S1(d) < S2(d) ? 1 : 0); break;
      case OP_SLTU: W(d, <u64>S1(d) < <u64>S2(d) ? 1 : 0); break;
      case OP_XOR: W(d, S1(d) ^ S2(d)); break;
      case OP_SRL: W(d, <i64>(<u64>S1(d) >> <u64>(S2(d) & 63))); break;
      case OP_SRA: W(d, S1(d) >> (S2(d) & 63)); break;
      case OP_OR: W(d, S1(d) | S2(d)); break;
      case OP_AND: W(d, S1(d) & S2(d)); break;
      case OP_MUL: W(d, S1(d) * S2(d)); break;
      case OP_MULH: W(d, mulh(S1(d), S2(d))); lookups = 1; break;
      case OP_MULHSU: W(d, mulhsu(S1(d), S2(d))); lookups = 1; break;
      case OP_MULHU: W(d, <i64>mulhu(<u64>S1(d), <u64>S2(d))); lookups = 1; break;
      case OP_DIV: W(d, div64(S1(d), S2(d))); lookups = 1; break;
      case OP_DIVU: W(d, divu64(S1(d), S2(d))); lookups = 1; break;
      case OP_REM: W(d, rem64(S1(d), S2(d))); lookups = 1; break;
      case OP_REMU: W(d, remu64(S1(d), S2(d))); lookups = 1; break;
      case OP_ADDW: W(d, <i64>(<i32>S1(d) + <i32>S2(d))); break;
      case OP_SUBW: W(d, <i64>(<i32>S1(d) - <i32>S2(d))); break;
      case OP_SLLW: W(d, <i64>(<i32>S1(d) << (<i32>S2(d) & 31))); break;
      case OP_SRLW: W(d, <i64><i32>(<u32>S1(d) >> (<u32>S2(d) & 31))); break;
      case OP_SRAW: W(d, <i64>(<i32>S1(d) >> (<i32>S2(d) & 31))); break;
      case OP_MULW: W(d, <i64>(<i32>S1(d) * <i32>S2(d))); break;
      case OP_DIVW: W(d, <i64>div32(<i32>S1(d), <i32>S2(d))); lookups = 1; break;
      case OP_DIVUW: W(d, <i64>divu32(<i32>S1(d), <i32>S2(d))); lookups = 1; break;
      case OP_REMW: W(d, <i64>rem32(<i32>S1(d), <i32>S2(d))); lookups = 1; break;
      case OP_REMUW: W(d, <i64>remu32(<i32>S1(d), <i32>S2(d))); lookups = 1; break;
      case OP_FENCE: break;
      case OP_SYSTEM: {
        npc = system(decodedInsn(d), pc, npc);
        if (npc == -1) trap = TRAP_ILLEGAL;
        limit = n;
        break;
      }
      case OP_CSR: {
        lookups = 1; // the interpreter ran an instruction blocks leave out: a block may start next
        const insn = decodedInsn(d);
        const csr = <i32>(insn >> 20);
        const src: i64 = (F3(insn) & 4) ? <i64>RS1(insn) : getX(RS1(insn));
        addRetired(base + <i64>n - 1 - retired);
        const op = F3(insn) & 3;
        let old: i64 = 0;
        if (op != 1 || RD(insn) != 0) {
          old = csrReadChecked(csr);
          if (csrFault) { trap = TRAP_ILLEGAL; break; }
        }
        if (op == 1 || RS1(insn) != 0) {
          csrWriteChecked(csr, op == 1 ? src : op == 2 ? old | src : old & ~src);
          if (csrFault) { trap = TRAP_ILLEGAL; break; }
          if (csr == CSR_SSTATUS && (mstatus & ~old & MSTATUS_SIE) == 0) {
            // No interrupt newly enabled: go on. Linux sets and clears SUM around every
            // copy to or from user memory (sstatus was 57-76 % of the exits from translated
            // code in file and pipe work); SUM and MXR select or flush TLBs, so publish them.
            publishTlbs();
          } else if (csrWriteEndsBlock(csr)) {
            limit = n;
          }
        }
        writeX(RD(insn), old);
        break;
      }
      case OP_AMO: {
        lookups = 1;
        const insn = decodedInsn(d);
        const f5 = insn >> 27;
        if (F3(insn) != 2 && F3(insn) != 3) { trap = TRAP_ILLEGAL; break; }
        const size = F3(insn) == 2 ? 4 : 8;
        const va = getX(RS1(insn));
        if (f5 == 2) { // lr
          if (RS2(insn) != 0) { trap = TRAP_ILLEGAL; break; }
          const host = atomicAddress(va, size, ACCESS_READ);
          if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
          writeX(RD(insn), size == 4 ? <i64>load<i32>(host) : load<i64>(host));
          store<i64>(JIT_RESERVATION, <i64>host);
        } else if (f5 == 3) { // sc
          const host = atomicAddress(va, size, ACCESS_WRITE);
          if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
          if (load<i64>(JIT_RESERVATION) == <i64>host) {
            if (size == 4) store<i32>(host, <i32>getX(RS2(insn)));
            else store<i64>(host, getX(RS2(insn)));
            writeX(RD(insn), 0);
          } else {
            writeX(RD(insn), 1);
          }
          dropReservation();
        } else {
          if (!validAmo(f5)) { trap = TRAP_ILLEGAL; break; }
          const host = atomicAddress(va, size, ACCESS_WRITE);
          if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
          if (size == 4) {
            const old = load<i32>(host);
            store<i32>(host, amo32(f5, old, <i32>getX(RS2(insn))));
            writeX(RD(insn), <i64>old);
          } else {
            const old = load<i64>(host);
            store<i64>(host, amo64(f5, old, getX(RS2(insn))));
            writeX(RD(insn), old);
          }
        }
        break;
      }
      case OP_FLW: case OP_FLD: {
        lookups = 1;
        if ((mstatus & MSTATUS_FS) == 0) { trap = TRAP_ILLEGAL; break; }
        const va = S1(d) + IMM(d);
        const v = decodedOp(d) == OP_FLW ? BOX | ld32(va) : ld64(va);
        if (excCause >= 0) { trap = TRAP_EXCEPTION; break; }
        store<i64>(decodedRd(d), v, F_BASE);
        markFpDirty();
        break;
      }
      case OP_FSW: case OP_FSD: {
        lookups = 1;
        if ((mstatus & MSTATUS_FS) == 0) { trap = TRAP_ILLEGAL; break; }
        const va = S1(d) + IMM(d);
        const v = load<i64>(decodedRs2(d), F_BASE);
        if (decodedOp(d) == OP_FSW) st32(va, v);
        else st64(va, v);
        if (excCause >= 0) trap = TRAP_EXCEPTION;
        break;
      }
      case OP_FMA:
        lookups = 1;
        if ((mstatus & MSTATUS_FS) == 0 || !executeFma(decodedInsn(d))) trap = TRAP_ILLEGAL;
        break;
      case OP_OPFP:
        lookups = 1;
        if ((mstatus & MSTATUS_FS) == 0 || !executeOpFp(decodedInsn(d))) trap = TRAP_ILLEGAL;
        break;
      default:
        trap = TRAP_ILLEGAL;
    }
    store<i64>(X_BASE, 0); // x0: writes to it above are unconditional and undone here
    if (trap != TRAP_NONE) {
      // The one exit of an instruction that did not complete. An illegal one's xtval holds its
      // bits as fetched (16 bits for a compressed one).
      if (trap == TRAP_ILLEGAL) raise(CAUSE_ILLEGAL, <i64>decodedKey(d));
      npc = exceptionTrap(pc, npc);
      limit = n;
    }
    pc = npc;
  }
  addRetired(base + <i64>n - retired);
  return pc;
}

/**
 * ecall, ebreak, mret, sret, wfi, sfence.vma (SYSTEM with funct3 0). Returns the next pc, or -1
 * for an illegal instruction. Always ends the block (the caller sets limit).
 */
function system(insn: u32, pc: i64, npc: i64): i64 {
  const f7 = insn >> 25;
  if (f7 == 0x09 && ((insn >> 7) & 31) == 0) { // sfence.vma
    if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TVM))) return -1;
    const rs1 = (insn >> 15) & 31;
    const rs2 = (insn >> 20) & 31;
    fenceVma(rs1 == 0, getX(rs1), rs2 == 0, getX(rs2));
    return npc;
  }
  switch (insn) {
    case 0x00000073: { // ecall
      if (priv == PRIV_S && sbiInMonitor) {
        exitReason = EXIT_SBI;
        return npc;
      }
      dropReservation();
      return enterTrap(<i64>(8 + priv), 0, pc);
    }
    case 0x00100073: // ebreak
      dropReservation();
      return enterTrap(<i64>CAUSE_BREAKPOINT, pc, pc);
    case 0x30200073: // mret
      if (priv != PRIV_M) return -1;
      dropReservation();
      return doMret();
    case 0x10200073: // sret
      if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TSR))) return -1;
      dropReservation();
      return doSret();
    case 0x10500073: // wfi (priv 3.3.3): illegal in U, and in S when mstatus.TW is set
      if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TW))) return -1;
      if ((mip & mie) == 0) exitReason = EXIT_WFI;
      return npc;
  }
  return -1;
}
