// Golden tests of the translator's output (cpu/jit.ts through cpu/wasm-emit.ts): fixed RISC-V
// snippets and the WebAssembly function body they must become, as text, so that a wrong opcode
// or operand fails next to its cause instead of as a register mismatch against QEMU. The body
// comes from the core's `jitEmit` export (translated, not compiled) and is disassembled here
// with the instruction names of the WebAssembly spec (§5.4, binary format).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The es2024 lib has no WebAssembly declarations; this is the slice of the JS API used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: object };
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const wasmPath = join(import.meta.dirname, '..', 'build', 'cpu.wasm');
const RAM_SIZE = 1 << 20;

interface Core {
  ramBase(): number;
  init(ramSize: number): void;
  jitEmit(pc: bigint, host: number): bigint;
  jitEmitHint(i: number): number;
}

function core() {
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  let memory = new WebAssembly.Memory({ initial: 64, maximum: 65536 });
  const env = {
    get memory() {
      return memory;
    },
    mmioRead: () => 0,
    mmioWrite: () => {},
    abort: () => {
      throw new Error('abort');
    },
    jitCompile: () => 0,
    clock: () => 0,
  };
  const probe = new WebAssembly.Instance(module, { env }).exports as unknown as Core;
  memory = new WebAssembly.Memory({ initial: Math.ceil((probe.ramBase() + RAM_SIZE) / 65536), maximum: 65536 });
  const cpu = new WebAssembly.Instance(module, { env }).exports as unknown as Core;
  cpu.init(RAM_SIZE);
  return { cpu, memory };
}

const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7c: 'f64' };
// name, immediates: b = block type, u = uleb, v = uleb vector + default, s = sleb, m = memarg (align, offset), t = type+table, f = f64
const OPS: Record<number, [string, string]> = {
  0x00: ['unreachable', ''],
  0x44: ['f64.const', 'f'],
  0x61: ['f64.eq', ''],
  0x62: ['f64.ne', ''],
  0x63: ['f64.lt', ''],
  0x65: ['f64.le', ''],
  0x66: ['f64.ge', ''],
  0x99: ['f64.abs', ''],
  0x9a: ['f64.neg', ''],
  0x9d: ['f64.trunc', ''],
  0xa0: ['f64.add', ''],
  0xa1: ['f64.sub', ''],
  0xa2: ['f64.mul', ''],
  0xa3: ['f64.div', ''],
  0xaa: ['i32.trunc_f64_s', ''],
  0xb7: ['f64.convert_i32_s', ''],
  0xb8: ['f64.convert_i32_u', ''],
  0xbd: ['i64.reinterpret_f64', ''],
  0xbf: ['f64.reinterpret_i64', ''],
  0x02: ['block', 'b'],
  0x03: ['loop', 'b'],
  0x04: ['if', 'b'],
  0x05: ['else', ''],
  0x0b: ['end', ''],
  0x0c: ['br', 'u'],
  0x0d: ['br_if', 'u'],
  0x0e: ['br_table', 'v'],
  0x0f: ['return', ''],
  0x1a: ['drop', ''],
  0x1b: ['select', ''],
  0x13: ['return_call_indirect', 't'],
  0x20: ['local.get', 'u'],
  0x21: ['local.set', 'u'],
  0x22: ['local.tee', 'u'],
  0x28: ['i32.load', 'm'],
  0x29: ['i64.load', 'm'],
  0x2c: ['i32.load8_s', 'm'],
  0x2d: ['i32.load8_u', 'm'],
  0x2e: ['i32.load16_s', 'm'],
  0x2f: ['i32.load16_u', 'm'],
  0x30: ['i64.load8_s', 'm'],
  0x31: ['i64.load8_u', 'm'],
  0x32: ['i64.load16_s', 'm'],
  0x33: ['i64.load16_u', 'm'],
  0x34: ['i64.load32_s', 'm'],
  0x35: ['i64.load32_u', 'm'],
  0x36: ['i32.store', 'm'],
  0x37: ['i64.store', 'm'],
  0x3c: ['i64.store8', 'm'],
  0x3d: ['i64.store16', 'm'],
  0x3e: ['i64.store32', 'm'],
  0x41: ['i32.const', 's'],
  0x42: ['i64.const', 's'],
  0x45: ['i32.eqz', ''],
  0x46: ['i32.eq', ''],
  0x47: ['i32.ne', ''],
  0x48: ['i32.lt_s', ''],
  0x4b: ['i32.gt_u', ''],
  0x4c: ['i32.le_s', ''],
  0x4e: ['i32.ge_s', ''],
  0x50: ['i64.eqz', ''],
  0x51: ['i64.eq', ''],
  0x52: ['i64.ne', ''],
  0x53: ['i64.lt_s', ''],
  0x54: ['i64.lt_u', ''],
  0x55: ['i64.gt_s', ''],
  0x56: ['i64.gt_u', ''],
  0x59: ['i64.ge_s', ''],
  0x5a: ['i64.ge_u', ''],
  0x6a: ['i32.add', ''],
  0x6b: ['i32.sub', ''],
  0x6c: ['i32.mul', ''],
  0x6d: ['i32.div_s', ''],
  0x6e: ['i32.div_u', ''],
  0x6f: ['i32.rem_s', ''],
  0x70: ['i32.rem_u', ''],
  0x71: ['i32.and', ''],
  0x72: ['i32.or', ''],
  0x73: ['i32.xor', ''],
  0x74: ['i32.shl', ''],
  0x75: ['i32.shr_s', ''],
  0x76: ['i32.shr_u', ''],
  0x7c: ['i64.add', ''],
  0x7d: ['i64.sub', ''],
  0x7e: ['i64.mul', ''],
  0x7f: ['i64.div_s', ''],
  0x80: ['i64.div_u', ''],
  0x81: ['i64.rem_s', ''],
  0x82: ['i64.rem_u', ''],
  0x83: ['i64.and', ''],
  0x84: ['i64.or', ''],
  0x85: ['i64.xor', ''],
  0x86: ['i64.shl', ''],
  0x87: ['i64.shr_s', ''],
  0x88: ['i64.shr_u', ''],
  0xa7: ['i32.wrap_i64', ''],
  0xac: ['i64.extend_i32_s', ''],
  0xad: ['i64.extend_i32_u', ''],
};

