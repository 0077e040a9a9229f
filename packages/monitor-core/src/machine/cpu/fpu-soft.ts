// Exact ("softfloat-style") IEEE 754-2008 binary32/binary64 rounding on integer significands.
// fpu.ts uses wasm's native ops whenever it can prove the result and the flags; what they cannot
// decide (tiny results, overflow, fused multiply-adds outside the emulated window, conversions)
// is rounded here.
//
// A finite value is carried unpacked as (sign, sig, exp) meaning (-1)^sign * sig * 2^exp with an
// integer sig. A low "sticky" bit may be ORed into sig when nonzero bits were shifted out; every
// producer keeps that bit far below the rounding position, so it only ever says "more below".

// RISC-V fflags bits (unprivileged spec, "F" extension, Accrued Exception Flags).
export const NV: i32 = 16;
export const DZ: i32 = 8;
export const OF: i32 = 4;
export const UF: i32 = 2;
export const NX: i32 = 1;

// Rounding modes as encoded in the instruction rm field / frm.
export const RNE: i32 = 0;
export const RTZ: i32 = 1;
export const RDN: i32 = 2;
export const RUP: i32 = 3;
export const RMM: i32 = 4;

// Accrued exception flags; the CPU copies them into fflags and clears this.
export let fpuFlags: i32 = 0;

// Format selector: F32 = binary32 (bits in the low half of a u64), F64 = binary64.
export const F32: i32 = 0;
export const F64: i32 = 1;

export const CANON_NAN32: u64 = 0x7fc00000;
export const CANON_NAN64: u64 = 0x7ff8000000000000;

@inline export function fracBits(fmt: i32): i32 { return fmt == F64 ? 52 : 23; }
@inline export function expFieldMax(fmt: i32): i32 { return fmt == F64 ? 0x7ff : 0xff; }
@inline export function bias(fmt: i32): i32 { return fmt == F64 ? 1023 : 127; }
@inline export function signShift(fmt: i32): u64 { return fmt == F64 ? 63 : 31; }
@inline export function canonNaN(fmt: i32): u64 { return fmt == F64 ? CANON_NAN64 : CANON_NAN32; }

@inline export function signOf(bits: u64, fmt: i32): u64 { return (bits >> signShift(fmt)) & 1; }
@inline export function expFieldOf(bits: u64, fmt: i32): i32 {
  return <i32>(bits >> <u64>fracBits(fmt)) & expFieldMax(fmt);
}
@inline export function fracOf(bits: u64, fmt: i32): u64 {
  return bits & ((<u64>1 << <u64>fracBits(fmt)) - 1);
}
export function isNaN(bits: u64, fmt: i32): bool {
  return expFieldOf(bits, fmt) == expFieldMax(fmt) && fracOf(bits, fmt) != 0;
}
// Signaling NaN: the most significant fraction bit is clear (IEEE 754-2008 §6.2.1).
export function isSNaN(bits: u64, fmt: i32): bool {
  return isNaN(bits, fmt) && ((bits >> <u64>(fracBits(fmt) - 1)) & 1) == 0;
}
export function isInf(bits: u64, fmt: i32): bool {
  return expFieldOf(bits, fmt) == expFieldMax(fmt) && fracOf(bits, fmt) == 0;
}
export function isZero(bits: u64, fmt: i32): bool {
  return (bits & ((<u64>1 << signShift(fmt)) - 1)) == 0;
}
@inline export function packInf(sign: u64, fmt: i32): u64 {
  return (sign << signShift(fmt)) | (<u64>expFieldMax(fmt) << <u64>fracBits(fmt));
}
@inline export function packZero(sign: u64, fmt: i32): u64 { return sign << signShift(fmt); }

// Unpacked operand registers (AssemblyScript has no tuples).
export let uSign: u64 = 0;
export let uSig: u64 = 0;
export let uExp: i32 = 0;

// Unpack a finite nonzero value into uSign/uSig/uExp.
export function unpack(bits: u64, fmt: i32): void {
  const fb = fracBits(fmt);
  uSign = signOf(bits, fmt);
  const e = expFieldOf(bits, fmt);
  const f = fracOf(bits, fmt);
  if (e == 0) {
    uSig = f;
    uExp = 1 - bias(fmt) - fb;
  } else {
    uSig = f | (<u64>1 << <u64>fb);
    uExp = e - bias(fmt) - fb;
  }
}

export function shiftRightJam(x: u64, n: i32): u64 {
  if (n <= 0) return x;
  if (n >= 64) return x != 0 ? 1 : 0;
  return (x >> <u64>n) | ((x << <u64>(64 - n)) != 0 ? 1 : 0);
}

