// RISC-V "F" and "D" arithmetic (unpriv spec chapters 11-12) on raw IEEE 754 bits.
//
// Round-to-nearest-even, the mode Linux userland runs in, uses wasm's native f64 ops (IEEE
// correctly rounded) and proves the flags cheaply: the Fast2Sum error term for additions, the odd
// parts of the integer significands for products and quotients, a square-back for roots, an
// emulated fused multiply-add for fma. binary32 operations run in binary64 for every rounding
// mode: products are exact there, and other results are made exact or rounded to odd before the
// one rounding to binary32. binary64 results in directed modes, overflow and tiny results take
// the exact integer path in fpu-exact.ts.
//
// Every NaN result is the canonical NaN (unpriv spec §11.3 "NaN Generation and Propagation").
import {
  NV, DZ, OF, NX, RNE, RTZ, RDN, RUP, RMM, F32, F64, fpuFlags,
  isNaN, isSNaN, isInf, isZero, signOf, expFieldOf, canonNaN, packInf, packZero,
  unpack, uSign, uSig, uExp, roundPack, bitLength, hi128, lo128, mul64, shl128,
} from './fpu-soft';
import { zeroSum, softAdd, softMul, softDiv, softFma, softToInt, softFromInt } from './fpu-exact';
export { fpuFlags } from './fpu-soft';

const SIGN32: u32 = 0x80000000;
const SIGN64: u64 = 0x8000000000000000;
const MIN_NORMAL64: u64 = 0x0010000000000000;
const INF64: u64 = 0x7ff0000000000000;
const MIN_NORMAL32: u32 = 0x00800000;
const INF32: u32 = 0x7f800000;

@inline function v32(a: u32): f64 { return <f64>reinterpret<f32>(a); }
@inline function v64(a: u64): f64 { return reinterpret<f64>(a); }
@inline function bits64(x: f64): u64 { return reinterpret<u64>(x); }
@inline function finite32(a: u32): bool { return (a & INF32) != INF32; }
@inline function finite64(a: u64): bool { return (a & INF64) != INF64; }
@inline function isNormalMagnitude64(abs: u64): bool { return abs > MIN_NORMAL64 && abs < INF64; }

// ---- special operands (NaN, infinity), shared by both formats ----

function nanResult(a: u64, b: u64, fmt: i32): u64 {
  if (isSNaN(a, fmt) || isSNaN(b, fmt)) fpuFlags |= NV;
  return canonNaN(fmt);
}

function invalid(fmt: i32): u64 {
  fpuFlags |= NV;
  return canonNaN(fmt);
}

function addSpecial(a: u64, b: u64, fmt: i32): u64 {
  if (isNaN(a, fmt) || isNaN(b, fmt)) return nanResult(a, b, fmt);
  if (isInf(a, fmt) && isInf(b, fmt) && signOf(a, fmt) != signOf(b, fmt)) return invalid(fmt);
  return isInf(a, fmt) ? a : b;
}

function mulSpecial(a: u64, b: u64, fmt: i32): u64 {
  if (isNaN(a, fmt) || isNaN(b, fmt)) return nanResult(a, b, fmt);
  if (isZero(a, fmt) || isZero(b, fmt)) return invalid(fmt);
  return packInf(signOf(a, fmt) ^ signOf(b, fmt), fmt);
}

function divSpecial(a: u64, b: u64, fmt: i32): u64 {
  if (isNaN(a, fmt) || isNaN(b, fmt)) return nanResult(a, b, fmt);
  const sign = signOf(a, fmt) ^ signOf(b, fmt);
  if (isInf(a, fmt)) return isInf(b, fmt) ? invalid(fmt) : packInf(sign, fmt);
  if (isInf(b, fmt)) return packZero(sign, fmt);
  if (isZero(a, fmt)) return invalid(fmt);
  fpuFlags |= DZ;
  return packInf(sign, fmt);
}

