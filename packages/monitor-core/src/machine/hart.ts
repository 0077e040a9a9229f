// The host side of the wasm CPU contract (docs/cpu-core.md): creates the imported memory,
// instantiates build/cpu.wasm with the MMIO imports, and gives typed access to the exports and
// the architectural state block. Nothing else in the machine touches the wasm instance.

import fs from 'node:fs';
import v8 from 'node:v8';
import type { HartInterrupts } from './devices/mmio-device.ts';
import { JIT_SLOTS, MAX_TABLE_SLOTS, STATE_EXIT_VALUE, STATE_MTIME, STATE_PC, STATE_PRIV, STATE_SIZE, STATE_X, TABLE_FULL } from './cpu/abi.ts';

// The contract's numbers (exit reasons, the state block, the translator's hand-over) are
// declared once in cpu/abi.ts, which the core is compiled from too.
export { EXIT_BUDGET, EXIT_HALT, EXIT_SBI, EXIT_WFI } from './cpu/abi.ts';

interface CpuExports {
  ramBase(): number;
  romBase(): number;
  statePtr(): number;
  init(ramSize: number): void;
  run(budget: number): number;
  setPending(mask: number): void;
  clearPending(mask: number): void;
  setSbiInMonitor(on: number): void;
  setTohost(addr: number): void;
  csrRead(csr: number): bigint;
  csrWrite(csr: number, v: bigint): void;
  setPc(pc: bigint): void;
  setPriv(p: number): void;
  flushTlb(): void;
  ramWritten(offset: number, len: number): void;
  instret(): bigint;
  setJit(on: number): void;
  jitStats(which: number): bigint;
  readonly table: WasmTable;
}

export interface Mmio {
  read(addr: number, size: number): number;
  write(addr: number, size: number, value: number): void;
}

// The es2024 lib has no WebAssembly declarations; this is the slice of the JS API used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmModule {
  readonly __brand?: 'module';
}
interface WasmTable {
  readonly length: number;
  grow(n: number): number;
  set(i: number, f: unknown): void;
}
interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(m: WasmModule): Array<{ module: string; name: string; kind: string }> };
  Instance: new (m: WasmModule, imports: object) => { exports: object };
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const DEFAULT_CPU_WASM = new URL('../../build/cpu.wasm', import.meta.url);

/** wasm32 memories end at 4 GiB. */
const MAX_WASM_PAGES = 65536;

const compiled = new Map<string, WasmModule>();

// The translator marks the branches that leave translated code unlikely (cpu/jit.ts, the
// `metadata.code.branch_hint` section); V8 13 reads such hints only behind this flag, and it
// must be set before the first module is compiled. Measured: docs/cpu-core.md "Branch hints".
v8.setFlagsFromString('--experimental-wasm-branch-hinting');

function compile(url: URL): WasmModule {
  let mod = compiled.get(url.href);
  if (!mod) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(url);
    } catch (err) {
      throw new Error(
        `CPU core ${url.pathname} is missing (build it with \`pnpm --filter @colinux/monitor-core build\`): ${(err as NodeJS.ErrnoException).code}`,
      );
    }
    mod = new WebAssembly.Module(bytes);
    compiled.set(url.href, mod);
  }
  return mod;
}

export class Hart implements HartInterrupts {
  readonly memory: WasmMemory;
  readonly cpu: CpuExports;
  readonly ramBase: number;
  readonly romBase: number;
  private readonly state: DataView;
  private readonly ramSize: number;
  private readonly clock: () => number;
  /** Host milliseconds spent compiling and instantiating translated code (jitCompile). */
  jitCompileMs = 0;

  /** `clock`: the current time in timebase ticks, read by the `time` CSR at every read (the
   *  default, 0, leaves it to the mtime written before each run slice). */
  constructor(ramSize: number, mmio: Mmio, wasm: URL = DEFAULT_CPU_WASM, clock: () => number = () => 0) {
    this.clock = clock;
    const mod = compile(wasm);
    this.ramSize = ramSize;
    // The memory size depends on ramBase(), which is only known after instantiation; ramBase is
    // a link-time constant, so a probe instance over a minimal memory tells us.
    const probe = this.instantiate(mod, new WebAssembly.Memory({ initial: 64, maximum: 65536 }), mmio);
    const pages = Math.ceil((probe.ramBase() + ramSize) / 65536);
    const mib = ramSize / (1024 * 1024);
    if (!(ramSize > 0) || pages > MAX_WASM_PAGES) {
      const most = Math.floor((MAX_WASM_PAGES * 65536 - probe.ramBase()) / (1024 * 1024));
      throw new Error(`mem=${mib}: guest RAM must be between 1 and ${most} MiB (the CPU's 32-bit wasm memory)`);
    }
    try {
      this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    } catch (err) {
      throw new Error(`mem=${mib}: cannot allocate ${mib} MiB of guest RAM: ${(err as Error).message}`);
    }
    this.cpu = this.instantiate(mod, this.memory, mmio);
    this.ramBase = this.cpu.ramBase();
    this.romBase = this.cpu.romBase();
    this.state = new DataView(this.memory.buffer, this.cpu.statePtr(), STATE_SIZE);
    this.cpu.init(ramSize);
  }