@inline export function bitLength(x: u64): i32 { return 64 - <i32>clz<u64>(x); }

// Round (-1)^sign * sig * 2^exp to the format under rm, raising NX/UF/OF, and pack it.
// Underflow uses tininess after rounding, as RISC-V requires (unpriv spec §11.2 refers to
// IEEE 754-2008 with this choice). sig must be nonzero.
export function roundPack(sign: u64, exp: i32, sig: u64, rm: i32, fmt: i32): u64 {
  const lz = <i32>clz<u64>(sig);
  if (lz == 0) {
    sig = shiftRightJam(sig, 1);
    exp += 1;
  } else if (lz > 1) {
    sig <<= <u64>(lz - 1);
    exp -= lz - 1;
  }
  // sig now has its leading bit at 62: value = sig/2^62 * 2^(exp+62). e is the exponent field
  // minus one, because packing adds the leading bit into the exponent field.
  const fb = fracBits(fmt);
  const extra = 62 - fb;
  const roundMask: u64 = (<u64>1 << <u64>extra) - 1;
  const half: u64 = <u64>1 << <u64>(extra - 1);
  let inc: u64 = 0;
  if (rm == RNE || rm == RMM) inc = half;
  else if (rm == RDN) inc = sign ? roundMask : 0;
  else if (rm == RUP) inc = sign ? 0 : roundMask;
  let e = exp + 61 + bias(fmt);
  const eMax = expFieldMax(fmt) - 2;
  let roundBits = sig & roundMask;
  if (e < 0) {
    const tiny = e < -1 || sig + inc < 0x8000000000000000;
    sig = shiftRightJam(sig, -e);
    e = 0;
    roundBits = sig & roundMask;
    if (tiny && roundBits != 0) fpuFlags |= UF;
  } else if (e > eMax || (e == eMax && sig + inc >= 0x8000000000000000)) {
    fpuFlags |= OF | NX;
    if (inc != 0) return packInf(sign, fmt);
    return (sign << signShift(fmt)) | ((<u64>(expFieldMax(fmt) - 1) << <u64>fb) + ((<u64>1 << <u64>fb) - 1));
  }
  if (roundBits != 0) fpuFlags |= NX;
  sig = (sig + inc) >> <u64>extra;
  if (rm == RNE && roundBits == half) sig &= ~(<u64>1);
  if (sig == 0) e = 0;
  return (sign << signShift(fmt)) + (<u64>e << <u64>fb) + sig;
}

// ---- 128-bit helpers (results in hi128/lo128) ----
export let hi128: u64 = 0;
export let lo128: u64 = 0;

export function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  lo128 = (p00 & 0xffffffff) | (mid << 32);
  hi128 = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

export function shl128(hi: u64, lo: u64, n: i32): void {
  if (n == 0) { hi128 = hi; lo128 = lo; }
  else if (n >= 64) { hi128 = lo << <u64>(n - 64); lo128 = 0; }
  else { hi128 = (hi << <u64>n) | (lo >> <u64>(64 - n)); lo128 = lo << <u64>n; }
}

export function shrJam128(hi: u64, lo: u64, n: i32): void {
  if (n <= 0) { hi128 = hi; lo128 = lo; return; }
  if (n >= 128) { hi128 = 0; lo128 = (hi | lo) != 0 ? 1 : 0; return; }
  if (n >= 64) {
    const lost = n == 64 ? lo : (lo | (hi << <u64>(128 - n)));
    lo128 = (n == 64 ? hi : hi >> <u64>(n - 64)) | (lost != 0 ? 1 : 0);
    hi128 = 0;
    return;
  }
  lo128 = (lo >> <u64>n) | (hi << <u64>(64 - n)) | ((lo << <u64>(64 - n)) != 0 ? 1 : 0);
  hi128 = hi >> <u64>n;
}

@inline export function clz128(hi: u64, lo: u64): i32 {
  return hi != 0 ? <i32>clz<u64>(hi) : 64 + <i32>clz<u64>(lo);
}

// Collapse hi:lo * 2^exp into a 64-bit sticky significand; returns sig, sets uExp.
export function collapse128(hi: u64, lo: u64, exp: i32): u64 {
  if (hi == 0) { uExp = exp; return lo; }
  const n = bitLength(hi);
  uExp = exp + n;
  if (n == 64) return hi | (lo != 0 ? 1 : 0);
  return (hi << <u64>(64 - n)) | (lo >> <u64>n) | ((lo << <u64>(64 - n)) != 0 ? 1 : 0);
}
