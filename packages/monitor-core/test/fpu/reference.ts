// Builds the two sides of the FPU comparison in a temp dir: vectors.c for riscv64 (run under
// qemu-riscv64, the independent implementation) and harness.ts + fpu.ts to wasm with asc.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { requireTool } from '../../../../test/tools.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const packageRoot = join(here, '..', '..');
const asc = join(packageRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js');

// Op names in the order of vectors.c's ops[] and harness.ts's switch.
export const OPS = [
  'fadd.s',
  'fsub.s',
  'fmul.s',
  'fdiv.s',
  'fsqrt.s',
  'fmadd.s',
  'fmsub.s',
  'fnmsub.s',
  'fnmadd.s',
  'fmin.s',
  'fmax.s',
  'feq.s',
  'flt.s',
  'fle.s',
  'fclass.s',
  'fcvt.w.s',
  'fcvt.wu.s',
  'fcvt.l.s',
  'fcvt.lu.s',
  'fcvt.s.w',
  'fcvt.s.wu',
  'fcvt.s.l',
  'fcvt.s.lu',
  'fadd.d',
  'fsub.d',
  'fmul.d',
  'fdiv.d',
  'fsqrt.d',
  'fmadd.d',
  'fmsub.d',
  'fnmsub.d',
  'fnmadd.d',
  'fmin.d',
  'fmax.d',
  'feq.d',
  'flt.d',
  'fle.d',
  'fclass.d',
  'fcvt.w.d',
  'fcvt.wu.d',
  'fcvt.l.d',
  'fcvt.lu.d',
  'fcvt.d.w',
  'fcvt.d.wu',
  'fcvt.d.l',
  'fcvt.d.lu',
  'fcvt.d.s',
  'fcvt.s.d',
];

// The es2024 lib has no WebAssembly declarations; this is the slice used here.
type HarnessExports = {
  memory: { buffer: ArrayBuffer };
  alloc(records: number): number;
  run(ptr: number, records: number): void;
  bench(ptr: number, records: number, rounds: number): bigint;
};
type WasmApi = {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
};
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export type Vector = { line: string; op: number; rm: number; a: bigint; b: bigint; c: bigint; r: bigint; flags: bigint };

// Host tools: requireTool() turns "not installed" into one line that says which package to add.
const run = (tool: string, args: string[]): string => execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });

export function buildVectorProgram(dir: string): string {
  const out = join(dir, 'vectors');
  requireTool('/usr/riscv64-linux-gnu/lib/libc.a'); // -static links the cross libc
  run(requireTool('riscv64-linux-gnu-gcc'), ['-O2', '-static', '-o', out, join(here, 'vectors.c')]);
  return out;
}

export function referenceVectors(program: string, seed: number, rounds: number): Vector[] {
  const text = run(requireTool('qemu-riscv64'), [program, String(seed), String(rounds)]);
  const vectors: Vector[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [name, rm, a, b, c, r, flags] = line.split(' ');
    const op = OPS.indexOf(name!);
    if (op < 0) throw new Error(`vectors.c printed an unknown op: ${line}`);
    vectors.push({
      line,
      op,
      rm: Number(rm),
      a: BigInt(`0x${a}`),
      b: BigInt(`0x${b}`),
      c: BigInt(`0x${c}`),
      r: BigInt(`0x${r}`),
      flags: BigInt(`0x${flags}`),
    });
  }
  return vectors;
}

export type Harness = {
  run(vectors: Vector[]): { r: bigint; flags: bigint }[];
  bench(vectors: Vector[], rounds: number): number;
};

export async function buildHarness(dir: string): Promise<Harness> {
  const wasmPath = join(dir, 'harness.wasm');
  try {
    execFileSync(process.execPath, [asc, join(here, 'harness.ts'), '--runtime', 'stub', '-O3', '--outFile', wasmPath], { stdio: 'pipe', encoding: 'utf8' });
  } catch (err) {
    throw new Error(`asc could not compile fpu.ts through test/fpu/harness.ts:\n${(err as { stderr?: string }).stderr ?? err}`);
  }
  const { instance } = await wasm.instantiate(await readFile(wasmPath), {
    env: {
      abort: () => {
        throw new Error('fpu harness aborted');
      },
    },
  });
  const ex = instance.exports as HarnessExports;
  let capacity = 0;
  let ptr = 0;
  const load = (vectors: Vector[]): void => {
    if (vectors.length > capacity) {
      ptr = ex.alloc(vectors.length);
      capacity = vectors.length;
    }
    const view = new BigUint64Array(ex.memory.buffer, ptr, vectors.length * 8);
    vectors.forEach((v, i) => {
      view.set([BigInt(v.op), BigInt(v.rm), v.a, v.b, v.c], i * 8);
    });
  };
  return {
    run(vectors) {
      load(vectors);
      ex.run(ptr, vectors.length);
      const view = new BigUint64Array(ex.memory.buffer, ptr, vectors.length * 8);
      return vectors.map((_, i) => ({ r: view[i * 8 + 5]!, flags: view[i * 8 + 6]! }));
    },
    bench(vectors, rounds) {
      load(vectors);
      const start = process.hrtime.bigint();
      ex.bench(ptr, vectors.length, rounds);
      return Number(process.hrtime.bigint() - start) / 1e9;
    },
  };
}
