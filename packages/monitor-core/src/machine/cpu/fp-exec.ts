// F and D arithmetic instructions (unpriv spec ch. 11-12): decode, NaN-boxing, rounding-mode
// resolution and fflags accumulation. The IEEE arithmetic itself is in fpu.ts.
import {
  fpuFlags, f32_add, f32_sub, f32_mul, f32_div, f32_sqrt, f32_fma, f32_min, f32_max, f32_eq, f32_lt,
  f32_le, f32_classify, f32_to_i32, f32_to_u32, f32_to_i64, f32_to_u64, i32_to_f32, u32_to_f32,
  i64_to_f32, u64_to_f32, f64_add, f64_sub, f64_mul, f64_div, f64_sqrt, f64_fma, f64_min, f64_max,
  f64_eq, f64_lt, f64_le, f64_classify, f64_to_i32, f64_to_u32, f64_to_i64, f64_to_u64, i32_to_f64,
  u32_to_f64, i64_to_f64, u64_to_f64, f32_to_f64, f64_to_f32,
} from './fpu';
import { fflags, frm, markFpDirty, setFflags } from './csr';
import { getF, getX, setF, setX } from './layout';

const BOX: i64 = <i64>0xffffffff00000000;
const CANONICAL_NAN_S: u32 = 0x7fc00000;
const SIGN_S: u32 = 0x80000000;
const SIGN_D: u64 = 0x8000000000000000;

/** A single from an f register: anything not NaN-boxed reads as the canonical NaN (11.2). */
@inline function readS(r: u32): u32 {
  const v = getF(r);
  return (v & BOX) == BOX ? <u32>v : CANONICAL_NAN_S;
}
@inline function writeS(r: u32, v: u32): void {
  setF(r, BOX | <i64>v);
}
@inline function readD(r: u32): u64 {
  return <u64>getF(r);
}

function takeFlags(): void {
  if (fpuFlags != 0) {
    setFflags(fflags() | fpuFlags);
    fpuFlags = 0;
    markFpDirty();
  }
}

/** The rounding mode of insn, or -1 when it is reserved (illegal instruction). */
@inline function roundingMode(insn: u32): i32 {
  let rm = <i32>((insn >> 12) & 7);
  if (rm == 7) rm = frm();
  return rm > 4 ? -1 : rm;
}

/** FMADD/FMSUB/FNMSUB/FNMADD (opcodes 0x43/47/4b/4f). False = illegal instruction. */
export function executeFma(insn: u32): bool {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const rs3 = insn >> 27;
  const fmt = (insn >> 25) & 3;
  const rm = roundingMode(insn);
  if (rm < 0 || fmt > 1) return false;
  const op = (insn >> 2) & 3; // 0 fmadd, 1 fmsub, 2 fnmsub, 3 fnmadd
  // fmsub = a*b-c; fnmsub = -(a*b)+c; fnmadd = -(a*b)-c: flip signs of the inputs, which is exact.
  const negProduct = op >= 2;
  const negAddend = op == 1 || op == 3;
  if (fmt == 0) {
    let a = readS(rs1);
    let c = readS(rs3);
    if (negProduct) a ^= SIGN_S;
    if (negAddend) c ^= SIGN_S;
    writeS(rd, f32_fma(a, readS(rs2), c, rm));
  } else {
    let a = readD(rs1);
    let c = readD(rs3);
    if (negProduct) a ^= SIGN_D;
    if (negAddend) c ^= SIGN_D;
    setF(rd, f64_fma(a, readD(rs2), c, rm));
  }
  takeFlags();
  markFpDirty();
  return true;
}

function sgnjS(a: u32, b: u32, f3: u32): u32 {
  if (f3 == 0) return (a & ~SIGN_S) | (b & SIGN_S);
  if (f3 == 1) return (a & ~SIGN_S) | (~b & SIGN_S);
  return a ^ (b & SIGN_S);
}
function sgnjD(a: u64, b: u64, f3: u32): u64 {
  if (f3 == 0) return (a & ~SIGN_D) | (b & SIGN_D);
  if (f3 == 1) return (a & ~SIGN_D) | (~b & SIGN_D);
  return a ^ (b & SIGN_D);
}

