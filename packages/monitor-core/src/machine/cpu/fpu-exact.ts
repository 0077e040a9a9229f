// Exactly rounded arithmetic on unpacked integer significands, for any rounding mode. fpu.ts
// handles NaN, infinity and the special zero cases before calling in; these functions see
// finite operands only (zeros only where stated).
import {
  RDN, RNE, RUP, RMM, NV, NX, fpuFlags,
  uSign, uSig, uExp, unpack, roundPack, shiftRightJam, bitLength, signOf, isZero, isNaN, isInf,
  packZero, hi128, lo128, mul64, shl128, shrJam128, clz128, collapse128,
} from './fpu-soft';

// IEEE 754-2008 §6.3: an exact zero sum of operands with opposite signs is +0, or -0 when
// rounding toward negative; x + x keeps the sign of x.
export function zeroSum(sa: u64, sb: u64, rm: i32, fmt: i32): u64 {
  return packZero(rm == RDN ? (sa | sb) : (sa & sb), fmt);
}

// a + b, both finite (zeros allowed).
export function softAdd(a: u64, b: u64, rm: i32, fmt: i32): u64 {
  const za = isZero(a, fmt), zb = isZero(b, fmt);
  if (za || zb) {
    if (za && zb) return zeroSum(signOf(a, fmt), signOf(b, fmt), rm, fmt);
    return za ? b : a;
  }
  unpack(a, fmt);
  let sA = uSign, sigA = uSig, eA = uExp;
  unpack(b, fmt);
  let sB = uSign, sigB = uSig, eB = uExp;
  // Leading bits to 61 leave room for the carry of an addition.
  let n = <i32>clz<u64>(sigA) - 2;
  sigA <<= <u64>n; eA -= n;
  n = <i32>clz<u64>(sigB) - 2;
  sigB <<= <u64>n; eB -= n;
  if (eA < eB || (eA == eB && sigA < sigB)) {
    const ts = sA; sA = sB; sB = ts;
    const tg = sigA; sigA = sigB; sigB = tg;
    const te = eA; eA = eB; eB = te;
  }
  sigB = shiftRightJam(sigB, eA - eB);
  let sig: u64;
  if (sA == sB) {
    sig = sigA + sigB;
  } else {
    sig = sigA - sigB;
    if (sig == 0) return zeroSum(sA, sB, rm, fmt);
  }
  return roundPack(sA, eA, sig, rm, fmt);
}

// a * b, both finite and nonzero.
export function softMul(a: u64, b: u64, rm: i32, fmt: i32): u64 {
  unpack(a, fmt);
  const sA = uSign, sigA = uSig, eA = uExp;
  unpack(b, fmt);
  mul64(sigA, uSig);
  const sig = collapse128(hi128, lo128, eA + uExp);
  return roundPack(sA ^ uSign, uExp, sig, rm, fmt);
}

// a / b, both finite and nonzero. Long division in chunks as wide as a u64 allows; the
// remainder becomes the sticky bit.
export function softDiv(a: u64, b: u64, rm: i32, fmt: i32): u64 {
  unpack(a, fmt);
  const sA = uSign;
  let sigA = uSig, e = uExp;
  const lead = <i32>clz<u64>(sigA) - 1;
  sigA <<= <u64>lead; e -= lead;
  unpack(b, fmt);
  const sigB = uSig;
  e -= uExp;
  const lb = bitLength(sigB);
  let q = sigA / sigB;
  let rem = sigA % sigB;
  while (bitLength(q) < 58) {
    let s = 63 - lb;
    const room = 63 - bitLength(q);
    if (room < s) s = room;
    const r2 = rem << <u64>s;
    q = (q << <u64>s) | (r2 / sigB);
    rem = r2 % sigB;
    e -= s;
  }
  return roundPack(sA ^ uSign, e, q | (rem != 0 ? 1 : 0), rm, fmt);
}

