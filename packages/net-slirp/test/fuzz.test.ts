// Fuzzing SlirpStack.input with mutated frames (~20,000 by default, 1,000,000 with
// COLINUX_LONG_TESTS=1): nothing throws, the tables stay within their caps, the heap does not
// keep growing, and frames outside 14..65535 bytes are dropped and counted. Runs in its own
// network namespace so mutated destinations never leave the machine.
import t from 'tap';
import { spawn, execFileSync } from 'node:child_process';
import { requireTool } from '../../../test/tools.ts';
import { testSeed } from '../../../test/random.ts';

requireTool('ip');

const LONG = process.env.COLINUX_LONG_TESTS === '1';
const N = LONG ? 1_000_000 : 20_000;
const RUNNER = new URL('./helpers/fuzz-run.ts', import.meta.url).pathname;

t.test(`${N} mutated frames`, async (t) => {
  const ns = `slirp-fuzz-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      /* gone */
    }
  });
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const seed = testSeed(t, 'clock');
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '--expose-gc', '--max-old-space-size=256', RUNNER, String(N), String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  p.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise((r) => p.once('exit', r));
  t.equal(code, 0, 'the fuzz run completes', { stderr: err.slice(-2000), seed });
  const r = JSON.parse(out) as {
    tcp: number;
    udp: number;
    maxTcp: number;
    maxUdp: number;
    counters: Record<string, number>;
    heapQuarter: number;
    heapEnd: number;
    errors: string[];
    framesOut: number;
    ms: number;
  };
  t.comment(`${N} frames in ${r.ms} ms, ${r.framesOut} frames out, heap ${(r.heapQuarter / 1e6).toFixed(1)} -> ${(r.heapEnd / 1e6).toFixed(1)} MB`);
  t.notOk(r.counters['internal-error'], 'no parser threw', { errors: r.errors });
  t.ok(r.tcp <= r.maxTcp && r.udp <= r.maxUdp, 'connection tables stay within their caps');
  t.ok(r.heapEnd - r.heapQuarter < 64 * 1024 * 1024, 'heap growth stays bounded');
  t.ok((r.counters['frame-short'] ?? 0) >= 1, 'frames under 14 bytes are dropped and counted');
  t.equal(r.counters['frame-long'], 1, 'a 65536-byte frame is dropped and counted');
  t.ok(Object.keys(r.counters).length > 10, 'mutations reach many different checks');
});

t.test('SYN flood: the table stays capped and a real connection still gets in', async (t) => {
  const ns = `slirp-syn-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      /* gone */
    }
  });
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, new URL('./helpers/synflood-run.ts', import.meta.url).pathname], { timeout: 60_000 });
  const r = JSON.parse(out.toString()) as { maxSize: number; legit?: string; counters: Record<string, number> };
  t.ok(r.maxSize <= 256, `table peaked at ${r.maxSize} of 256`);
  t.ok((r.counters['tcp-half-open-evicted'] ?? 0) > 0, 'half-open connections were evicted');
  t.equal(r.legit, 'established', 'the real connection is established');
});