// Any operand NaN or infinite. inf*0 is invalid even when c is a quiet NaN, as in the RISC-V
// softfloat specialization.
function fmaSpecial(a: u64, b: u64, c: u64, fmt: i32): u64 {
  const infZero = (isInf(a, fmt) && isZero(b, fmt)) || (isZero(a, fmt) && isInf(b, fmt));
  if (isNaN(a, fmt) || isNaN(b, fmt) || isNaN(c, fmt)) {
    if (infZero || isSNaN(c, fmt)) fpuFlags |= NV;
    return nanResult(a, b, fmt);
  }
  if (infZero) return invalid(fmt);
  if (isInf(a, fmt) || isInf(b, fmt)) {
    const sP = signOf(a, fmt) ^ signOf(b, fmt);
    if (isInf(c, fmt) && signOf(c, fmt) != sP) return invalid(fmt);
    return packInf(sP, fmt);
  }
  return c;
}

function sqrtSpecial(a: u64, fmt: i32): u64 {
  if (isNaN(a, fmt)) return nanResult(a, a, fmt);
  if (isZero(a, fmt)) return a;
  if (signOf(a, fmt)) return invalid(fmt);
  return a;
}

// ---- exactness tests on integer significands ----

function oddSig64(a: u64): u64 {
  let m = a & 0x000fffffffffffff;
  if ((a & INF64) != 0) m |= 0x0010000000000000;
  return m >> ctz<u64>(m);
}

// A normal-range product is exact iff the product of the odd parts fits in 53 bits.
function mulIsExact64(a: u64, b: u64): bool {
  const ma = oddSig64(a), mb = oddSig64(b);
  if (bitLength(ma) + bitLength(mb) > 64) return false;
  return ma * mb < MIN_NORMAL64 << 1;
}

// A normal-range quotient is exact iff the divisor's odd part divides the dividend's.
function divIsExact64(a: u64, b: u64): bool {
  return oddSig64(a) % oddSig64(b) == 0;
}

// Sign of r*r - a (r the native root of a, both positive finite), exactly, in 128 bits.
function sqrtResidualSign64(r: u64, a: u64): i32 {
  unpack(r, F64);
  const eR = uExp;
  mul64(uSig, uSig);
  const sqHi = hi128, sqLo = lo128;
  unpack(a, F64);
  shl128(0, uSig, uExp - 2 * eR);
  const aHi = hi128, aLo = lo128;
  if (sqHi != aHi) return sqHi > aHi ? 1 : -1;
  if (sqLo != aLo) return sqLo > aLo ? 1 : -1;
  return 0;
}

// Round a correctly rounded-to-nearest root to another mode, given the sign of r*r - a (no
// ties exist: the square of a midpoint needs more than twice the precision).
function directRoot(rb: u64, residual: i32, rm: i32): u64 {
  if (residual == 0) return rb;
  fpuFlags |= NX;
  if (rm == RNE || rm == RMM) return rb;
  if (residual > 0) return (rm == RDN || rm == RTZ) ? rb - 1 : rb;
  return rm == RUP ? rb + 1 : rb;
}

// Float to integer when the rounded value is certainly in range (|x| below the limit, so
// rounding cannot reach it) and the mode has a wasm instruction: no NV possible, NX iff the
// value had a fraction. RMM (ties away) has none; it takes the exact path.
const TWO31_LESS1: f64 = 2147483647.0;
const TWO32_LESS1: f64 = 4294967295.0;
const TWO53: f64 = 9007199254740992.0;
@inline function roundIntegral(x: f64, rm: i32): f64 {
  let t: f64;
  if (rm == RTZ) t = trunc<f64>(x);
  else if (rm == RNE) t = nearest<f64>(x);
  else if (rm == RDN) t = floor<f64>(x);
  else t = ceil<f64>(x);
  if (t != x) fpuFlags |= NX;
  return t;
}

// ---- fused multiply-add in binary64 arithmetic ----
// Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
// rounding to odd" (IEEE Trans. Computers 57(4), 2008): with the product split exactly (Dekker)
// and the low parts summed with rounding to odd, one final nearest-even addition is the
// correctly rounded a*b+c. Valid while nothing overflows or underflows, which the exponent
// window below guarantees (|a|,|b| within 2^+-450, |c| within 2^+-900).
const VELTKAMP: f64 = 134217729.0; // 2^27 + 1 splits a binary64 into two 26-bit halves
let fmaInexact = false;

@inline function fmaOperandsModerate(a: u64, b: u64, c: u64): bool {
  const ea = <u32>(a >> 52) & 0x7ff, eb = <u32>(b >> 52) & 0x7ff, ec = <u32>(c >> 52) & 0x7ff;
  return ea - 573 <= 900 && eb - 573 <= 900 && ec - 123 <= 1800;
}

