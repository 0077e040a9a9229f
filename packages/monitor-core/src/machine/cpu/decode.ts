// Decoded-instruction cache, indexed by pc but tagged with the instruction bits themselves:
// decoding is a pure function of the bits, so a hit is always right and the cache never needs
// invalidating (self-modifying code, page reuse, new mappings). The interpreter dispatches once
// per instruction on a fine-grained operation instead of on the major opcode and then
// funct3/funct7, and compressed instructions are expanded (rvc.ts table) only when decoded.
//
// An entry (16 bytes) is read and written only through the accessors below (D_*: its fields).
import { DECODE_BASE, DECODE_ENTRIES, RVC_TABLE } from './layout';

export const OP_ILLEGAL: u8 = 0;
export const OP_LUI: u8 = 1;
export const OP_AUIPC: u8 = 2;
export const OP_JAL: u8 = 3;
export const OP_JALR: u8 = 4;
export const OP_BEQ: u8 = 5;
export const OP_BNE: u8 = 6;
export const OP_BLT: u8 = 7;
export const OP_BGE: u8 = 8;
export const OP_BLTU: u8 = 9;
export const OP_BGEU: u8 = 10;
export const OP_LB: u8 = 11;
export const OP_LH: u8 = 12;
export const OP_LW: u8 = 13;
export const OP_LD: u8 = 14;
export const OP_LBU: u8 = 15;
export const OP_LHU: u8 = 16;
export const OP_LWU: u8 = 17;
export const OP_SB: u8 = 18;
export const OP_SH: u8 = 19;
export const OP_SW: u8 = 20;
export const OP_SD: u8 = 21;
export const OP_ADDI: u8 = 22;
export const OP_SLLI: u8 = 23;
export const OP_SLTI: u8 = 24;
export const OP_SLTIU: u8 = 25;
export const OP_XORI: u8 = 26;
export const OP_SRLI: u8 = 27;
export const OP_SRAI: u8 = 28;
export const OP_ORI: u8 = 29;
export const OP_ANDI: u8 = 30;
export const OP_ADDIW: u8 = 31;
export const OP_SLLIW: u8 = 32;
export const OP_SRLIW: u8 = 33;
export const OP_SRAIW: u8 = 34;
export const OP_ADD: u8 = 35;
export const OP_SUB: u8 = 36;
export const OP_SLL: u8 = 37;
export const OP_SLT: u8 = 38;
export const OP_SLTU: u8 = 39;
export const OP_XOR: u8 = 40;
export const OP_SRL: u8 = 41;
export const OP_SRA: u8 = 42;
export const OP_OR: u8 = 43;
export const OP_AND: u8 = 44;
export const OP_MUL: u8 = 45;
export const OP_MULH: u8 = 46;
export const OP_MULHSU: u8 = 47;
export const OP_MULHU: u8 = 48;
export const OP_DIV: u8 = 49;
export const OP_DIVU: u8 = 50;
export const OP_REM: u8 = 51;
export const OP_REMU: u8 = 52;
export const OP_ADDW: u8 = 53;
export const OP_SUBW: u8 = 54;
export const OP_SLLW: u8 = 55;
export const OP_SRLW: u8 = 56;
export const OP_SRAW: u8 = 57;
export const OP_MULW: u8 = 58;
export const OP_DIVW: u8 = 59;
export const OP_DIVUW: u8 = 60;
export const OP_REMW: u8 = 61;
export const OP_REMUW: u8 = 62;
export const OP_FENCE: u8 = 63;
export const OP_SYSTEM: u8 = 64;
export const OP_CSR: u8 = 65;
export const OP_AMO: u8 = 66;
export const OP_FLW: u8 = 67;
export const OP_FLD: u8 = 68;
export const OP_FSW: u8 = 69;
export const OP_FSD: u8 = 70;
export const OP_FMA: u8 = 71;
export const OP_OPFP: u8 = 72;

// An entry: key u32 (the instruction bits, 16 for a compressed one), imm i32 (for the ops that
// re-read fields: the expanded 32-bit instruction), op u8, rd/rs1/rs2 as byte offsets into x[]
// or f[] (u8), mask u32 (0xffff or 0xffffffff: which fetched bits the key covers).
const D_KEY: u32 = 0;
const D_IMM: u32 = 4;
const D_OP: u32 = 8;
const D_RD: u32 = 9;
const D_RS1: u32 = 10;
const D_RS2: u32 = 11;
const D_MASK: u32 = 12;

