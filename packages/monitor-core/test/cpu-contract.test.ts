// The wasm core against docs/cpu-core.md, driven through its raw exports (no machine around it):
// reset state, exit reasons (budget, WFI, SBI, HALT), interrupts from setPending, Sstc, the MMIO
// imports (sizes, 8-byte splitting), ROM, satp WARL, instret.
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
const RAM = 0x8000_0000;
const RAM_SIZE = 1 << 20;

interface Core {
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
  instret(): bigint;
}

interface Access {
  kind: 'r' | 'w';
  addr: number;
  size: number;
  value?: number;
}

function boot(clock: () => number = () => 0) {
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const log: Access[] = [];
  let memory = new WebAssembly.Memory({ initial: 64, maximum: 65536 });
  const env = {
    get memory() {
      return memory;
    },
    mmioRead: (addr: number, size: number) => {
      log.push({ kind: 'r', addr: addr >>> 0, size });
      return 0x12345678;
    },
    mmioWrite: (addr: number, size: number, value: number) => {
      log.push({ kind: 'w', addr: addr >>> 0, size, value });
    },
    abort: () => {
      throw new Error('abort');
    },
    jitCompile: () => 0, // no translator: the core interprets only
    clock: () => clock(),
  };
  const probe = new WebAssembly.Instance(module, { env }).exports as unknown as Core;
  const pages = Math.ceil((probe.ramBase() + RAM_SIZE) / 65536);
  memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const core = new WebAssembly.Instance(module, { env }).exports as unknown as Core;
  core.init(RAM_SIZE);
  const state = new DataView(memory.buffer, core.statePtr(), 544);
  const ram = new DataView(memory.buffer, core.ramBase(), RAM_SIZE);
  const code = (words: number[], at = 0) => words.forEach((w, i) => ram.setUint32(at + 4 * i, w >>> 0, true));
  const x = (n: number) => state.getBigUint64(8 * n, true);
  const setX = (n: number, v: bigint) => state.setBigUint64(8 * n, BigInt.asUintN(64, v), true);
  const pc = () => state.getBigUint64(512, true);
  const priv = () => state.getInt32(536, true);
  // S and U need a PMP entry that allows them (priv spec 3.7.1): all of memory, as firmware does.
  const startAt = (p: number, addr = RAM) => {
    if (p < 3) {
      core.csrWrite(0x3b0, -1n);
      core.csrWrite(0x3a0, 0x1fn);
    }
    core.setPriv(p);
    core.setPc(BigInt(addr));
  };
  const csr = (n: number) => BigInt.asUintN(64, core.csrRead(n)); // i64 exports arrive signed
  return { core, memory, state, ram, code, x, setX, pc, priv, log, startAt, csr };
}