function fmaNearest64(x: f64, y: f64, z: f64): f64 {
  const ph = x * y;
  let t = VELTKAMP * x;
  const xh = t - (t - x), xl = x - xh;
  t = VELTKAMP * y;
  const yh = t - (t - y), yl = y - yh;
  const pl = ((xh * yh - ph) + xh * yl + xl * yh) + xl * yl;
  // th + tl = z + ph exactly (TwoSum)
  const th = z + ph;
  let bv = th - z;
  const tl = (z - (th - bv)) + (ph - bv);
  // v = tl + pl rounded to odd: truncate, then set the last bit if anything was lost
  const v0 = tl + pl;
  bv = v0 - tl;
  const err = (tl - (v0 - bv)) + (pl - bv);
  let v = v0;
  if (err != 0) {
    let vb = bits64(v0);
    if ((err < 0) != (v0 < 0)) vb -= 1;
    v = v64(vb | 1);
  }
  const r = th + v;
  bv = r - th;
  fmaInexact = err != 0 || (th - (r - bv)) + (v - bv) != 0;
  return r;
}

// s = x op y rounded to nearest-even, finite and normal, and err the exact error (or any value
// with its sign and, for RMM, its exact magnitude): the result in a directed mode, with flags.
// Stepping the bit pattern moves one ulp in magnitude; from the largest finite value it
// reaches infinity, which is the overflowed result for that mode.
function directFromNearest(s: f64, err: f64, rm: i32): u64 {
  fpuFlags |= NX;
  let b = bits64(s);
  const away = (err < 0) == (s < 0); // the exact value lies beyond s, away from zero
  if (rm == RTZ) {
    if (!away) b -= 1;
  } else if (rm == RDN) {
    if (err < 0) b = s < 0 ? b + 1 : b - 1;
  } else if (rm == RUP) {
    if (err > 0) b = s < 0 ? b - 1 : b + 1;
  } else if (rm == RMM) {
    // Nearest, except that a tie nearest-even broke toward zero goes away from zero.
    if (away && abs(err) == (v64((b & ~SIGN64) + 1) - abs(s)) * 0.5) b += 1;
  }
  if ((b & ~SIGN64) == INF64) fpuFlags |= OF;
  return b;
}

// The exact error of a binary64 product, x*y - RN(x*y) (Dekker), for operands whose exponents
// keep every partial product and the error itself clear of overflow and underflow.
function productError(x: f64, y: f64, p: f64): f64 {
  let t = VELTKAMP * x;
  const xh = t - (t - x), xl = x - xh;
  t = VELTKAMP * y;
  const yh = t - (t - y), yl = y - yh;
  return ((xh * yh - p) + xh * yl + xl * yh) + xl * yl;
}

// Product and quotient operands (and results) for which productError is exact.
@inline function dekkerSafe(a: u64, b: u64, r: u64): bool {
  const ea = <u32>(a >> 52) & 0x7ff, eb = <u32>(b >> 52) & 0x7ff, er = <u32>(r >> 52) & 0x7ff;
  return ea - 100 <= 1846 && eb - 100 <= 1846 && er - 160 <= 1786;
}

// ---- binary64 ----

export function f64_add(a: u64, b: u64, rm: i32): u64 {
  if (!finite64(a) || !finite64(b)) return addSpecial(a, b, F64);
  const x = v64(a), y = v64(b);
  const s = x + y;
  if (finite64(bits64(s))) {
    const big = abs(x) >= abs(y) ? x : y;
    const small = abs(x) >= abs(y) ? y : x;
    const err = small - (s - big);
    if (err == 0) return s == 0 ? zeroSum(a >> 63, b >> 63, rm, F64) : bits64(s);
    if (rm == RNE) { fpuFlags |= NX; return bits64(s); }
    // An inexact sum is never tiny (IEEE 754-2008 §7.5 only underflows on inexact results).
    return directFromNearest(s, err, rm);
  }
  return softAdd(a, b, rm, F64);
}

export function f64_sub(a: u64, b: u64, rm: i32): u64 { return f64_add(a, b ^ SIGN64, rm); }

