// @ts-nocheck -- AssemblyScript (compiled by asc), not TypeScript; tsc cannot type it.
// AssemblyScript test entry around fpu.ts: evaluates a batch of reference vectors in place.
// A record is 8 u64: op, rm, a, b, c, (out) result, (out) fflags, unused. Op numbers follow the
// ops[] table of vectors.c; results use the same register conventions (singles zero-extended,
// integer results as the sign-extended x register), and fused multiply-adds are formed the way
// the CPU forms them (negating inputs).
import * as fpu from '../../src/machine/cpu/fpu';

const S: u64 = 0x80000000;
const D: u64 = 0x8000000000000000;

export function alloc(records: i32): usize {
  return heap.alloc(<usize>records * 64);
}

function one(op: i32, rm: i32, a: u64, b: u64, c: u64): u64 {
  const as = <u32>a, bs = <u32>b, cs = <u32>c;
  switch (op) {
    case 0: return fpu.f32_add(as, bs, rm);
    case 1: return fpu.f32_sub(as, bs, rm);
    case 2: return fpu.f32_mul(as, bs, rm);
    case 3: return fpu.f32_div(as, bs, rm);
    case 4: return fpu.f32_sqrt(as, rm);
    case 5: return fpu.f32_fma(as, bs, cs, rm);
    case 6: return fpu.f32_fma(as, bs, cs ^ <u32>S, rm);
    case 7: return fpu.f32_fma(as ^ <u32>S, bs, cs, rm);
    case 8: return fpu.f32_fma(as ^ <u32>S, bs, cs ^ <u32>S, rm);
    case 9: return fpu.f32_min(as, bs);
    case 10: return fpu.f32_max(as, bs);
    case 11: return fpu.f32_eq(as, bs);
    case 12: return fpu.f32_lt(as, bs);
    case 13: return fpu.f32_le(as, bs);
    case 14: return fpu.f32_classify(as);
    case 15: return <u64><i64>fpu.f32_to_i32(as, rm);
    case 16: return <u64><i64>fpu.f32_to_u32(as, rm);
    case 17: return <u64>fpu.f32_to_i64(as, rm);
    case 18: return <u64>fpu.f32_to_u64(as, rm);
    case 19: return fpu.i32_to_f32(<i32>a, rm);
    case 20: return fpu.u32_to_f32(<u32>a, rm);
    case 21: return fpu.i64_to_f32(<i64>a, rm);
    case 22: return fpu.u64_to_f32(a, rm);
    case 23: return fpu.f64_add(a, b, rm);
    case 24: return fpu.f64_sub(a, b, rm);
    case 25: return fpu.f64_mul(a, b, rm);
    case 26: return fpu.f64_div(a, b, rm);
    case 27: return fpu.f64_sqrt(a, rm);
    case 28: return fpu.f64_fma(a, b, c, rm);
    case 29: return fpu.f64_fma(a, b, c ^ D, rm);
    case 30: return fpu.f64_fma(a ^ D, b, c, rm);
    case 31: return fpu.f64_fma(a ^ D, b, c ^ D, rm);
    case 32: return fpu.f64_min(a, b);
    case 33: return fpu.f64_max(a, b);
    case 34: return fpu.f64_eq(a, b);
    case 35: return fpu.f64_lt(a, b);
    case 36: return fpu.f64_le(a, b);
    case 37: return fpu.f64_classify(a);
    case 38: return <u64><i64>fpu.f64_to_i32(a, rm);
    case 39: return <u64><i64>fpu.f64_to_u32(a, rm);
    case 40: return <u64>fpu.f64_to_i64(a, rm);
    case 41: return <u64>fpu.f64_to_u64(a, rm);
    case 42: return fpu.i32_to_f64(<i32>a, rm);
    case 43: return fpu.u32_to_f64(<u32>a, rm);
    case 44: return fpu.i64_to_f64(<i64>a, rm);
    case 45: return fpu.u64_to_f64(a, rm);
    case 46: return fpu.f32_to_f64(as);
    case 47: return fpu.f64_to_f32(a, rm);
  }
  return 0xdead;
}

export function run(ptr: usize, records: i32): void {
  for (let i = 0; i < records; i++) {
    const p = ptr + <usize>i * 64;
    fpu.fpuFlags = 0;
    const r = one(<i32>load<u64>(p), <i32>load<u64>(p, 8), load<u64>(p, 16), load<u64>(p, 24),
      load<u64>(p, 32));
    store<u64>(p, r, 40);
    store<u64>(p, <u64>fpu.fpuFlags, 48);
  }
}

// Times `rounds` passes over a batch, for the throughput numbers in the test's diagnostics.
export function bench(ptr: usize, records: i32, rounds: i32): u64 {
  let acc: u64 = 0;
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < records; i++) {
      const p = ptr + <usize>i * 64;
      acc += one(<i32>load<u64>(p), <i32>load<u64>(p, 8), load<u64>(p, 16), load<u64>(p, 24),
        load<u64>(p, 32));
    }
  }
  return acc;
}