// Tiny encoders for the instructions the tests need (unpriv spec ch. 2, 34).
const I = (imm: number, rs1: number, f3: number, rd: number, op: number) => ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const S = (imm: number, rs2: number, rs1: number, f3: number) =>
  (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | 0x23;
const addi = (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x13);
const ld = (rd: number, rs1: number, imm: number) => I(imm, rs1, 3, rd, 0x03);
const sd = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 3);
const lui = (rd: number, imm20: number) => ((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37;
const auipc = (rd: number, imm20: number) => ((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17;
const csrrw = (rd: number, csr: number, rs1: number) => I(csr, rs1, 1, rd, 0x73);
const ECALL = 0x73;
const WFI = 0x10500073;
const LOOP = 0x0000006f; // jal x0, 0

const EXIT_BUDGET = 0,
  EXIT_WFI = 1,
  EXIT_SBI = 2,
  EXIT_HALT = 3;

t.test('reset state', async (t) => {
  const h = boot();
  t.equal(h.pc(), 0x1000n, 'pc = 0x1000');
  t.equal(h.priv(), 3, 'M-mode');
  t.equal(h.csr(0x301), 0x800000000014112dn, 'misa RV64IMAFDCSU');
  t.equal(h.csr(0xf14), 0n, 'mhartid 0');
  t.ok(h.core.ramBase() >= h.core.romBase() + 0x10000, 'ROM below RAM in the wasm memory');
  t.equal(h.core.instret(), 0n);
});

t.test('budget exit counts instructions', async (t) => {
  const h = boot();
  h.code([LOOP]);
  h.startAt(3);
  t.equal(h.core.run(1000), EXIT_BUDGET);
  t.equal(h.core.instret(), 1000n);
  t.equal(h.pc(), BigInt(RAM));
  t.equal(h.csr(0xc02), 1000n, 'instret CSR');
});

t.test('x0 stays zero, boot ROM executes and ignores writes', async (t) => {
  const h = boot();
  const rom = new DataView(h.memory.buffer, h.core.romBase(), 0x10000);
  [addi(0, 0, 5), addi(5, 0, 7), sd(5, 0, 0x100), ld(6, 0, 0x100), LOOP].forEach((w, i) => rom.setUint32(0x1000 + 4 * i, w, true));
  t.equal(h.core.run(5), EXIT_BUDGET);
  t.equal(h.x(0), 0n);
  t.equal(h.x(5), 7n);
  t.equal(h.x(6), 0n, 'the store to ROM was ignored');
});

t.test('ecall from S with the monitor SBI exits with pc past the ecall', async (t) => {
  const h = boot();
  h.core.setSbiInMonitor(1);
  h.code([addi(17, 0, 0x10), ECALL, LOOP]);
  h.startAt(1);
  t.equal(h.core.run(100), EXIT_SBI);
  t.equal(h.pc(), BigInt(RAM + 8));
  t.equal(h.priv(), 1, 'still S-mode');
  t.equal(h.x(17), 0x10n, 'a7 readable in the state block');
  h.setX(10, 0n);
  t.equal(h.core.run(10), EXIT_BUDGET, 'resumes');
});

t.test('ecall from S without the monitor SBI traps to M', async (t) => {
  const h = boot();
  h.code([ECALL]);
  h.code([LOOP], 0x100);
  h.core.csrWrite(0x305, BigInt(RAM + 0x100));
  h.startAt(1);
  t.equal(h.core.run(10), EXIT_BUDGET);
  t.equal(h.csr(0x342), 9n, 'mcause ecall from S');
  t.equal(h.csr(0x341), BigInt(RAM), 'mepc');
  t.equal(h.priv(), 3);
  t.equal(h.pc(), BigInt(RAM + 0x100));
});

t.test('after reset no PMP entry is on: S-mode cannot fetch (instruction access fault to M)', async (t) => {
  const h = boot();
  h.code([LOOP]);
  h.code([LOOP], 0x100);
  h.core.csrWrite(0x305, BigInt(RAM + 0x100));
  h.core.setPriv(1);
  h.core.setPc(BigInt(RAM));
  t.equal(h.core.run(10), EXIT_BUDGET);
  t.equal(h.csr(0x342), 1n, 'mcause instruction access fault');
  t.equal(h.csr(0x343), BigInt(RAM), 'mtval = the pc');
  t.equal(h.priv(), 3);
  t.equal(h.csr(0x3a0), 0n, 'pmpcfg0 reads 0');
});

t.test('wfi exits only when no enabled interrupt is pending', async (t) => {
  const h = boot();
  h.code([WFI, addi(5, 0, 1), LOOP]);
  h.startAt(3);
  t.equal(h.core.run(100), EXIT_WFI);
  t.equal(h.pc(), BigInt(RAM + 4), 'pc past the wfi');
  h.startAt(3);
  h.core.csrWrite(0x304, 1n << 7n); // mie.MTIE, but mstatus.MIE = 0: wakes without a trap
  h.core.setPending(1 << 7);
  t.equal(h.core.run(100), EXIT_BUDGET);
  t.equal(h.x(5), 1n, 'continued after the wfi');
  t.equal(h.csr(0x342), 0n, 'no trap taken');
});

t.test('a pending delegated interrupt is taken in S at the next run', async (t) => {
  const h = boot();
  h.code([LOOP]);
  h.code([LOOP], 0x200);
  h.core.csrWrite(0x303, 0x222n); // mideleg
  h.core.csrWrite(0x105, BigInt(RAM + 0x200)); // stvec
  h.core.csrWrite(0x104, 1n << 5n); // sie.STIE
  h.core.csrWrite(0x100, 2n); // sstatus.SIE
  h.startAt(1);
  t.equal(h.core.run(10), EXIT_BUDGET);
  t.equal(h.pc(), BigInt(RAM), 'nothing pending yet');
  h.core.setPending(1 << 5);
  h.core.run(10);
  t.equal(h.csr(0x142), (1n << 63n) | 5n, 'scause = supervisor timer interrupt');
  t.equal(h.pc(), BigInt(RAM + 0x200));
  t.equal(h.csr(0x100) & 2n, 0n, 'SIE cleared');
  h.core.clearPending(1 << 5);
  t.equal(h.csr(0x344) & (1n << 5n), 0n, 'clearPending drops STIP');
});

t.test('Sstc: STIP follows mtime >= stimecmp while menvcfg.STCE is set', async (t) => {
  const h = boot();
  h.code([LOOP]);
  h.startAt(1);
  h.core.csrWrite(0x30a, 1n << 63n);
  h.core.csrWrite(0x14d, 1000n);
  h.state.setBigUint64(520, 999n, true);
  h.core.run(1);
  t.equal(h.csr(0x344) & 0x20n, 0n, 'mtime below stimecmp');
  h.state.setBigUint64(520, 1000n, true);
  h.core.run(1);
  t.equal(h.csr(0x344) & 0x20n, 0x20n, 'mtime reached stimecmp');
  h.core.csrWrite(0x14d, 5000n);
  t.equal(h.csr(0x344) & 0x20n, 0n, 'a new stimecmp clears STIP at once');
  t.equal(h.csr(0xc01), 1000n, 'time CSR reads mtime');
});

t.test('time CSR: the host clock at each read, never below mtime, strictly increasing', async (t) => {
  let host = 0;
  const h = boot(() => host);
  h.state.setBigUint64(520, 1000n, true); // mtime written before the run slice
  t.equal(h.csr(0xc01), 1000n, 'no finer host clock: mtime');
  t.equal(h.csr(0xc01), 1001n, 'a second read in the same tick: one more');
  host = 5000.7;
  t.equal(h.csr(0xc01), 5000n, 'the host clock at the read (whole ticks)');
  host = 4000;
  t.equal(h.csr(0xc01), 5001n, 'a clock behind the last read does not go back');
  // In the guest: rdtime twice in a row (csrrs rd, time, x0).
  const rdtime = (rd: number) => I(0xc01, 0, 2, rd, 0x73);
  host = 9000;
  h.code([rdtime(10), rdtime(11), LOOP]);
  h.startAt(3);
  h.core.run(3);
  t.equal(h.x(10), 9000n, 'first rdtime reads the host clock');
  t.equal(h.x(11), 9001n, 'the next one is strictly later');
});

t.test('a store to tohost halts with the value', async (t) => {
  const h = boot();
  h.core.setTohost(RAM + 0x400);
  h.code([auipc(5, 0), addi(5, 5, 0x400), addi(6, 0, 0x2b), sd(6, 5, 0), LOOP]);
  h.startAt(3);
  t.equal(h.core.run(100), EXIT_HALT);
  t.equal(h.state.getBigUint64(528, true), 0x2bn, 'exitValue');
  t.equal(h.pc(), BigInt(RAM + 16), 'pc past the store');
});

t.test('MMIO: sizes, 8-byte accesses split low half first, loads through mmioRead', async (t) => {
  const h = boot();
  h.code([lui(5, 0x10000), addi(6, 0, -1), sd(6, 5, 8), S(0, 6, 5, 0), ld(7, 5, 0), LOOP]);
  h.startAt(3);
  h.core.run(6);
  t.same(h.log, [
    { kind: 'w', addr: 0x1000_0008, size: 4, value: -1 },
    { kind: 'w', addr: 0x1000_000c, size: 4, value: -1 },
    { kind: 'w', addr: 0x1000_0000, size: 1, value: -1 },
    { kind: 'r', addr: 0x1000_0000, size: 4 },
    { kind: 'r', addr: 0x1000_0004, size: 4 },
  ]);
  t.equal(h.x(7), 0x1234567812345678n);
});

t.test('satp ignores writes with an unsupported mode', async (t) => {
  const h = boot();
  h.core.csrWrite(0x180, (8n << 60n) | 0x80010n);
  t.equal(h.csr(0x180), (8n << 60n) | 0x80010n, 'Sv39 accepted');
  h.core.csrWrite(0x180, (10n << 60n) | 0x80020n);
  t.equal(h.csr(0x180), (8n << 60n) | 0x80010n, 'Sv57 write ignored');
});

t.test('csrrw through the decoder updates mscratch and the state block register', async (t) => {
  const h = boot();
  h.code([addi(5, 0, 0x55), csrrw(6, 0x340, 5), csrrw(7, 0x340, 0), LOOP]);
  h.startAt(3);
  h.core.run(3);
  t.equal(h.x(7), 0x55n);
  t.equal(h.csr(0x340), 0n);
});