/** The instruction bits the entry was decoded from (16 bits for a compressed one). */
@inline export function decodedKey(d: u32): u32 { return load<u32>(d, D_KEY); }
/** The immediate, sign-extended from the instruction. */
@inline export function decodedImm(d: u32): i32 { return load<i32>(d, D_IMM); }
/** The same field for the ops that decode further themselves (SYSTEM, CSR, AMO, FP
 *  arithmetic): the expanded 32-bit instruction. */
@inline export function decodedInsn(d: u32): u32 { return load<u32>(d, D_IMM); }
@inline export function decodedOp(d: u32): u8 { return load<u8>(d, D_OP); }
/** Register fields as byte offsets from X_BASE (or F_BASE): register number × 8. */
@inline export function decodedRd(d: u32): u32 { return <u32>load<u8>(d, D_RD); }
@inline export function decodedRs1(d: u32): u32 { return <u32>load<u8>(d, D_RS1); }
@inline export function decodedRs2(d: u32): u32 { return <u32>load<u8>(d, D_RS2); }
/** The entry holds the instruction whose fetched bits are `raw`. */
@inline export function decodedHit(d: u32, raw: u32): bool {
  return (raw & load<u32>(d, D_MASK)) == load<u32>(d, D_KEY);
}
/** The instruction's length in bytes: 4, or 2 for a compressed one (mask 0xffff). */
@inline export function decodedLength(d: u32): i64 {
  return 2 + <i64>((load<u32>(d, D_MASK) >> 30) & 2);
}

/** The cache slot for the instruction at `pc` (direct-mapped on the halfword address). */
@inline export function decodeSlot(pc: i64): u32 {
  return DECODE_BASE + ((<u32>pc << 3) & ((DECODE_ENTRIES - 1) << 4));
}

/**
 * Mark every slot empty: key and mask 0xffffffff match only the fetched bits 0xffffffff (a
 * reserved >32-bit encoding), which op 0 (OP_ILLEGAL) treats correctly anyway.
 */
export function clearDecodeCache(): void {
  for (let i: u32 = 0; i < DECODE_ENTRIES; i++) {
    const d = DECODE_BASE + (i << 4);
    store<u32>(d, 0xffffffff, D_KEY);
    store<i32>(d, 0, D_IMM);
    store<u32>(d, 0, D_OP); // op, rd, rs1, rs2
    store<u32>(d, 0xffffffff, D_MASK);
  }
}

@inline function put(d: u32, key: u32, op: u8, rd: u32, rs1: u32, rs2: u32, imm: i32): void {
  store<u32>(d, key, D_KEY);
  store<i32>(d, imm, D_IMM);
  store<u8>(d, op, D_OP);
  store<u8>(d, <u8>(rd << 3), D_RD);
  store<u8>(d, <u8>(rs1 << 3), D_RS1);
  store<u8>(d, <u8>(rs2 << 3), D_RS2);
  store<u32>(d, (key & 3) == 3 ? 0xffffffff : 0xffff, D_MASK);
}