export function f64_mul(a: u64, b: u64, rm: i32): u64 {
  if (!finite64(a) || !finite64(b)) return mulSpecial(a, b, F64);
  const x = v64(a), y = v64(b);
  const p = x * y;
  const rb = bits64(p);
  if (isZero(a, F64) || isZero(b, F64)) return rb;
  if (isNormalMagnitude64(rb & ~SIGN64)) {
    if (mulIsExact64(a, b)) return rb;
    if (rm == RNE) { fpuFlags |= NX; return rb; }
    if (dekkerSafe(a, b, rb)) return directFromNearest(p, productError(x, y, p), rm);
  }
  return softMul(a, b, rm, F64);
}

export function f64_div(a: u64, b: u64, rm: i32): u64 {
  if (!finite64(a) || !finite64(b) || isZero(b, F64)) return divSpecial(a, b, F64);
  if (isZero(a, F64)) return (a ^ b) & SIGN64;
  const x = v64(a), y = v64(b);
  const q = x / y;
  const rb = bits64(q);
  if (isNormalMagnitude64(rb & ~SIGN64)) {
    if (divIsExact64(a, b)) return rb;
    // A normal quotient is never a tie (a midpoint times y would need more than 53 bits), so
    // ties-away is nearest-even here and the other modes need only the sign of the error.
    if (rm == RNE || rm == RMM) { fpuFlags |= NX; return rb; }
    // x/y - q has the sign of (x - q*y)/y; x - RN(q*y) is exact (Sterbenz) and so is the
    // product error, so their difference rounds with the right sign.
    if (dekkerSafe(b, rb, a)) {
      const qy = q * y;
      const residual = (x - qy) - productError(q, y, qy);
      return directFromNearest(q, y < 0 ? -residual : residual, rm);
    }
  }
  return softDiv(a, b, rm, F64);
}

export function f64_sqrt(a: u64, rm: i32): u64 {
  if (!finite64(a) || isZero(a, F64) || (a & SIGN64) != 0) return sqrtSpecial(a, F64);
  const r = sqrt<f64>(v64(a));
  const rb = bits64(r);
  // For a normal a the square of a root with a short odd part is computed exactly; otherwise
  // (and to know the direction for the other modes) compare in 128-bit integers.
  if (rm == RNE && a >= MIN_NORMAL64) {
    const m = oddSig64(rb);
    if (bitLength(m) <= 26 && r * r == v64(a)) return rb;
    fpuFlags |= NX;
    return rb;
  }
  return directRoot(rb, sqrtResidualSign64(rb, a), rm);
}

export function f64_fma(a: u64, b: u64, c: u64, rm: i32): u64 {
  if (!finite64(a) || !finite64(b) || !finite64(c)) return fmaSpecial(a, b, c, F64);
  if (isZero(a, F64) || isZero(b, F64)) {
    if (!isZero(c, F64)) return c;
    return zeroSum((a ^ b) >> 63, c >> 63, rm, F64);
  }
  if (isZero(c, F64)) return f64_mul(a, b, rm);
  if (rm == RNE && fmaOperandsModerate(a, b, c)) {
    const r = fmaNearest64(v64(a), v64(b), v64(c));
    // Far from the subnormal range, so nothing underflowed and the result is not tiny.
    if (((bits64(r) >> 52) & 0x7ff) >= 123) {
      if (fmaInexact) fpuFlags |= NX;
      return bits64(r);
    }
  }
  // Exact product and exact sum need no rounding at all.
  const p = v64(a) * v64(b);
  if (isNormalMagnitude64(bits64(p) & ~SIGN64) && mulIsExact64(a, b)) {
    const z = v64(c);
    const s = p + z;
    if (finite64(bits64(s))) {
      const big = abs(p) >= abs(z) ? p : z;
      const small = abs(p) >= abs(z) ? z : p;
      if (small - (s - big) == 0) {
        return s == 0 ? zeroSum(bits64(p) >> 63, c >> 63, rm, F64) : bits64(s);
      }
    }
  }
  return softFma(a, b, c, rm, F64);
}

