// Issue acceptance for the `time` CSR (Zicntr), as a user meets it in the bundled guest: a static
// program calling clock_gettime(CLOCK_MONOTONIC) in a tight loop sees every value strictly above
// the one before (the vDSO reads `time` directly), and the kernel's boot-time checks that measure
// short intervals with rdtime do not complain.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Module } from '@colinux/protocol';
import { GUEST_IMAGES, WorkerMachine, baseSpec, bundledGuest, startGuest } from './machine-harness.ts';
import { requireTool } from '../../../test/tools.ts';

const READY = 'colinux-guest: ready';
const READS = 200000;

requireTool('riscv64-linux-gnu-gcc');
requireTool('/usr/riscv64-linux-gnu/lib/libc.a'); // -static links the cross libc
requireTool('debugfs');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mtime-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const source = path.join(dir, 'clocktest.c');
fs.writeFileSync(
  source,
  `#include <stdio.h>
#include <time.h>
int main(void) {
  struct timespec prev, now;
  long increasing = 0, equal = 0, backwards = 0;
  clock_gettime(CLOCK_MONOTONIC, &prev);
  for (long i = 0; i < ${READS}; i++) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long d = (now.tv_sec - prev.tv_sec) * 1000000000L + (now.tv_nsec - prev.tv_nsec);
    if (d < 0) backwards++;
    else if (d == 0) equal++;
    else increasing++;
    prev = now;
  }
  printf("clocktest: %d reads, %ld increasing, %ld equal, %ld backwards\\n", ${READS}, increasing, equal, backwards);
  return 0;
}
`,
);
const program = path.join(dir, 'clocktest');
execFileSync('riscv64-linux-gnu-gcc', ['-O2', '-static', '-o', program, source]);
const disk = path.join(dir, 'root.ext2');
fs.writeFileSync(disk, zlib.gunzipSync(fs.readFileSync(path.join(GUEST_IMAGES, 'root.ext2.gz'))));
execFileSync('debugfs', ['-w', '-R', `write ${program} /clocktest`, disk], { stdio: 'ignore' });

const out = (m: WorkerMachine) => m.output.get(Module.CONSOLE) ?? '';

async function shell(m: WorkerMachine, command: string, expect: RegExp): Promise<string> {
  const before = out(m).length;
  m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode(`${command}\n`) });
  await m.until(() => expect.test(out(m).slice(before)), 120_000, `output of "${command}"`);
  return out(m).slice(before);
}

t.test('clock_gettime strictly increases over a tight loop; no rdtime granularity complaint', async (t) => {
  const m = new WorkerMachine({
    ...baseSpec,
    memoryMiB: 64,
    bootLine: 'root=/dev/cobd0',
    blockDevices: [{ index: 0, path: disk, readOnly: false, aliases: [] }],
  });
  t.teardown(() => m.close());
  startGuest(m, bundledGuest());
  await m.until(() => out(m).includes(READY) || m.terminated() !== undefined, 180_000, 'ready');
  t.ok(out(m).includes(READY), 'the guest reaches the shell');

  const line = /clocktest: (\d+) reads, (\d+) increasing, (\d+) equal, (\d+) backwards/.exec(await shell(m, '/clocktest', /clocktest: .* backwards/));
  t.ok(line, 'the program ran');
  t.same(line!.slice(1).map(Number), [READS, READS, 0, 0], 'every read above the one before');

  // The unaligned-access speed probe (arch/riscv/kernel/unaligned_access_speed.c) times word and
  // byte copies with rdtime and names the result; with a coarse `time` it gives up instead.
  const probe = await shell(m, 'echo probe=$(dmesg | grep -c "Ratio of byte access time")', /probe=\d+/);
  t.match(probe, /probe=[1-9]/, 'the kernel measured unaligned access speed');
  // (The bundled kernel has no jitterentropy RNG; a kernel that does, e.g. Debian's, logs
  // "jitterentropy: Initialization failed" with a coarse clock: counted here too.)
  const coarse = await shell(m, 'echo coarse=$(dmesg | grep -c -e "lacks granularity" -e "jitterentropy.*failed")', /coarse=\d+/);
  t.match(coarse, /coarse=0/, 'no rdtime granularity complaint in the kernel log');
});