  private instantiate(mod: WasmModule, memory: WasmMemory, mmio: Mmio): CpuExports {
    let cpu: CpuExports | undefined;
    /** The first table index the translator's functions use (the core's own come before). */
    let firstSlot = -1;
    const env: Record<string, unknown> = {
      memory,
      // The core's translator (cpu/jit.ts) hands over a module of n functions exported as
      // "aa", "ab", …; function i goes into the core's function table at JIT_SLOTS[i], or
      // at a new index written back there when that is 0. n = 0: the core dropped every
      // translation, so the functions it put in the table are let go (their modules can then
      // be garbage collected).
      jitCompile: (ptr: number, len: number, n: number) => {
        if (!cpu) return 0;
        const t0 = performance.now();
        const table = cpu.table;
        if (firstSlot < 0) firstSlot = table.length;
        if (n === 0) {
          for (let i = firstSlot; i < table.length; i++) table.set(i, null);
          return 0;
        }
        const slots = new Uint32Array(memory.buffer, JIT_SLOTS, n);
        // Past the table's size limit the core drops every translation at its next `run`.
        if (table.length + slots.filter((s) => s === 0).length > MAX_TABLE_SLOTS) return TABLE_FULL;
        const bytes = new Uint8Array(memory.buffer, ptr, len).slice();
        const fns = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory, table } }).exports as Record<string, unknown>;
        for (let i = 0; i < n; i++) {
          if (slots[i] === 0) slots[i] = table.grow(1);
          table.set(slots[i]!, fns[String.fromCharCode(97 + (i >> 4), 97 + (i & 15))]);
        }
        this.jitCompileMs += performance.now() - t0;
        return n;
      },
      clock: () => this.clock(),
      mmioRead: (addr: number, size: number) => mmio.read(addr >>> 0, size) | 0,
      mmioWrite: (addr: number, size: number, value: number) => mmio.write(addr >>> 0, size, value),
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`CPU core aborted at line ${line}:${col}`);
      },
    };
    // Anything else the core imports (AssemblyScript's `seed`, `trace`) gets a harmless default.
    for (const imp of WebAssembly.Module.imports(mod)) {
      if (imp.module === 'env' && !(imp.name in env) && imp.kind === 'function') env[imp.name] = () => 0;
    }
    cpu = new WebAssembly.Instance(mod, { env }).exports as unknown as CpuExports;
    return cpu;
  }

  reset(): void {
    this.cpu.init(this.ramSize);
  }

  setPending(mask: number): void {
    this.cpu.setPending(mask);
  }
  clearPending(mask: number): void {
    this.cpu.clearPending(mask);
  }

  reg(n: number): bigint {
    return this.state.getBigUint64(STATE_X + 8 * n, true);
  }
  setReg(n: number, v: bigint): void {
    this.state.setBigUint64(STATE_X + 8 * n, BigInt.asUintN(64, v), true);
  }
  /** Word n of the state block's registers: x0..x31, then f0..f31 (suspend, snapshot.ts). */
  stateWord(n: number): bigint {
    return this.state.getBigUint64(STATE_X + 8 * n, true);
  }
  setStateWord(n: number, v: bigint): void {
    this.state.setBigUint64(STATE_X + 8 * n, BigInt.asUintN(64, v), true);
  }
  get pc(): bigint {
    return this.state.getBigUint64(STATE_PC, true);
  }
  get priv(): number {
    return this.state.getInt32(STATE_PRIV, true);
  }
  get exitValue(): bigint {
    return this.state.getBigUint64(STATE_EXIT_VALUE, true);
  }
  setMtime(ticks: number): void {
    this.state.setBigUint64(STATE_MTIME, BigInt(ticks), true);
  }
  instret(): number {
    return Number(this.cpu.instret());
  }
}