// a * b + c with one rounding; a and b finite nonzero, c finite (zero allowed).
export function softFma(a: u64, b: u64, c: u64, rm: i32, fmt: i32): u64 {
  unpack(a, fmt);
  const sA = uSign, sigA = uSig, eA = uExp;
  unpack(b, fmt);
  const sP = sA ^ uSign;
  let eP = eA + uExp;
  mul64(sigA, uSig);
  let pHi = hi128, pLo = lo128;
  if (isZero(c, fmt)) {
    const sig = collapse128(pHi, pLo, eP);
    return roundPack(sP, uExp, sig, rm, fmt);
  }
  // Both terms as 128-bit significands with the leading bit at 125 (room for a carry).
  let n = clz128(pHi, pLo) - 2;
  shl128(pHi, pLo, n);
  pHi = hi128; pLo = lo128; eP -= n;
  unpack(c, fmt);
  const sC = uSign;
  let eC = uExp;
  n = clz128(0, uSig) - 2;
  shl128(0, uSig, n);
  let cHi = hi128, cLo = lo128;
  eC -= n;
  let xS = sP, xHi = pHi, xLo = pLo, xE = eP;
  let yS = sC, yHi = cHi, yLo = cLo, yE = eC;
  if (eC > eP || (eC == eP && (cHi > pHi || (cHi == pHi && cLo > pLo)))) {
    xS = sC; xHi = cHi; xLo = cLo; xE = eC;
    yS = sP; yHi = pHi; yLo = pLo; yE = eP;
  }
  shrJam128(yHi, yLo, xE - yE);
  yHi = hi128; yLo = lo128;
  let rHi: u64, rLo: u64;
  if (xS == yS) {
    rLo = xLo + yLo;
    rHi = xHi + yHi + (rLo < xLo ? 1 : 0);
  } else {
    rLo = xLo - yLo;
    rHi = xHi - yHi - (xLo < yLo ? 1 : 0);
    if ((rHi | rLo) == 0) return zeroSum(sP, sC, rm, fmt);
  }
  const sig = collapse128(rHi, rLo, xE);
  return roundPack(xS, uExp, sig, rm, fmt);
}

// Float to integer with RISC-V's saturating results (unpriv spec, "Single-Precision
// Floating-Point Conversion and Move Instructions", Table 11.4): NaN and too-large positive
// values give the maximum, too-negative values the minimum (0 for unsigned), with NV only.
export function softToInt(bits: u64, rm: i32, fmt: i32, signed: bool, wide: bool): i64 {
  const w: i32 = wide ? 64 : 32;
  const maxS: u64 = (<u64>1 << <u64>(w - 1)) - 1;
  const maxU: u64 = wide ? 0xffffffffffffffff : 0xffffffff;
  if (isNaN(bits, fmt)) {
    fpuFlags |= NV;
    return signed ? <i64>maxS : <i64>maxU;
  }
  const sign = signOf(bits, fmt);
  if (isZero(bits, fmt)) return 0;
  let overflow = isInf(bits, fmt);
  let mag: u64 = 0;
  let inexact = false;
  if (!overflow) {
    unpack(bits, fmt);
    const sig = uSig, exp = uExp;
    if (exp >= 0) {
      if (bitLength(sig) + exp > 64) overflow = true;
      else mag = sig << <u64>exp;
    } else {
      const n = -exp;
      let roundBit = false, sticky = false;
      if (n > 62) {
        sticky = true;
      } else {
        mag = sig >> <u64>n;
        roundBit = ((sig >> <u64>(n - 1)) & 1) != 0;
        sticky = (sig & ((<u64>1 << <u64>(n - 1)) - 1)) != 0;
      }
      inexact = roundBit || sticky;
      let up = false;
      if (rm == RNE) up = roundBit && (sticky || (mag & 1) != 0);
      else if (rm == RMM) up = roundBit;
      else if (rm == RDN) up = sign != 0 && inexact;
      else if (rm == RUP) up = sign == 0 && inexact;
      if (up) mag += 1;
    }
  }
  const limit: u64 = signed ? (sign ? maxS + 1 : maxS) : (sign ? 0 : maxU);
  if (overflow || mag > limit) {
    fpuFlags |= NV;
    if (signed) return sign ? -<i64>(maxS) - 1 : <i64>maxS;
    return sign ? 0 : <i64>maxU;
  }
  if (inexact) fpuFlags |= NX;
  return sign ? -<i64>mag : <i64>mag;
}

// (-1)^sign * mag rounded to the format.
export function softFromInt(sign: u64, mag: u64, rm: i32, fmt: i32): u64 {
  if (mag == 0) return 0;
  return roundPack(sign, 0, mag, rm, fmt);
}