/** Decode the fetched bits `raw` (the upper half is ignored for a compressed one) into slot `d`. */
export function decodeInto(d: u32, raw: u32): void {
  const key = (raw & 3) != 3 ? raw & 0xffff : raw;
  const insn = (key & 3) != 3 ? load<u32>(RVC_TABLE + (key << 2)) : key;
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const f7 = insn >> 25;
  const immI = <i32>insn >> 20;
  let op: u8 = OP_ILLEGAL;
  let imm: i32 = 0;
  if ((insn & 3) != 3) {
    put(d, key, OP_ILLEGAL, 0, 0, 0, 0);
    return;
  }
  switch ((insn >> 2) & 31) { // the major opcode (unpriv spec table 24.1)
    case 13: op = OP_LUI; imm = <i32>(insn & 0xfffff000); break;
    case 5: op = OP_AUIPC; imm = <i32>(insn & 0xfffff000); break;
    case 27:
      op = OP_JAL;
      imm = ((<i32>insn >> 31) << 20) | <i32>(insn & 0xff000) | <i32>(((insn >> 20) & 1) << 11) |
        <i32>(((insn >> 21) & 0x3ff) << 1);
      break;
    case 25:
      if (f3 == 0) { op = OP_JALR; imm = immI; }
      break;
    case 24:
      imm = ((<i32>insn >> 31) << 12) | <i32>(((insn >> 7) & 1) << 11) | <i32>(((insn >> 25) & 0x3f) << 5) |
        <i32>(((insn >> 8) & 15) << 1);
      switch (f3) {
        case 0: op = OP_BEQ; break;
        case 1: op = OP_BNE; break;
        case 4: op = OP_BLT; break;
        case 5: op = OP_BGE; break;
        case 6: op = OP_BLTU; break;
        case 7: op = OP_BGEU; break;
      }
      break;
    case 0:
      imm = immI;
      switch (f3) {
        case 0: op = OP_LB; break;
        case 1: op = OP_LH; break;
        case 2: op = OP_LW; break;
        case 3: op = OP_LD; break;
        case 4: op = OP_LBU; break;
        case 5: op = OP_LHU; break;
        case 6: op = OP_LWU; break;
      }
      break;
    case 8:
      imm = ((<i32>insn >> 25) << 5) | <i32>((insn >> 7) & 31);
      switch (f3) {
        case 0: op = OP_SB; break;
        case 1: op = OP_SH; break;
        case 2: op = OP_SW; break;
        case 3: op = OP_SD; break;
      }
      break;
    case 4:
      imm = immI;
      switch (f3) {
        case 0: op = OP_ADDI; break;
        case 1: if ((insn >> 26) == 0) { op = OP_SLLI; imm = immI & 63; } break;
        case 2: op = OP_SLTI; break;
        case 3: op = OP_SLTIU; break;
        case 4: op = OP_XORI; break;
        case 5:
          if ((insn >> 26) == 0) { op = OP_SRLI; imm = immI & 63; }
          else if ((insn >> 26) == 0x10) { op = OP_SRAI; imm = immI & 63; }
          break;
        case 6: op = OP_ORI; break;
        default: op = OP_ANDI;
      }
      break;
    case 6:
      if (f3 == 0) { op = OP_ADDIW; imm = immI; }
      else if (f3 == 1 && f7 == 0) { op = OP_SLLIW; imm = <i32>rs2; }
      else if (f3 == 5 && f7 == 0) { op = OP_SRLIW; imm = <i32>rs2; }
      else if (f3 == 5 && f7 == 0x20) { op = OP_SRAIW; imm = <i32>rs2; }
      break;
    case 12:
      if (f7 == 0) {
        switch (f3) {
          case 0: op = OP_ADD; break;
          case 1: op = OP_SLL; break;
          case 2: op = OP_SLT; break;
          case 3: op = OP_SLTU; break;
          case 4: op = OP_XOR; break;
          case 5: op = OP_SRL; break;
          case 6: op = OP_OR; break;
          default: op = OP_AND;
        }
      } else if (f7 == 1) {
        op = OP_MUL + <u8>f3; // MUL MULH MULHSU MULHU DIV DIVU REM REMU are consecutive
      } else if (f7 == 0x20 && f3 == 0) {
        op = OP_SUB;
      } else if (f7 == 0x20 && f3 == 5) {
        op = OP_SRA;
      }
      break;
    case 14:
      if (f7 == 0) {
        if (f3 == 0) op = OP_ADDW;
        else if (f3 == 1) op = OP_SLLW;
        else if (f3 == 5) op = OP_SRLW;
      } else if (f7 == 0x20) {
        if (f3 == 0) op = OP_SUBW;
        else if (f3 == 5) op = OP_SRAW;
      } else if (f7 == 1) {
        if (f3 == 0) op = OP_MULW;
        else if (f3 == 4) op = OP_DIVW;
        else if (f3 == 5) op = OP_DIVUW;
        else if (f3 == 6) op = OP_REMW;
        else if (f3 == 7) op = OP_REMUW;
      }
      break;
    case 3: // fence, fence.i: nothing caches code by address, so both are no-ops
      if (f3 <= 1) op = OP_FENCE;
      break;
    case 28:
      imm = <i32>insn;
      if (f3 == 0) op = OP_SYSTEM;
      else if (f3 != 4) op = OP_CSR;
      break;
    case 11: op = OP_AMO; imm = <i32>insn; break;
    case 1:
      imm = immI;
      if (f3 == 2) op = OP_FLW;
      else if (f3 == 3) op = OP_FLD;
      break;
    case 9:
      imm = ((<i32>insn >> 25) << 5) | <i32>((insn >> 7) & 31);
      if (f3 == 2) op = OP_FSW;
      else if (f3 == 3) op = OP_FSD;
      break;
    case 16: case 17: case 18: case 19: op = OP_FMA; imm = <i32>insn; break;
    case 20: op = OP_OPFP; imm = <i32>insn; break;
  }
  put(d, key, op, rd, rs1, rs2, imm);
}
