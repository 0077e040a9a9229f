// A small typed builder for WebAssembly function bodies, written straight into wasm memory at a
// cursor (the translator's emission buffers). One function per instruction, named after the
// instruction in the WebAssembly spec (§5.4 "Instructions", binary format), so an emitter reads
// like the code it produces: `localGet(a); localGet(b); i64Add(); localSet(c)`.

let p: u32 = 0;

/** Where the next byte goes. */
export function emitAt(at: u32): void { p = at; }
export function emitPos(): u32 { return p; }

@inline export function byte(v: u32): void { store<u8>(p, <u8>v); p++; }
export function uleb(v: u32): void {
  do {
    let b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    byte(b);
  } while (v != 0);
}
export function sleb(v: i64): void {
  while (true) {
    const b = <u32>(v & 0x7f);
    v >>= 7;
    if ((v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0)) { byte(b); return; }
    byte(b | 0x80);
  }
}
export function ulebLen(v: u32): u32 {
  let n: u32 = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

// Value types.
export const I32: u32 = 0x7f;
export const I64: u32 = 0x7e;
export const F64: u32 = 0x7c;
const BLOCK_VOID: u32 = 0x40;

// Control.
export function unreachable_(): void { byte(0x00); }
export function blockVoid(): void { byte(0x02); byte(BLOCK_VOID); }
export function loopVoid(): void { byte(0x03); byte(BLOCK_VOID); }
export function ifVoid(): void { byte(0x04); byte(BLOCK_VOID); }
/** `if` whose arms leave an i64. */
export function ifI64(): void { byte(0x04); byte(I64); }
export function else_(): void { byte(0x05); }
export function end(): void { byte(0x0b); }
export function br(depth: u32): void { byte(0x0c); uleb(depth); }
export function brIf(depth: u32): void { byte(0x0d); uleb(depth); }
export function return_(): void { byte(0x0f); }
export const DROP: u32 = 0x1a;
/** [a, b, cond] -> cond ? a : b */
export function select(): void { byte(0x1b); }
/** Tail call through table `table` with type `type` (tail-call proposal, in V8 since 11.2). */
export function returnCallIndirect(type: u32, table: u32): void { byte(0x13); uleb(type); uleb(table); }

// Variables.
export function localGet(i: u32): void { byte(0x20); uleb(i); }
export function localSet(i: u32): void { byte(0x21); uleb(i); }
export function localTee(i: u32): void { byte(0x22); uleb(i); }

// Memory: alignment hint 0 (any alignment), constant offset.
function memop(opcode: u32, offset: u32): void { byte(opcode); byte(0); uleb(offset); }
export function i32Load(offset: u32): void { memop(0x28, offset); }
export function i64Load(offset: u32): void { memop(0x29, offset); }
export function i64Load8S(offset: u32): void { memop(0x30, offset); }
export function i64Load8U(offset: u32): void { memop(0x31, offset); }
export function i64Load16S(offset: u32): void { memop(0x32, offset); }
export function i64Load16U(offset: u32): void { memop(0x33, offset); }
export function i64Load32S(offset: u32): void { memop(0x34, offset); }
export function i64Load32U(offset: u32): void { memop(0x35, offset); }
export function i32Load8S(offset: u32): void { memop(0x2c, offset); }
export function i32Load8U(offset: u32): void { memop(0x2d, offset); }
export function i32Load16S(offset: u32): void { memop(0x2e, offset); }
export function i32Load16U(offset: u32): void { memop(0x2f, offset); }
export function i32Store(offset: u32): void { memop(0x36, offset); }
export function i64Store(offset: u32): void { memop(0x37, offset); }
export function i64Store8(offset: u32): void { memop(0x3c, offset); }
export function i64Store16(offset: u32): void { memop(0x3d, offset); }
export function i64Store32(offset: u32): void { memop(0x3e, offset); }
/** Any load/store opcode above, chosen at run time (access sizes). */
export function memAccess(opcode: u32, offset: u32): void { memop(opcode, offset); }

// Constants.
export function i32Const(v: i32): void { byte(0x41); sleb(<i64>v); }
export function i64Const(v: i64): void { byte(0x42); sleb(v); }

// Numeric instructions used by the translator (opcode values: WebAssembly spec §5.4.7).
export const I32_EQZ: u32 = 0x45;
export const I32_EQ: u32 = 0x46;
export const I32_NE: u32 = 0x47;
export const I32_LT_S: u32 = 0x48;
export const I32_LE_S: u32 = 0x4c;
export const I32_GT_U: u32 = 0x4b;
export const I32_GE_S: u32 = 0x4e;
export const I64_EQ: u32 = 0x51;
export const I64_NE: u32 = 0x52;
export const I64_LT_S: u32 = 0x53;
export const I64_LT_U: u32 = 0x54;
export const I64_GT_S: u32 = 0x55;
export const I64_GT_U: u32 = 0x56;
export const I64_GE_S: u32 = 0x59;
export const I64_GE_U: u32 = 0x5a;
export const I64_EQZ: u32 = 0x50;
export const I32_DIV_S: u32 = 0x6d;
export const I32_DIV_U: u32 = 0x6e;
export const I32_REM_S: u32 = 0x6f;
export const I32_REM_U: u32 = 0x70;
export const I64_DIV_S: u32 = 0x7f;
export const I64_DIV_U: u32 = 0x80;
export const I64_REM_S: u32 = 0x81;
export const I64_REM_U: u32 = 0x82;
export const I32_ADD: u32 = 0x6a;
export const I32_SUB: u32 = 0x6b;
export const I32_MUL: u32 = 0x6c;
export const I32_AND: u32 = 0x71;
export const I32_OR: u32 = 0x72;
export const I32_XOR: u32 = 0x73;
export const I32_SHL: u32 = 0x74;
export const I32_SHR_S: u32 = 0x75;
export const I32_SHR_U: u32 = 0x76;
export const I64_ADD: u32 = 0x7c;
export const I64_SUB: u32 = 0x7d;
export const I64_MUL: u32 = 0x7e;
export const I64_AND: u32 = 0x83;
export const I64_OR: u32 = 0x84;
export const I64_XOR: u32 = 0x85;
export const I64_SHL: u32 = 0x86;
export const I64_SHR_S: u32 = 0x87;
export const I64_SHR_U: u32 = 0x88;
export const I32_WRAP_I64: u32 = 0xa7;
export const I64_EXTEND_I32_S: u32 = 0xac;
export const I64_EXTEND_I32_U: u32 = 0xad;

// f64 (spec §5.4.7) and the conversions between f64 and the integers.
export const F64_EQ: u32 = 0x61;
export const F64_NE: u32 = 0x62;
export const F64_LT: u32 = 0x63;
export const F64_LE: u32 = 0x65;
export const F64_GE: u32 = 0x66;
export const F64_ABS: u32 = 0x99;
export const F64_NEG: u32 = 0x9a;
export const F64_TRUNC: u32 = 0x9d;
export const F64_ADD: u32 = 0xa0;
export const F64_SUB: u32 = 0xa1;
export const F64_MUL: u32 = 0xa2;
export const F64_DIV: u32 = 0xa3;
export const I32_TRUNC_F64_S: u32 = 0xaa;
export const F64_CONVERT_I32_S: u32 = 0xb7;
export const F64_CONVERT_I32_U: u32 = 0xb8;
export const I64_REINTERPRET_F64: u32 = 0xbd;
export const F64_REINTERPRET_I64: u32 = 0xbf;
export function f64Const(v: f64): void {
  byte(0x44);
  const bits = reinterpret<u64>(v);
  for (let k: u64 = 0; k < 64; k += 8) byte(<u32>((bits >> k) & 0xff));
}

/** A numeric instruction by its opcode (the constants above). */
export function numeric(opcode: u32): void { byte(opcode); }
export function i32Add(): void { byte(I32_ADD); }
export function i32Sub(): void { byte(I32_SUB); }
export function i32And(): void { byte(I32_AND); }
export function i32Shl(): void { byte(I32_SHL); }
export function i32Ne(): void { byte(I32_NE); }
export function i32LtS(): void { byte(I32_LT_S); }
export function i32LeS(): void { byte(I32_LE_S); }
export function i64Add(): void { byte(I64_ADD); }
export function i64And(): void { byte(I64_AND); }
export function i64ShrU(): void { byte(I64_SHR_U); }
export function i64Ne(): void { byte(I64_NE); }
export function i32WrapI64(): void { byte(I32_WRAP_I64); }