export function f64_min(a: u64, b: u64): u64 { return minMax(a, b, F64, true); }
export function f64_max(a: u64, b: u64): u64 { return minMax(a, b, F64, false); }
export function f64_eq(a: u64, b: u64): i32 { return compare(a, b, F64, false) == 0 ? 1 : 0; }
export function f64_lt(a: u64, b: u64): i32 { return compare(a, b, F64, true) < 0 ? 1 : 0; }
export function f64_le(a: u64, b: u64): i32 {
  const c = compare(a, b, F64, true);
  return c <= 0 ? 1 : 0;
}
export function f64_classify(a: u64): u32 { return classify(a, F64); }

export function f64_to_i32(a: u64, rm: i32): i32 {
  const x = v64(a);
  if (abs(x) < TWO31_LESS1 && rm != RMM) return <i32>roundIntegral(x, rm);
  return <i32>softToInt(a, rm, F64, true, false);
}
export function f64_to_u32(a: u64, rm: i32): i32 {
  const x = v64(a);
  if (x >= 0 && x < TWO32_LESS1 && rm != RMM) return <i32><u32>roundIntegral(x, rm);
  return <i32>softToInt(a, rm, F64, false, false);
}
export function f64_to_i64(a: u64, rm: i32): i64 {
  const x = v64(a);
  if (abs(x) < TWO53 && rm != RMM) return <i64>roundIntegral(x, rm);
  return softToInt(a, rm, F64, true, true);
}
export function f64_to_u64(a: u64, rm: i32): i64 {
  const x = v64(a);
  if (x >= 0 && x < TWO53 && rm != RMM) return <i64>roundIntegral(x, rm);
  return softToInt(a, rm, F64, false, true);
}

export function i32_to_f64(v: i32, rm: i32): u64 { return bits64(<f64>v); }
export function u32_to_f64(v: u32, rm: i32): u64 { return bits64(<f64>v); }
export function i64_to_f64(v: i64, rm: i32): u64 {
  if (v > -0x20000000000000 && v < 0x20000000000000) return bits64(<f64>v);
  return softFromInt(v < 0 ? 1 : 0, v < 0 ? <u64>(-v) : <u64>v, rm, F64);
}
export function u64_to_f64(v: u64, rm: i32): u64 {
  if (v < 0x20000000000000) return bits64(<f64>v);
  return softFromInt(0, v, rm, F64);
}

// ---- binary32 (computed in binary64) ----
// A binary64 result rounded to odd keeps every rounding decision of binary32 intact (it has more
// than two extra bits), so rounding it once more in any mode, with f64_to_f32's flags, is the
// correctly rounded binary32 result (Boldo & Melquiond 2008, as above).

// s rounded to nearest, err any value with the sign of (exact - s): the exact value rounded to odd.
@inline function toOdd(s: f64, err: f64): f64 {
  if (err == 0) return s;
  let b = bits64(s);
  if ((err < 0) != (s < 0)) b -= 1;
  return v64(b | 1);
}

// A finite binary64 value (exact, or rounded to odd) to binary32; the nearest-even case inline.
@inline function narrow(s: f64, rm: i32): u32 {
  if (rm == RNE) {
    const r = <f32>s;
    const rb = reinterpret<u32>(r);
    const mag = rb & ~SIGN32;
    if (mag > MIN_NORMAL32 && mag < INF32) {
      if (<f64>r != s) fpuFlags |= NX;
      return rb;
    }
  }
  return f64_to_f32(bits64(s), rm);
}

export function f32_add(a: u32, b: u32, rm: i32): u32 {
  if (!finite32(a) || !finite32(b)) return <u32>addSpecial(a, b, F32);
  const x = v32(a), y = v32(b);
  const s = x + y;
  const big = abs(x) >= abs(y) ? x : y;
  const small = abs(x) >= abs(y) ? y : x;
  const err = small - (s - big);
  if (err == 0 && s == 0) return <u32>zeroSum(a >> 31, b >> 31, rm, F32);
  return narrow(toOdd(s, err), rm);
}

export function f32_sub(a: u32, b: u32, rm: i32): u32 { return f32_add(a, b ^ SIGN32, rm); }

export function f32_mul(a: u32, b: u32, rm: i32): u32 {
  if (!finite32(a) || !finite32(b)) return <u32>mulSpecial(a, b, F32);
  return narrow(v32(a) * v32(b), rm);
}

