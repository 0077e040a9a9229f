// Developer tool: where the machine worker's time went, from a V8 CPU profile of it.
//   node profile-split.ts <file.cpuprofile> [t0 t1] [--wat build/cpu.wat] [--top N]
// The profile comes from `--cpu-prof` (one file per thread; the machine worker is thread 1 of the
// monitor process: CPU.<date>.<time>.<pid>.1.<seq>.cpuprofile), see docs/cpu-core.md "Profiling".
// [t0, t1]: a window in CLOCK_MONOTONIC microseconds, the clock of the profile's timestamps and of
// process.hrtime (bench/debian-vs-qemu.ts prints each work's window). Prints the self time by
// category (translated code, the core's functions by source file, the host's jitCompile, GC, JS)
// and the functions with the most self time. The core's functions are named from build/cpu.wat:
// the release build has no name section, and function N of cpu.wasm is the Nth `(func` there,
// imports first.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    wat: { type: 'string', default: new URL('../build/cpu.wat', import.meta.url).pathname },
    top: { type: 'string', default: '20' },
  },
});
if (positionals.length !== 1 && positionals.length !== 3) {
  process.stderr.write('profile-split: usage: profile-split.ts <file.cpuprofile> [t0 t1] [--wat cpu.wat] [--top N]\n');
  process.exit(2);
}
const [file, from, to] = positionals as [string, string?, string?];
const window = from === undefined ? [-Infinity, Infinity] : [Number(from), Number(to)];

/** cpu.wasm's function names by index: imported functions first, then the defined ones. */
function coreNames(wat: string): string[] {
  const imports = [...wat.matchAll(/^ \(import "[^"]+" "[^"]+" \(func \$(\S+)/gm)].map((m) => m[1]!);
  const defined = [...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1]!);
  return [...imports, ...defined].map((n) => n.replace(/^src\/machine\/cpu\//, ''));
}

function readOrDie<T>(what: string, path: string, parse: (text: string) => T): T {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (err) {
    process.stderr.write(`profile-split: cannot read ${what} ${path}: ${(err as Error).message}\n`);
    process.exit(2);
  }
}
const profile = readOrDie('CPU profile', file, (text) => JSON.parse(text) as Profile);
const names = readOrDie('core listing', values.wat, coreNames);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const caller = (n: ProfileNode) => byId.get(parent.get(n.id) ?? -1);

// cpu.wasm is the wasm module the machine's JS (hart.ts, machine.ts) calls through a js-to-wasm
// wrapper; any other wasm module called from it is translated code. (Node's own type stripper is
// also wasm: its modules are never called from the machine.)
let core = '';
for (const n of profile.nodes) {
  let c = caller(n);
  if (c?.callFrame.functionName === 'js-to-wasm') c = caller(c);
  if (n.callFrame.url.startsWith('wasm://') && c && /\/(machine|hart|main)\.ts$/.test(c.callFrame.url)) {
    core = n.callFrame.url;
    break;
  }
}
if (!core) process.stderr.write('profile-split: no call into cpu.wasm found; every wasm frame counts as translated code\n');

function coreFunction(f: CallFrame): string {
  const m = /^wasm-function\[(\d+)\]$/.exec(f.functionName);
  return m ? (names[Number(m[1])] ?? f.functionName) : f.functionName;
}
function label(n: ProfileNode): string {
  const f = n.callFrame;
  if (core && f.url === core) return `cpu.wasm ${coreFunction(f)}`;
  if (f.url.startsWith('wasm://')) return 'translated code';
  return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}${f.url ? `:${f.lineNumber + 1}` : ''}`;
}
function category(n: ProfileNode): string {
  const f = n.callFrame;
  if (f.functionName === '(garbage collector)') return 'GC';
  if (f.functionName === '(program)') return 'V8 and native code (unattributed)';
  if (f.functionName === '(idle)') return 'idle';
  for (let s: ProfileNode | undefined = n; s; s = caller(s)) {
    if (s.callFrame.functionName === 'jitCompile' && s.callFrame.url.endsWith('hart.ts')) return 'host jitCompile (Module, Instance, table)';
  }
  if (core && f.url === core) return `cpu.wasm ${coreFunction(f).split('/')[0]}`;
  if (f.url.startsWith('wasm://')) return 'translated code';
  if (/\/machine\/devices\//.test(f.url)) return 'JS: device models';
  if (/\/machine\//.test(f.url)) return 'JS: machine loop';
  return 'JS: other and Node';
}

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i]!;
  if (t < window[0]! || t > window[1]!) continue;
  const us = profile.timeDeltas[i + 1] ?? 0; // a sample stands for the time until the next one
  const n = byId.get(profile.samples[i]!)!;
  const c = category(n);
  if (c === 'idle') continue;
  total += us;
  byCategory.set(c, (byCategory.get(c) ?? 0) + us);
  byFunction.set(label(n), (byFunction.get(label(n)) ?? 0) + us);
}
const row = ([k, us]: [string, number]) => `${(us / 1e6).toFixed(2).padStart(8)} s ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`;
const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
console.log(`${(total / 1e6).toFixed(2)} s of samples (idle left out)\n\nby category:`);
for (const r of sorted(byCategory)) console.log(row(r));
console.log(`\ntop ${values.top} functions (self time):`);
for (const r of sorted(byFunction).slice(0, Number(values.top))) console.log(row(r));
