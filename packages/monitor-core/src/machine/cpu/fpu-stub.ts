// TEMPORARY stand-in for fpu.ts (written by the FPU helper): host floats, rm ignored, no flags.
export let fpuFlags: i32 = 0;
@inline function f(a: u32): f32 { return reinterpret<f32>(a); }
@inline function u(a: f32): u32 { return reinterpret<u32>(a); }
@inline function d(a: u64): f64 { return reinterpret<f64>(a); }
@inline function v(a: f64): u64 { return reinterpret<u64>(a); }
export function f32_add(a: u32, b: u32, rm: i32): u32 { return u(f(a) + f(b)); }
export function f32_sub(a: u32, b: u32, rm: i32): u32 { return u(f(a) - f(b)); }
export function f32_mul(a: u32, b: u32, rm: i32): u32 { return u(f(a) * f(b)); }
export function f32_div(a: u32, b: u32, rm: i32): u32 { return u(f(a) / f(b)); }
export function f32_sqrt(a: u32, rm: i32): u32 { return u(Mathf.sqrt(f(a))); }
export function f32_fma(a: u32, b: u32, c: u32, rm: i32): u32 { return u(<f32>(<f64>f(a) * <f64>f(b) + <f64>f(c))); }
export function f32_min(a: u32, b: u32): u32 { return u(Mathf.min(f(a), f(b))); }
export function f32_max(a: u32, b: u32): u32 { return u(Mathf.max(f(a), f(b))); }
export function f32_eq(a: u32, b: u32): i32 { return f(a) == f(b) ? 1 : 0; }
export function f32_lt(a: u32, b: u32): i32 { return f(a) < f(b) ? 1 : 0; }
export function f32_le(a: u32, b: u32): i32 { return f(a) <= f(b) ? 1 : 0; }
export function f32_classify(a: u32): u32 { return 0; }
export function f32_to_i32(a: u32, rm: i32): i32 { return <i32>f(a); }
export function f32_to_u32(a: u32, rm: i32): i32 { return <i32><u32>f(a); }
export function f32_to_i64(a: u32, rm: i32): i64 { return <i64>f(a); }
export function f32_to_u64(a: u32, rm: i32): i64 { return <i64><u64>f(a); }
export function i32_to_f32(x: i32, rm: i32): u32 { return u(<f32>x); }
export function u32_to_f32(x: u32, rm: i32): u32 { return u(<f32>x); }
export function i64_to_f32(x: i64, rm: i32): u32 { return u(<f32>x); }
export function u64_to_f32(x: u64, rm: i32): u32 { return u(<f32>x); }
export function f64_add(a: u64, b: u64, rm: i32): u64 { return v(d(a) + d(b)); }
export function f64_sub(a: u64, b: u64, rm: i32): u64 { return v(d(a) - d(b)); }
export function f64_mul(a: u64, b: u64, rm: i32): u64 { return v(d(a) * d(b)); }
export function f64_div(a: u64, b: u64, rm: i32): u64 { return v(d(a) / d(b)); }
export function f64_sqrt(a: u64, rm: i32): u64 { return v(Math.sqrt(d(a))); }
export function f64_fma(a: u64, b: u64, c: u64, rm: i32): u64 { return v(d(a) * d(b) + d(c)); }
export function f64_min(a: u64, b: u64): u64 { return v(Math.min(d(a), d(b))); }
export function f64_max(a: u64, b: u64): u64 { return v(Math.max(d(a), d(b))); }
export function f64_eq(a: u64, b: u64): i32 { return d(a) == d(b) ? 1 : 0; }
export function f64_lt(a: u64, b: u64): i32 { return d(a) < d(b) ? 1 : 0; }
export function f64_le(a: u64, b: u64): i32 { return d(a) <= d(b) ? 1 : 0; }
export function f64_classify(a: u64): u32 { return 0; }
export function f64_to_i32(a: u64, rm: i32): i32 { return <i32>d(a); }
export function f64_to_u32(a: u64, rm: i32): i32 { return <i32><u32>d(a); }
export function f64_to_i64(a: u64, rm: i32): i64 { return <i64>d(a); }
export function f64_to_u64(a: u64, rm: i32): i64 { return <i64><u64>d(a); }
export function i32_to_f64(x: i32, rm: i32): u64 { return v(<f64>x); }
export function u32_to_f64(x: u32, rm: i32): u64 { return v(<f64>x); }
export function i64_to_f64(x: i64, rm: i32): u64 { return v(<f64>x); }
export function u64_to_f64(x: u64, rm: i32): u64 { return v(<f64>x); }
export function f32_to_f64(a: u32): u64 { return v(<f64>f(a)); }
export function f64_to_f32(a: u64, rm: i32): u32 { return u(<f32>d(a)); }