export function f32_div(a: u32, b: u32, rm: i32): u32 {
  if (!finite32(a) || !finite32(b) || isZero(b, F32)) return <u32>divSpecial(a, b, F32);
  if (isZero(a, F32)) return (a ^ b) & SIGN32;
  const x = v32(a), y = v32(b);
  const q = x / y;
  if (rm == RNE) {
    const r = <f32>q;
    const rb = reinterpret<u32>(r);
    const mag = rb & ~SIGN32;
    if (mag > MIN_NORMAL32 && mag < INF32) {
      if (<f64>r * y != x) fpuFlags |= NX;
      return rb;
    }
  }
  // The sign of x - q*y, exactly: q's high 26 bits times y is exact and within a factor
  // 1 +- 2^-24 of x (Sterbenz), the low 27 bits times y is exact, and rounding the last
  // difference keeps its sign.
  const qh = v64(bits64(q) & 0xfffffffff8000000);
  const residual = (x - qh * y) - (q - qh) * y;
  return narrow(toOdd(q, y < 0 ? -residual : residual), rm);
}

export function f32_sqrt(a: u32, rm: i32): u32 {
  if (!finite32(a) || isZero(a, F32) || (a & SIGN32) != 0) return <u32>sqrtSpecial(a, F32);
  const x = v32(a);
  const r = <f32>sqrt<f64>(x);
  const r64 = <f64>r;
  const sq = r64 * r64;
  return <u32>directRoot(reinterpret<u32>(r), sq == x ? 0 : (sq > x ? 1 : -1), rm);
}

export function f32_fma(a: u32, b: u32, c: u32, rm: i32): u32 {
  if (!finite32(a) || !finite32(b) || !finite32(c)) return <u32>fmaSpecial(a, b, c, F32);
  const p = v32(a) * v32(b);
  const z = v32(c);
  const s = p + z;
  const big = abs(p) >= abs(z) ? p : z;
  const small = abs(p) >= abs(z) ? z : p;
  const err = small - (s - big);
  if (err == 0 && s == 0) return <u32>zeroSum(bits64(p) >> 63, c >> 31, rm, F32);
  return narrow(toOdd(s, err), rm);
}

export function f32_min(a: u32, b: u32): u32 { return <u32>minMax(a, b, F32, true); }
export function f32_max(a: u32, b: u32): u32 { return <u32>minMax(a, b, F32, false); }
export function f32_eq(a: u32, b: u32): i32 { return compare(a, b, F32, false) == 0 ? 1 : 0; }
export function f32_lt(a: u32, b: u32): i32 { return compare(a, b, F32, true) < 0 ? 1 : 0; }
export function f32_le(a: u32, b: u32): i32 {
  const c = compare(a, b, F32, true);
  return c <= 0 ? 1 : 0;
}
export function f32_classify(a: u32): u32 { return classify(a, F32); }

export function f32_to_i32(a: u32, rm: i32): i32 {
  const x = v32(a);
  if (abs(x) < TWO31_LESS1 && rm != RMM) return <i32>roundIntegral(x, rm);
  return <i32>softToInt(a, rm, F32, true, false);
}
export function f32_to_u32(a: u32, rm: i32): i32 {
  const x = v32(a);
  if (x >= 0 && x < TWO32_LESS1 && rm != RMM) return <i32><u32>roundIntegral(x, rm);
  return <i32>softToInt(a, rm, F32, false, false);
}
export function f32_to_i64(a: u32, rm: i32): i64 {
  const x = v32(a);
  if (abs(x) < TWO53 && rm != RMM) return <i64>roundIntegral(x, rm);
  return softToInt(a, rm, F32, true, true);
}
export function f32_to_u64(a: u32, rm: i32): i64 {
  const x = v32(a);
  if (x >= 0 && x < TWO53 && rm != RMM) return <i64>roundIntegral(x, rm);
  return softToInt(a, rm, F32, false, true);
}