/** OP-FP (opcode 0x53). False = illegal instruction. */
export function executeOpFp(insn: u32): bool {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const f7 = insn >> 25;
  const dbl = (f7 & 1) != 0;
  if (f7 & 2) return false; // fmt H and Q are not implemented
  switch (f7 >> 2) {
    case 0: case 1: case 2: case 3: { // fadd fsub fmul fdiv
      const rm = roundingMode(insn);
      if (rm < 0) return false;
      const k = f7 >> 2;
      if (!dbl) {
        const a = readS(rs1);
        const b = readS(rs2);
        writeS(rd, k == 0 ? f32_add(a, b, rm) : k == 1 ? f32_sub(a, b, rm) : k == 2 ? f32_mul(a, b, rm) : f32_div(a, b, rm));
      } else {
        const a = readD(rs1);
        const b = readD(rs2);
        setF(rd, k == 0 ? f64_add(a, b, rm) : k == 1 ? f64_sub(a, b, rm) : k == 2 ? f64_mul(a, b, rm) : f64_div(a, b, rm));
      }
      break;
    }
    case 11: { // fsqrt
      const rm = roundingMode(insn);
      if (rm < 0 || rs2 != 0) return false;
      if (!dbl) writeS(rd, f32_sqrt(readS(rs1), rm));
      else setF(rd, f64_sqrt(readD(rs1), rm));
      break;
    }
    case 4: { // fsgnj, fsgnjn, fsgnjx
      if (f3 > 2) return false;
      if (!dbl) writeS(rd, sgnjS(readS(rs1), readS(rs2), f3));
      else setF(rd, sgnjD(readD(rs1), readD(rs2), f3));
      break;
    }
    case 5: { // fmin, fmax
      if (f3 > 1) return false;
      if (!dbl) writeS(rd, f3 == 0 ? f32_min(readS(rs1), readS(rs2)) : f32_max(readS(rs1), readS(rs2)));
      else setF(rd, f3 == 0 ? f64_min(readD(rs1), readD(rs2)) : f64_max(readD(rs1), readD(rs2)));
      break;
    }
    case 8: { // fcvt.s.d (f7 0x20, rs2 1) / fcvt.d.s (f7 0x21, rs2 0)
      const rm = roundingMode(insn);
      if (rm < 0) return false;
      if (!dbl && rs2 == 1) writeS(rd, f64_to_f32(readD(rs1), rm));
      else if (dbl && rs2 == 0) setF(rd, f32_to_f64(readS(rs1)));
      else return false;
      break;
    }
    case 20: { // fle, flt, feq -> integer register
      let r: i32 = 0;
      if (!dbl) {
        const a = readS(rs1);
        const b = readS(rs2);
        if (f3 == 0) r = f32_le(a, b); else if (f3 == 1) r = f32_lt(a, b); else if (f3 == 2) r = f32_eq(a, b); else return false;
      } else {
        const a = readD(rs1);
        const b = readD(rs2);
        if (f3 == 0) r = f64_le(a, b); else if (f3 == 1) r = f64_lt(a, b); else if (f3 == 2) r = f64_eq(a, b); else return false;
      }
      setX(rd, r);
      takeFlags();
      return true;
    }
    case 24: { // fcvt.{w,wu,l,lu}.{s,d}
      const rm = roundingMode(insn);
      if (rm < 0 || rs2 > 3) return false;
      let r: i64;
      if (!dbl) {
        const a = readS(rs1);
        r = rs2 == 0 ? <i64>f32_to_i32(a, rm) : rs2 == 1 ? <i64>f32_to_u32(a, rm) : rs2 == 2 ? f32_to_i64(a, rm) : f32_to_u64(a, rm);
      } else {
        const a = readD(rs1);
        r = rs2 == 0 ? <i64>f64_to_i32(a, rm) : rs2 == 1 ? <i64>f64_to_u32(a, rm) : rs2 == 2 ? f64_to_i64(a, rm) : f64_to_u64(a, rm);
      }
      setX(rd, r);
      takeFlags();
      return true;
    }
    case 26: { // fcvt.{s,d}.{w,wu,l,lu}
      const rm = roundingMode(insn);
      if (rm < 0 || rs2 > 3) return false;
      const x = getX(rs1);
      if (!dbl) {
        writeS(rd, rs2 == 0 ? i32_to_f32(<i32>x, rm) : rs2 == 1 ? u32_to_f32(<u32>x, rm) : rs2 == 2 ? i64_to_f32(x, rm) : u64_to_f32(<u64>x, rm));
      } else {
        setF(rd, rs2 == 0 ? i32_to_f64(<i32>x, rm) : rs2 == 1 ? u32_to_f64(<u32>x, rm) : rs2 == 2 ? i64_to_f64(x, rm) : u64_to_f64(<u64>x, rm));
      }
      break;
    }
    case 28: { // fmv.x.w / fmv.x.d (f3 0), fclass (f3 1)
      if (rs2 != 0) return false;
      if (f3 == 0) {
        setX(rd, dbl ? getF(rs1) : <i64><i32>getF(rs1)); // fmv.x.w takes the raw low bits, sign-extended
      } else if (f3 == 1) {
        setX(rd, <i64>(dbl ? f64_classify(readD(rs1)) : f32_classify(readS(rs1))));
      } else {
        return false;
      }
      return true;
    }
    case 30: { // fmv.w.x / fmv.d.x
      if (rs2 != 0 || f3 != 0) return false;
      if (!dbl) writeS(rd, <u32>getX(rs1));
      else setF(rd, getX(rs1));
      break;
    }
    default:
      return false;
  }
  takeFlags();
  markFpDirty();
  return true;
}