/** The body as one instruction per line, nested blocks indented; locals first. */
function disassemble(bytes: Uint8Array, unlikely: Set<number>): string {
  let i = 0;
  const uleb = () => {
    let v = 0,
      shift = 0,
      b;
    do {
      b = bytes[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  const sleb = () => {
    let v = 0n,
      shift = 0n,
      b;
    do {
      b = bytes[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    return b & 0x40 ? v - (1n << shift) : v;
  };
  const out: string[] = [];
  const groups = uleb();
  const locals: string[] = [];
  for (let g = 0; g < groups; g++) {
    const n = uleb();
    locals.push(`${n} ${VALUE_TYPES[bytes[i++]!] ?? '?'}`);
  }
  out.push(`locals ${locals.join(', ')}`);
  let depth = 0;
  while (i < bytes.length) {
    const at = i;
    const op = bytes[i++]!;
    const [name, imm] = OPS[op] ?? [`<0x${op.toString(16)}>`, ''];
    if (name === 'end' || name === 'else') depth--;
    let text = unlikely.delete(at) ? `${name} ;; hinted unlikely` : name;
    if (imm === 'b') {
      const bt = bytes[i++]!;
      if (bt !== 0x40) text += bt === 0x7e ? ' (result i64)' : ` (type ${bt})`;
    } else if (imm === 'u') text += ` ${uleb()}`;
    else if (imm === 'v') {
      const n = uleb();
      for (let k = 0; k <= n; k++) text += ` ${uleb()}`;
    } else if (imm === 's') {
      const v = sleb();
      text += ` ${v < -4096n || v > 4096n ? `0x${BigInt.asUintN(64, v).toString(16)}` : v}`;
    } else if (imm === 'm') {
      uleb();
      text += ` offset=0x${uleb().toString(16)}`;
    } else if (imm === 't') text += ` type=${uleb()} table=${uleb()}`;
    else if (imm === 'f') {
      text += ` ${new DataView(bytes.buffer, bytes.byteOffset + i, 8).getFloat64(0, true)}`;
      i += 8;
    }
    out.push(`${'  '.repeat(Math.max(0, depth))}${text}`);
    if (imm === 'b' || name === 'else') depth++;
  }
  // Every branch hint must point at an instruction (the section is metadata on instructions).
  if (unlikely.size) out.push(`hints not at an instruction: ${[...unlikely].join(', ')}`);
  return out.join('\n');
}

/** Translate `words` (32-bit instructions) placed at guest pc 0x80001000. */
function emit(words: number[]): string {
  const { cpu, memory } = core();
  const at = cpu.ramBase() + 0x1000;
  const view = new DataView(memory.buffer);
  words.forEach((w, k) => view.setUint32(at + 4 * k, w >>> 0, true));
  const r = cpu.jitEmit(0x80001000n, at);
  t.not(r, 0n, 'the snippet was translated');
  const start = Number(r >> 32n);
  const hints = new Set<number>();
  for (let k = 0, off; (off = cpu.jitEmitHint(k)) >= 0; k++) hints.add(off);
  const text = disassemble(new Uint8Array(memory.buffer, start, Number(r & 0xffffffffn)), hints);
  if (process.env.GOLDEN_PRINT) console.log(`=== golden\n${text}\n=== end`); // to review a change
  return text;
}

// The state block is at 0x1000: x[r] at 0x1000 + 8r. JIT_NPC = 0x1900, JIT_TLB_PTRS = 0x1908
// (read, write, code), JIT_REM = 0x1914. Locals: 0 the member entered, 1 va, 2 TLB
// entry / host address, 3 remaining budget, 4 cache entry, 4 + r = x[r].

t.test('add; ld; ret: registers in locals, the load TLB fast path, jalr through the block cache', async (t) => {
  // add a0, a1, a2 / ld a3, 8(a0) / jalr x0, 0(ra)
  const text = emit([0x00c58533, 0x00853683, 0x00008067]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
i32.const 0
i64.load offset=0x1050
local.set 14
i32.const 0
i64.load offset=0x1058
local.set 15
i32.const 0
i64.load offset=0x1060
local.set 16
i32.const 0
i64.load offset=0x1068
local.set 17
block
  block
    block
      loop
        local.get 3
        i32.const 3
        i32.sub
        local.set 3
        local.get 15
        local.get 16
        i64.add
        local.set 14
        local.get 14
        i64.const 8
        i64.add
        local.set 1
        i32.const 0
        i32.load offset=0x1908
        local.get 1
        i64.const 8
        i64.shr_u
        i32.wrap_i64
        i32.const 0xfff0
        i32.and
        i32.add
        local.tee 2
        i64.load offset=0x0
        local.get 1
        i64.const 7
        i64.add
        i64.const -4096
        i64.and
        i64.ne
        if ;; hinted unlikely
          i64.const 0x80001004
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        local.get 2
        i64.load offset=0x8
        local.set 44
        local.get 1
        i64.const -4096
        i64.and
        local.set 43
        local.get 1
        local.get 44
        i64.add
        i32.wrap_i64
        i64.load offset=0x0
        local.set 17
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 14
  i64.store offset=0x1050
  i32.const 0
  local.get 17
  i64.store offset=0x1068
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 14
i64.store offset=0x1050
i32.const 0
local.get 17
i64.store offset=0x1068
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});

t.test('a loop back to the block start stays in the function: wasm loop, budget check, br', async (t) => {
  // loop: addi a0, a0, -1 / bne a0, x0, loop
  const text = emit([0xfff50513, 0xfe051ee3]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1050
local.set 14
block
  block
    block
      loop
        local.get 3
        i32.const 2
        i32.sub
        local.set 3
        local.get 14
        i64.const -1
        i64.add
        local.set 14
        local.get 14
        i64.const 0
        i64.ne
        if
          local.get 3
          i32.const 0
          i32.le_s
          if ;; hinted unlikely
            i64.const 0x80001000
            local.set 1
            br 5
          end
          i32.const 0
          local.set 0
          br 1
        end
        i64.const 0x80001008
        local.set 1
        i32.const 0xd51008
        local.set 2
        i32.const 0x348040
        local.set 4
        br 2
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 14
  i64.store offset=0x1050
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 14
i64.store offset=0x1050
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});

t.test(
  'a region of two blocks: br_table dispatcher, a branch forward to the next member as a plain br, the jump back through the dispatcher after the budget check',
  async (t) => {
    // loop: addi a0, a0, -1 / beq a0, a1, skip / addi a2, a2, 1 / j loop / skip: ret
    const text = emit([0xfff50513, 0x00b50663, 0x00160613, 0xff5ff06f, 0x00008067]);
    t.equal(
      text,
      `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
i32.const 0
i64.load offset=0x1050
local.set 14
i32.const 0
i64.load offset=0x1058
local.set 15
i32.const 0
i64.load offset=0x1060
local.set 16
block
  block
    block
      loop
        block
          block
            local.get 0
            br_table 0 1 0
          end
          local.get 3
          i32.const 4
          i32.sub
          local.set 3
          local.get 14
          i64.const -1
          i64.add
          local.set 14
          local.get 14
          local.get 15
          i64.eq
          if
            local.get 3
            i32.const 2
            i32.add
            local.set 3
            br 1
          end
          local.get 16
          i64.const 1
          i64.add
          local.set 16
          local.get 3
          i32.const 0
          i32.le_s
          if ;; hinted unlikely
            i64.const 0x80001000
            local.set 1
            br 5
          end
          i32.const 0
          local.set 0
          br 1
        end
        local.get 3
        i32.const 1
        i32.sub
        local.set 3
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 14
  i64.store offset=0x1050
  i32.const 0
  local.get 16
  i64.store offset=0x1060
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 14
i64.store offset=0x1050
i32.const 0
local.get 16
i64.store offset=0x1060
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
    );
  },
);

t.test('AMOs on the write TLB fast path: amoadd.w, amomaxu.d; LR/SC with the reservation at 0x1930', async (t) => {
  // amoadd.w a0, a1, (a2) / amomaxu.d a3, a4, (a5) / lr.d a0, (a2) / sc.d a1, a0, (a2) / ret
  const text = emit([0x00b6252f, 0xe0e7b6af, 0x1006352f, 0x18a635af, 0x00008067]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
i32.const 0
i64.load offset=0x1050
local.set 14
i32.const 0
i64.load offset=0x1058
local.set 15
i32.const 0
i64.load offset=0x1060
local.set 16
i32.const 0
i64.load offset=0x1068
local.set 17
i32.const 0
i64.load offset=0x1070
local.set 18
i32.const 0
i64.load offset=0x1078
local.set 19
block
  block
    block
      loop
        local.get 3
        i32.const 5
        i32.sub
        local.set 3
        local.get 16
        i64.const 0
        i64.add
        local.set 1
        i32.const 0
        i32.load offset=0x190c
        local.get 1
        i64.const 8
        i64.shr_u
        i32.wrap_i64
        i32.const 0xfff0
        i32.and
        i32.add
        local.tee 2
        i64.load offset=0x0
        local.get 1
        i64.const -4093
        i64.and
        i64.ne
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 5
          i32.add
          local.set 3
          br 4
        end
        local.get 2
        i64.load offset=0x8
        local.set 46
        local.get 1
        local.get 46
        i64.add
        i32.wrap_i64
        local.set 2
        local.get 2
        i64.load32_s offset=0x0
        local.set 1
        local.get 2
        local.get 1
        local.get 15
        i32.wrap_i64
        i64.extend_i32_s
        i64.add
        i64.store32 offset=0x0
        local.get 1
        local.set 14
        local.get 19
        i64.const 0
        i64.add
        local.set 1
        i32.const 0
        i32.load offset=0x190c
        local.get 1
        i64.const 8
        i64.shr_u
        i32.wrap_i64
        i32.const 0xfff0
        i32.and
        i32.add
        local.tee 2
        i64.load offset=0x0
        local.get 1
        i64.const -4089
        i64.and
        i64.ne
        if ;; hinted unlikely
          i64.const 0x80001004
          local.set 1
          local.get 3
          i32.const 4
          i32.add
          local.set 3
          br 4
        end
        local.get 2
        i64.load offset=0x8
        local.set 46
        local.get 1
        local.get 46
        i64.add
        i32.wrap_i64
        local.set 2
        local.get 2
        i64.load offset=0x0
        local.set 1
        local.get 2
        local.get 1
        local.get 18
        local.get 1
        local.get 18
        i64.gt_u
        select
        i64.store offset=0x0
        local.get 1
        local.set 17
        local.get 16
        i64.const 0
        i64.add
        local.set 1
        i32.const 0
        i32.load offset=0x1908
        local.get 1
        i64.const 8
        i64.shr_u
        i32.wrap_i64
        i32.const 0xfff0
        i32.and
        i32.add
        local.tee 2
        i64.load offset=0x0
        local.get 1
        i64.const -4089
        i64.and
        i64.ne
        if ;; hinted unlikely
          i64.const 0x80001008
          local.set 1
          local.get 3
          i32.const 3
          i32.add
          local.set 3
          br 4
        end
        local.get 2
        i64.load offset=0x8
        local.set 44
        local.get 1
        local.get 44
        i64.add
        i32.wrap_i64
        local.set 2
        local.get 2
        i64.load offset=0x0
        local.set 14
        i32.const 0
        local.get 2
        i64.extend_i32_u
        i64.store offset=0x1930
        local.get 16
        i64.const 0
        i64.add
        local.set 1
        i32.const 0
        i32.load offset=0x190c
        local.get 1
        i64.const 8
        i64.shr_u
        i32.wrap_i64
        i32.const 0xfff0
        i32.and
        i32.add
        local.tee 2
        i64.load offset=0x0
        local.get 1
        i64.const -4089
        i64.and
        i64.ne
        if ;; hinted unlikely
          i64.const 0x8000100c
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        local.get 2
        i64.load offset=0x8
        local.set 46
        local.get 1
        local.get 46
        i64.add
        i32.wrap_i64
        local.set 2
        i32.const 0
        i64.load offset=0x1930
        local.get 2
        i64.extend_i32_u
        i64.eq
        if (result i64)
          local.get 2
          local.get 14
          i64.store offset=0x0
          i64.const 0
        else
          i64.const 1
        end
        local.set 15
        i32.const 0
        i64.const -1
        i64.store offset=0x1930
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 14
  i64.store offset=0x1050
  i32.const 0
  local.get 15
  i64.store offset=0x1058
  i32.const 0
  local.get 17
  i64.store offset=0x1068
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 14
i64.store offset=0x1050
i32.const 0
local.get 15
i64.store offset=0x1058
i32.const 0
local.get 17
i64.store offset=0x1068
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});

t.test('mulh, mulhsu, mulhu: the high product from 32-bit halves, sign corrections by select', async (t) => {
  // mulh a0, a1, a2 / mulhsu a3, a1, a2 / mulhu a4, a1, a2 / ret
  const text = emit([0x02c59533, 0x02c5a6b3, 0x02c5b733, 0x00008067]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
i32.const 0
i64.load offset=0x1050
local.set 14
i32.const 0
i64.load offset=0x1058
local.set 15
i32.const 0
i64.load offset=0x1060
local.set 16
i32.const 0
i64.load offset=0x1068
local.set 17
i32.const 0
i64.load offset=0x1070
local.set 18
block
  block
    block
      loop
        local.get 3
        i32.const 4
        i32.sub
        local.set 3
        local.get 15
        local.set 36
        local.get 16
        local.set 37
        local.get 36
        i64.const 0xffffffff
        i64.and
        local.get 37
        i64.const 32
        i64.shr_u
        i64.mul
        local.set 38
        local.get 36
        i64.const 32
        i64.shr_u
        local.get 37
        i64.const 0xffffffff
        i64.and
        i64.mul
        local.set 39
        local.get 36
        i64.const 0xffffffff
        i64.and
        local.get 37
        i64.const 0xffffffff
        i64.and
        i64.mul
        i64.const 32
        i64.shr_u
        local.get 38
        i64.const 0xffffffff
        i64.and
        i64.add
        local.get 39
        i64.const 0xffffffff
        i64.and
        i64.add
        local.set 1
        local.get 36
        i64.const 32
        i64.shr_u
        local.get 37
        i64.const 32
        i64.shr_u
        i64.mul
        local.get 38
        i64.const 32
        i64.shr_u
        i64.add
        local.get 39
        i64.const 32
        i64.shr_u
        i64.add
        local.get 1
        i64.const 32
        i64.shr_u
        i64.add
        local.get 37
        i64.const 0
        local.get 36
        i64.const 0
        i64.lt_s
        select
        i64.sub
        local.get 36
        i64.const 0
        local.get 37
        i64.const 0
        i64.lt_s
        select
        i64.sub
        local.set 14
        local.get 15
        local.set 36
        local.get 16
        local.set 37
        local.get 36
        i64.const 0xffffffff
        i64.and
        local.get 37
        i64.const 32
        i64.shr_u
        i64.mul
        local.set 38
        local.get 36
        i64.const 32
        i64.shr_u
        local.get 37
        i64.const 0xffffffff
        i64.and
        i64.mul
        local.set 39
        local.get 36
        i64.const 0xffffffff
        i64.and
        local.get 37
        i64.const 0xffffffff
        i64.and
        i64.mul
        i64.const 32
        i64.shr_u
        local.get 38
        i64.const 0xffffffff
        i64.and
        i64.add
        local.get 39
        i64.const 0xffffffff
        i64.and
        i64.add
        local.set 1
        local.get 36
        i64.const 32
        i64.shr_u
        local.get 37
        i64.const 32
        i64.shr_u
        i64.mul
        local.get 38
        i64.const 32
        i64.shr_u
        i64.add
        local.get 39
        i64.const 32
        i64.shr_u
        i64.add
        local.get 1
        i64.const 32
        i64.shr_u
        i64.add
        local.get 37
        i64.const 0
        local.get 36
        i64.const 0
        i64.lt_s
        select
        i64.sub
        local.set 17
        local.get 15
        local.set 36
        local.get 16
        local.set 37
        local.get 36
        i64.const 0xffffffff
        i64.and
        local.get 37
        i64.const 32
        i64.shr_u
        i64.mul
        local.set 38
        local.get 36
        i64.const 32
        i64.shr_u
        local.get 37
        i64.const 0xffffffff
        i64.and
        i64.mul
        local.set 39
        local.get 36
        i64.const 0xffffffff
        i64.and
        local.get 37
        i64.const 0xffffffff
        i64.and
        i64.mul
        i64.const 32
        i64.shr_u
        local.get 38
        i64.const 0xffffffff
        i64.and
        i64.add
        local.get 39
        i64.const 0xffffffff
        i64.and
        i64.add
        local.set 1
        local.get 36
        i64.const 32
        i64.shr_u
        local.get 37
        i64.const 32
        i64.shr_u
        i64.mul
        local.get 38
        i64.const 32
        i64.shr_u
        i64.add
        local.get 39
        i64.const 32
        i64.shr_u
        i64.add
        local.get 1
        i64.const 32
        i64.shr_u
        i64.add
        local.set 18
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 14
  i64.store offset=0x1050
  i32.const 0
  local.get 17
  i64.store offset=0x1068
  i32.const 0
  local.get 18
  i64.store offset=0x1070
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 14
i64.store offset=0x1050
i32.const 0
local.get 17
i64.store offset=0x1068
i32.const 0
local.get 18
i64.store offset=0x1070
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});

t.test('fadd.d, fmul.d, flt.d: wasm f64 where no flag can newly be set, else the interpreter', async (t) => {
  // fadd.d fa0, fa1, fa2 (dynamic rm) / fmul.d fa3, fa1, fa2 / flt.d a4, fa1, fa2 / ret
  const text = emit([0x02c5f553, 0x12c5f6d3, 0xa2c59753, 0x00008067]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
i32.const 0
i64.load offset=0x1070
local.set 18
block
  block
    block
      loop
        local.get 3
        i32.const 4
        i32.sub
        local.set 3
        i32.const 0
        i32.load offset=0x1918
        i32.const 3
        i32.ne
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 4
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        i32.load offset=0x1938
        i32.const 224
        i32.and
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 4
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        i64.load offset=0x1158
        f64.reinterpret_i64
        local.set 40
        i32.const 0
        i64.load offset=0x1160
        f64.reinterpret_i64
        local.set 41
        local.get 40
        local.get 41
        f64.add
        local.set 42
        local.get 42
        f64.abs
        f64.const Infinity
        f64.lt
        i32.eqz
        local.get 40
        local.get 42
        local.get 42
        local.get 40
        f64.sub
        f64.sub
        f64.sub
        local.get 41
        local.get 42
        local.get 40
        f64.sub
        f64.sub
        f64.add
        f64.const 0
        f64.ne
        i32.const 0
        i32.load offset=0x1938
        i32.const 1
        i32.and
        i32.eqz
        i32.and
        i32.or
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 4
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        local.get 42
        i64.reinterpret_f64
        i64.store offset=0x1150
        i32.const 0
        i32.load offset=0x1918
        i32.const 3
        i32.ne
        if ;; hinted unlikely
          i64.const 0x80001004
          local.set 1
          local.get 3
          i32.const 3
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        i32.load offset=0x1938
        i32.const 224
        i32.and
        if ;; hinted unlikely
          i64.const 0x80001004
          local.set 1
          local.get 3
          i32.const 3
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        i64.load offset=0x1158
        f64.reinterpret_i64
        local.set 40
        i32.const 0
        i64.load offset=0x1160
        f64.reinterpret_i64
        local.set 41
        local.get 40
        local.get 41
        f64.mul
        local.set 42
        local.get 42
        f64.abs
        f64.const Infinity
        f64.lt
        i32.eqz
        local.get 42
        f64.abs
        f64.const 2.2250738585072014e-308
        f64.lt
        i32.or
        i32.const 0
        i32.load offset=0x1938
        i32.const 1
        i32.and
        i32.eqz
        i32.or
        if ;; hinted unlikely
          i64.const 0x80001004
          local.set 1
          local.get 3
          i32.const 3
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        local.get 42
        i64.reinterpret_f64
        i64.store offset=0x1168
        i32.const 0
        i32.load offset=0x1918
        i32.eqz
        if ;; hinted unlikely
          i64.const 0x80001008
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        i64.load offset=0x1158
        f64.reinterpret_i64
        local.set 40
        i32.const 0
        i64.load offset=0x1160
        f64.reinterpret_i64
        local.set 41
        local.get 40
        local.get 40
        f64.ne
        local.get 41
        local.get 41
        f64.ne
        i32.or
        if ;; hinted unlikely
          i64.const 0x80001008
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        local.get 40
        local.get 41
        f64.lt
        i64.extend_i32_u
        local.set 18
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 18
  i64.store offset=0x1070
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 18
i64.store offset=0x1070
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});

t.test('loads and stores through one base register: the TLB once per kind, then a page check', async (t) => {
  // ld a1, 0(sp) / ld a2, 8(sp) / sd a3, 16(sp) / sd a4, 24(sp) / ret
  const text = emit([0x00013583, 0x00813603, 0x00d13823, 0x00e13c23, 0x00008067]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
i32.const 0
i64.load offset=0x1010
local.set 6
i32.const 0
i64.load offset=0x1058
local.set 15
i32.const 0
i64.load offset=0x1060
local.set 16
i32.const 0
i64.load offset=0x1068
local.set 17
i32.const 0
i64.load offset=0x1070
local.set 18
block
  block
    block
      loop
        local.get 3
        i32.const 5
        i32.sub
        local.set 3
        local.get 6
        i64.const 0
        i64.add
        local.set 1
        i32.const 0
        i32.load offset=0x1908
        local.get 1
        i64.const 8
        i64.shr_u
        i32.wrap_i64
        i32.const 0xfff0
        i32.and
        i32.add
        local.tee 2
        i64.load offset=0x0
        local.get 1
        i64.const 7
        i64.add
        i64.const -4096
        i64.and
        i64.ne
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 5
          i32.add
          local.set 3
          br 4
        end
        local.get 2
        i64.load offset=0x8
        local.set 44
        local.get 1
        i64.const -4096
        i64.and
        local.set 43
        local.get 1
        local.get 44
        i64.add
        i32.wrap_i64
        i64.load offset=0x0
        local.set 15
        local.get 6
        i64.const 8
        i64.add
        local.set 1
        local.get 1
        local.get 43
        i64.sub
        i64.const 4088
        i64.gt_u
        if ;; hinted unlikely
          i64.const 0x80001004
          local.set 1
          local.get 3
          i32.const 4
          i32.add
          local.set 3
          br 4
        end
        local.get 1
        local.get 44
        i64.add
        i32.wrap_i64
        i64.load offset=0x0
        local.set 16
        local.get 6
        i64.const 16
        i64.add
        local.set 1
        i32.const 0
        i32.load offset=0x190c
        local.get 1
        i64.const 8
        i64.shr_u
        i32.wrap_i64
        i32.const 0xfff0
        i32.and
        i32.add
        local.tee 2
        i64.load offset=0x0
        local.get 1
        i64.const 7
        i64.add
        i64.const -4096
        i64.and
        i64.ne
        if ;; hinted unlikely
          i64.const 0x80001008
          local.set 1
          local.get 3
          i32.const 3
          i32.add
          local.set 3
          br 4
        end
        local.get 2
        i64.load offset=0x8
        local.set 46
        local.get 1
        i64.const -4096
        i64.and
        local.set 45
        local.get 1
        local.get 46
        i64.add
        i32.wrap_i64
        local.get 17
        i64.store offset=0x0
        local.get 6
        i64.const 24
        i64.add
        local.set 1
        local.get 1
        local.get 45
        i64.sub
        i64.const 4088
        i64.gt_u
        if ;; hinted unlikely
          i64.const 0x8000100c
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        local.get 1
        local.get 46
        i64.add
        i32.wrap_i64
        local.get 18
        i64.store offset=0x0
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 15
  i64.store offset=0x1058
  i32.const 0
  local.get 16
  i64.store offset=0x1060
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 15
i64.store offset=0x1058
i32.const 0
local.get 16
i64.store offset=0x1060
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});

t.test('if-conversion: a branch forward over register-only instructions becomes selects, the budget gets back what it skipped', async (t) => {
  // sltu t0, a7, a2 / beqz t0, 1f / addi a0, a0, 1 / xor a1, a1, a0 / 1: ret
  const text = emit([0x00c8b2b3, 0x00028663, 0x00150513, 0x00a5c5b3, 0x00008067]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
i32.const 0
i64.load offset=0x1028
local.set 9
i32.const 0
i64.load offset=0x1050
local.set 14
i32.const 0
i64.load offset=0x1058
local.set 15
i32.const 0
i64.load offset=0x1060
local.set 16
i32.const 0
i64.load offset=0x1088
local.set 21
block
  block
    block
      loop
        local.get 3
        i32.const 5
        i32.sub
        local.set 3
        local.get 21
        local.get 16
        i64.lt_u
        i64.extend_i32_u
        local.set 9
        local.get 9
        i64.const 0
        i64.eq
        i32.eqz
        local.set 2
        local.get 3
        i32.const 0
        i32.const 2
        local.get 2
        select
        i32.add
        local.set 3
        local.get 14
        i64.const 1
        i64.add
        local.get 14
        local.get 2
        select
        local.set 14
        local.get 15
        local.get 14
        i64.xor
        local.get 15
        local.get 2
        select
        local.set 15
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  i32.const 0
  local.get 9
  i64.store offset=0x1028
  i32.const 0
  local.get 14
  i64.store offset=0x1050
  i32.const 0
  local.get 15
  i64.store offset=0x1058
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 9
i64.store offset=0x1028
i32.const 0
local.get 14
i64.store offset=0x1050
i32.const 0
local.get 15
i64.store offset=0x1058
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});

t.test('fmadd.d in RNE: the exponent window, Dekker products, TwoSums, rounding to odd, NX into fcsr', async (t) => {
  // fmadd.d fa0, fa1, fa2, fa3, rne / ret
  const text = emit([0x6ac58543, 0x00008067]);
  t.equal(
    text,
    `locals 1 i64, 3 i32, 31 i64, 4 i64, 3 f64, 4 i64, 8 f64
i32.const 0
i32.load offset=0x1914
local.set 3
i32.const 0
i64.load offset=0x1008
local.set 5
block
  block
    block
      loop
        local.get 3
        i32.const 2
        i32.sub
        local.set 3
        i32.const 0
        i32.load offset=0x1918
        i32.const 3
        i32.ne
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        i64.load offset=0x1158
        i64.const 52
        i64.shr_u
        i32.wrap_i64
        i32.const 2047
        i32.and
        i32.const 573
        i32.sub
        i32.const 900
        i32.gt_u
        i32.const 0
        i64.load offset=0x1160
        i64.const 52
        i64.shr_u
        i32.wrap_i64
        i32.const 2047
        i32.and
        i32.const 573
        i32.sub
        i32.const 900
        i32.gt_u
        i32.or
        i32.const 0
        i64.load offset=0x1168
        i64.const 52
        i64.shr_u
        i32.wrap_i64
        i32.const 2047
        i32.and
        i32.const 123
        i32.sub
        i32.const 1800
        i32.gt_u
        i32.or
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        i32.const 0
        i64.load offset=0x1158
        f64.reinterpret_i64
        local.set 40
        i32.const 0
        i64.load offset=0x1160
        f64.reinterpret_i64
        local.set 41
        i32.const 0
        i64.load offset=0x1168
        f64.reinterpret_i64
        local.set 42
        local.get 40
        local.get 41
        f64.mul
        local.set 47
        f64.const 134217729
        local.get 40
        f64.mul
        local.tee 48
        local.get 48
        local.get 40
        f64.sub
        f64.sub
        local.set 48
        local.get 40
        local.get 48
        f64.sub
        local.set 49
        f64.const 134217729
        local.get 41
        f64.mul
        local.tee 50
        local.get 50
        local.get 41
        f64.sub
        f64.sub
        local.set 50
        local.get 41
        local.get 50
        f64.sub
        local.set 51
        local.get 48
        local.get 50
        f64.mul
        local.get 47
        f64.sub
        local.get 48
        local.get 51
        f64.mul
        f64.add
        local.get 49
        local.get 50
        f64.mul
        f64.add
        local.get 49
        local.get 51
        f64.mul
        f64.add
        local.set 52
        local.get 42
        local.get 47
        f64.add
        local.tee 53
        local.get 42
        f64.sub
        local.set 54
        local.get 42
        local.get 53
        local.get 54
        f64.sub
        f64.sub
        local.get 47
        local.get 54
        f64.sub
        f64.add
        local.set 54
        local.get 54
        local.get 52
        f64.add
        local.tee 48
        local.get 54
        f64.sub
        local.set 49
        local.get 54
        local.get 48
        local.get 49
        f64.sub
        f64.sub
        local.get 52
        local.get 49
        f64.sub
        f64.add
        local.set 49
        local.get 48
        i64.reinterpret_f64
        local.get 49
        f64.const 0
        f64.lt
        local.get 48
        f64.const 0
        f64.lt
        i32.ne
        i64.extend_i32_u
        i64.sub
        i64.const 1
        i64.or
        f64.reinterpret_i64
        local.get 48
        local.get 49
        f64.const 0
        f64.ne
        select
        local.set 51
        local.get 53
        local.get 51
        f64.add
        local.tee 41
        local.get 53
        f64.sub
        local.set 50
        local.get 53
        local.get 41
        local.get 50
        f64.sub
        f64.sub
        local.get 51
        local.get 50
        f64.sub
        f64.add
        local.set 50
        local.get 41
        i64.reinterpret_f64
        i64.const 52
        i64.shr_u
        i32.wrap_i64
        i32.const 2047
        i32.and
        i32.const 123
        i32.lt_s
        if ;; hinted unlikely
          i64.const 0x80001000
          local.set 1
          local.get 3
          i32.const 2
          i32.add
          local.set 3
          br 4
        end
        local.get 49
        f64.const 0
        f64.ne
        local.get 50
        f64.const 0
        f64.ne
        i32.or
        if
          i32.const 0
          i32.const 0
          i32.load offset=0x1938
          i32.const 1
          i32.or
          i32.store offset=0x1938
        end
        i32.const 0
        local.get 41
        i64.reinterpret_f64
        i64.store offset=0x1150
        local.get 5
        i64.const 0
        i64.add
        i64.const -2
        i64.and
        local.set 1
        br 1
      end
      unreachable
    end
    block
      i32.const 0
      i32.load offset=0x1910
      local.get 1
      i64.const 8
      i64.shr_u
      i32.wrap_i64
      i32.const 0xfff0
      i32.and
      i32.add
      local.tee 2
      i64.load offset=0x0
      local.get 1
      i64.const -4096
      i64.and
      i64.ne
      br_if 0
      local.get 1
      local.get 2
      i64.load offset=0x8
      i64.add
      i32.wrap_i64
      local.set 2
      local.get 1
      i32.wrap_i64
      local.tee 4
      local.get 4
      i32.const 16
      i32.shr_u
      i32.xor
      i32.const 3
      i32.shl
      i32.const 0xfffe0
      i32.and
      i32.const 0x300000
      i32.add
      local.set 4
      br 1
    end
    br 1
  end
  block
    local.get 3
    i32.const 0
    i32.le_s
    br_if 0
    block
      local.get 4
      i64.load offset=0x0
      local.get 1
      i64.eq
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.eq
      i32.and
      br_if 0
      local.get 4
      i32.const 16
      i32.add
      local.tee 4
      i64.load offset=0x0
      local.get 1
      i64.ne
      local.get 4
      i32.load offset=0x8
      local.get 2
      i32.ne
      i32.or
      br_if 1
    end
    local.get 4
    i32.load8_s offset=0xe
    i32.const -1
    i32.ne
    br_if 0
    i32.const 0
    local.get 3
    i32.store offset=0x1914
    local.get 4
    i32.load8_u offset=0xf
    local.get 4
    i32.load16_u offset=0xc
    return_call_indirect type=0 table=0
  end
  i32.const 0
  local.get 1
  i64.store offset=0x1900
  i32.const 0
  local.get 3
  i32.store offset=0x1914
  i32.const 0
  return
end
i32.const 0
local.get 1
i64.store offset=0x1900
i32.const 0
local.get 3
i32.store offset=0x1914
i32.const 0
return
end`,
  );
});