export function i32_to_f32(v: i32, rm: i32): u32 {
  if (v > -0x1000000 && v < 0x1000000) return reinterpret<u32>(<f32>v);
  return <u32>softFromInt(v < 0 ? 1 : 0, v < 0 ? <u64>(-<i64>v) : <u64>v, rm, F32);
}
export function u32_to_f32(v: u32, rm: i32): u32 {
  if (v < 0x1000000) return reinterpret<u32>(<f32>v);
  return <u32>softFromInt(0, <u64>v, rm, F32);
}
export function i64_to_f32(v: i64, rm: i32): u32 {
  if (v > -0x1000000 && v < 0x1000000) return reinterpret<u32>(<f32>v);
  return <u32>softFromInt(v < 0 ? 1 : 0, v < 0 ? <u64>(-v) : <u64>v, rm, F32);
}
export function u64_to_f32(v: u64, rm: i32): u32 {
  if (v < 0x1000000) return reinterpret<u32>(<f32>v);
  return <u32>softFromInt(0, v, rm, F32);
}

export function f32_to_f64(a: u32): u64 {
  if (isNaN(a, F32)) {
    if (isSNaN(a, F32)) fpuFlags |= NV;
    return canonNaN(F64);
  }
  return bits64(v32(a));
}

export function f64_to_f32(a: u64, rm: i32): u32 {
  if (isNaN(a, F64)) {
    if (isSNaN(a, F64)) fpuFlags |= NV;
    return <u32>canonNaN(F32);
  }
  if (isInf(a, F64)) return <u32>packInf(a >> 63, F32);
  if (rm == RNE) {
    const r = <f32>v64(a);
    const rb = reinterpret<u32>(r);
    if (<f64>r == v64(a)) return rb;
    const mag = rb & ~SIGN32;
    if (mag > MIN_NORMAL32 && mag < INF32) { fpuFlags |= NX; return rb; }
  }
  if (isZero(a, F64)) return <u32>(a >> 32);
  unpack(a, F64);
  return <u32>roundPack(uSign, uExp, uSig, rm, F32);
}

// ---- comparisons, min/max, classify (unpriv spec §11.8, §11.9) ----

// -1, 0, 1 for a<b, a==b, a>b; 2 when unordered. signaling: any NaN raises NV (flt/fle),
// otherwise only a signaling NaN does (feq).
@inline function compare(a: u64, b: u64, fmt: i32, signaling: bool): i32 {
  const x = fmt == F64 ? v64(a) : v32(<u32>a);
  const y = fmt == F64 ? v64(b) : v32(<u32>b);
  if (x < y) return -1;
  if (x == y) return 0;
  if (x > y) return 1;
  return unordered(a, b, fmt, signaling);
}

function unordered(a: u64, b: u64, fmt: i32, signaling: bool): i32 {
  if (signaling || isSNaN(a, fmt) || isSNaN(b, fmt)) fpuFlags |= NV;
  return 2;
}

// fmin/fmax from RISC-V 2.2 on (IEEE 754-201x minimumNumber/maximumNumber): one NaN yields the
// other operand, -0 is below +0, a signaling NaN input raises NV.
@inline function minMax(a: u64, b: u64, fmt: i32, isMin: bool): u64 {
  const x = fmt == F64 ? v64(a) : v32(<u32>a);
  const y = fmt == F64 ? v64(b) : v32(<u32>b);
  if (x < y) return isMin ? a : b;
  if (x > y) return isMin ? b : a;
  return minMaxSlow(a, b, fmt, isMin);
}

function minMaxSlow(a: u64, b: u64, fmt: i32, isMin: bool): u64 {
  const aN = isNaN(a, fmt), bN = isNaN(b, fmt);
  if (aN || bN) {
    if (isSNaN(a, fmt) || isSNaN(b, fmt)) fpuFlags |= NV;
    if (aN && bN) return canonNaN(fmt);
    return aN ? b : a;
  }
  if (isZero(a, fmt) && isZero(b, fmt)) return isMin ? (a | b) : (a & b);
  const c = compare(a, b, fmt, false);
  return (c < 0) == isMin ? a : b;
}

function classify(a: u64, fmt: i32): u32 {
  const neg = signOf(a, fmt) != 0;
  if (isNaN(a, fmt)) return isSNaN(a, fmt) ? 1 << 8 : 1 << 9;
  if (isInf(a, fmt)) return neg ? 1 << 0 : 1 << 7;
  if (isZero(a, fmt)) return neg ? 1 << 3 : 1 << 4;
  if (expFieldOf(a, fmt) == 0) return neg ? 1 << 2 : 1 << 5;
  return neg ? 1 << 1 : 1 << 6;
}
