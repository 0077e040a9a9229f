// A machine's whole state for suspend and resume (docs/suspend.md): the hart (registers, FP
// registers, pc, privilege, every CSR the core implements, the pending interrupts), the timebase,
// every device's save() (machine.ts lists them), the boot ROM and guest RAM. Taken between run
// slices, which end on an instruction boundary with any SBI call already handled (machine.ts
// step), and after the disks were flushed.
import { BundleError, PREFERRED_CODEC } from '../bundle/container.ts';
import { decodeRam, encodeRam } from '../bundle/ram.ts';
import type { Machine } from './machine.ts';
import { TIMEBASE_HZ } from './memory-map.ts';
import { PRIV_M, PRIV_S, PRIV_U } from './cpu/abi.ts';
import type { MachineSnapshot, RestoreInput } from './contract.ts';

/** The CSRs whose values are state (priv spec, Zicsr tables 2.2-2.5), in restore order: fcsr
 *  before mstatus (writing fcsr marks FS dirty), mstatus before the rest. mip is restored last,
 *  through setPending, because its M-level bits are read-only to csrWrite. */
const STATE_CSRS = [
  0x003, // fcsr
  0x300, // mstatus
  0x302,
  0x303,
  0x304,
  0x305,
  0x306,
  0x30a,
  0x320, // medeleg mideleg mie mtvec mcounteren menvcfg mcountinhibit
  0x340,
  0x341,
  0x342,
  0x343, // mscratch mepc mcause mtval
  0x105,
  0x106,
  0x10a,
  0x140,
  0x141,
  0x142,
  0x143,
  0x180,
  0x14d, // stvec scounteren senvcfg sscratch sepc scause stval satp stimecmp
  0xb00,
  0xb02, // mcycle minstret
  // PMP (priv spec 3.7): every pmpaddr before the pmpcfg that may lock it.
  ...Array.from({ length: 16 }, (_, i) => 0x3b0 + i),
  0x3a0,
  0x3a2,
] as const;
const CSR_MIP = 0x344;
/** mip bits the host drives (SSIP..MEIP): all of them fit the core's i32 masks. */
const MIP_BITS = 0xaaa;

/** CPU section: x[32], f[32], pc (u64), priv (u32), mip (u32), CSR count (u32), reserved (u32),
 *  then (u32 number, u32 reserved, u64 value) per CSR. Little-endian. */
const REGISTER_BYTES = 512;
const CPU_HEADER_BYTES = REGISTER_BYTES + 8 + 16;
const CSR_ENTRY_BYTES = 16;

export function encodeCpu(machine: Machine): Uint8Array {
  const { hart } = machine;
  const out = new DataView(new ArrayBuffer(CPU_HEADER_BYTES + STATE_CSRS.length * CSR_ENTRY_BYTES));
  for (let n = 0; n < 64; n++) out.setBigUint64(8 * n, hart.stateWord(n), true);
  out.setBigUint64(REGISTER_BYTES, hart.pc, true);
  out.setUint32(REGISTER_BYTES + 8, hart.priv, true);
  out.setUint32(REGISTER_BYTES + 12, Number(hart.cpu.csrRead(CSR_MIP) & BigInt(MIP_BITS)), true);
  out.setUint32(REGISTER_BYTES + 16, STATE_CSRS.length, true);
  STATE_CSRS.forEach((csr, i) => {
    const at = CPU_HEADER_BYTES + i * CSR_ENTRY_BYTES;
    out.setUint32(at, csr, true);
    out.setBigUint64(at + 8, BigInt.asUintN(64, hart.cpu.csrRead(csr)), true);
  });
  return new Uint8Array(out.buffer);
}

/** Returns the pending-interrupt bits, to apply after the devices (which drive their own lines). */
export function decodeCpu(machine: Machine, bytes: Uint8Array, name: string): number {
  const fail = (what: string): never => {
    throw new BundleError(`${name}: CPU: ${what}`);
  };
  if (bytes.length < CPU_HEADER_BYTES) fail(`${bytes.length} bytes, shorter than its header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = v.getUint32(REGISTER_BYTES + 16, true);
  if (bytes.length !== CPU_HEADER_BYTES + count * CSR_ENTRY_BYTES) fail(`${count} CSRs do not match its length ${bytes.length}`);
  const priv = v.getUint32(REGISTER_BYTES + 8, true);
  if (priv !== PRIV_U && priv !== PRIV_S && priv !== PRIV_M) fail(`privilege ${priv} is not U, S or M`);
  const csrs = new Map<number, bigint>();
  for (let i = 0; i < count; i++) {
    const at = CPU_HEADER_BYTES + i * CSR_ENTRY_BYTES;
    csrs.set(v.getUint32(at, true), v.getBigUint64(at + 8, true));
  }
  const missing = STATE_CSRS.find((c) => !csrs.has(c));
  if (missing !== undefined) fail(`CSR 0x${missing.toString(16)} is missing`);
  const { hart } = machine;
  for (let n = 0; n < 64; n++) hart.setStateWord(n, v.getBigUint64(8 * n, true));
  for (const csr of STATE_CSRS) hart.cpu.csrWrite(csr, BigInt.asIntN(64, csrs.get(csr)!));
  hart.cpu.setPc(BigInt.asIntN(64, v.getBigUint64(REGISTER_BYTES, true)));
  hart.cpu.setPriv(priv);
  hart.cpu.flushTlb();
  return v.getUint32(REGISTER_BYTES + 12, true) & MIP_BITS;
}

/** Between run slices, after the disks were flushed. */
export function captureMachine(machine: Machine): MachineSnapshot {
  machine.flushOutput();
  const ram = encodeRam(machine.ram.bytes, PREFERRED_CODEC);
  return {
    cpu: encodeCpu(machine),
    devices: machine.saveDevices(),
    rom: machine.rom().slice(),
    ram: concat(ram.parts),
    ramPages: ram.pages,
    mtime: machine.mtime(),
    wallMs: Date.now(),
  };
}

/** Onto a machine just built from the same configuration (nothing loaded, not started). */
export function restoreMachine(machine: Machine, s: RestoreInput, name: string): void {
  decodeRam(s.ram, machine.ram.bytes, name);
  const rom = machine.rom();
  if (s.rom.length !== rom.length) throw new BundleError(`${name}: ROM: ${s.rom.length} bytes, expected ${rom.length}`);
  rom.set(s.rom);
  // The guest slept: its timebase jumps by the wall-clock time since the suspend, never backwards
  // when this host's clock is behind the other's. Taken here, after the RAM, so the time spent
  // inflating it does not leave the guest's clock behind.
  machine.setTimebase(s.mtime + Math.round(Math.max(0, Date.now() - s.wallMs) * (TIMEBASE_HZ / 1000)));
  const mip = decodeCpu(machine, s.cpu, name);
  try {
    machine.restoreDevices(s.devices);
  } catch (err) {
    throw new BundleError(`${name}: devices: ${(err as Error).message}`);
  }
  machine.hart.clearPending(MIP_BITS);
  machine.hart.setPending(mip);
  machine.resumed();
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
