// Developer tool for CPU debugging: boot a raw Image on the Machine in this thread and trace it.
//   node boot-trace.ts --image Image [--initrd f] [--append "..."] [--mem 128]
//        [--from N] [--count N] [--sbi] [--sample-ms N] [--max-seconds N]
// --from/--count: after N retired instructions, single-step `count` instructions printing
//   "instret pc priv" (compare with `qemu-system-riscv64 -M virt -bios default -kernel Image
//   -singlestep -d exec,nochain`); --sbi: one line per SBI call (eid fid -> a0 a1);
// --sample-ms: print pc and priv every N ms (where a hung guest spins). Guest output: stderr.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Machine } from '../src/machine/machine.ts';
import { EXIT_SBI, EXIT_WFI } from '../src/machine/hart.ts';

const { values } = parseArgs({
  options: {
    image: { type: 'string' },
    initrd: { type: 'string' },
    append: { type: 'string', default: '' },
    mem: { type: 'string', default: '128' },
    from: { type: 'string' },
    count: { type: 'string', default: '1000' },
    sbi: { type: 'boolean', default: false },
    'sample-ms': { type: 'string' },
    'max-seconds': { type: 'string', default: '60' },
  },
});
if (!values.image) {
  process.stderr.write('boot-trace: --image <Image> is required\n');
  process.exit(2);
}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;
const m = new Machine(
  {
    monitorId: 0,
    memoryMiB: Number(values.mem),
    bootLine: values.append,
    console: { cols: 80, rows: 25 },
    blockDevices: [],
    netDevices: [],
    serialPorts: [],
    sharedDirs: [],
  },
  {
    output: (_module, data) => process.stderr.write(data),
    terminated: (reason, text) => process.stderr.write(`\nboot-trace: terminated ${reason}${text ? ` (${text})` : ''}\n`),
    log: (msg) => process.stderr.write(`boot-trace: ${msg}\n`),
  },
);
const image = fs.readFileSync(values.image);
m.loadSection(0, Math.max(image.length, Number(image.readBigUInt64LE(16))), image);
if (values.initrd) m.loadInitrd(fs.readFileSync(values.initrd));
m.start(0);

const from = values.from === undefined ? Infinity : Number(values.from);
let toTrace = Number(values.count);
const sampleMs = values['sample-ms'] === undefined ? Infinity : Number(values['sample-ms']);
const stopAt = performance.now() + 1000 * Number(values['max-seconds']);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let nextSample = performance.now() + sampleMs;
const out = (line: string) => process.stdout.write(`${line}\n`);

while (!m.termination && performance.now() < stopAt) {
  const instret = m.hart.instret();
  const tracing = instret >= from && toTrace > 0;
  const pc = m.hart.pc;
  const priv = m.hart.priv;
  const exit = m.step(tracing ? 1 : Math.max(1, Math.min(10_000, from - instret)));
  if (tracing) {
    out(`${instret} ${hex(pc)} ${priv}`);
    toTrace--;
  }
  // The SBI only writes a0/a1, so a7/a6 still name the call.
  if (exit === EXIT_SBI && values.sbi) out(`sbi eid=${hex(m.hart.reg(17))} fid=${m.hart.reg(16)} -> a0=${hex(m.hart.reg(10))} a1=${hex(m.hart.reg(11))}`);
  if (performance.now() >= nextSample) {
    out(`sample instret=${m.hart.instret()} pc=${hex(m.hart.pc)} priv=${m.hart.priv}`);
    nextSample += sampleMs;
  }
  m.flushOutput();
  if (exit === EXIT_WFI) {
    const now = m.mtime();
    const wait = (m.nextDeadline(now) - now) / 10_000;
    if (wait > 0) Atomics.wait(sleeper, 0, 0, Math.min(wait, 100));
  }
  if (Number.isFinite(from) && toTrace === 0) break;
}
m.close();
