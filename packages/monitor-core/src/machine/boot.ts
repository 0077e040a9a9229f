// Entering the kernel. The `firmware=` path executes a real reset vector at 0x1000 (QEMU's
// five instructions, hw/riscv/boot.c: a0 = mhartid, a1 = DTB, jump in M-mode); with the
// built-in SBI the machine puts the hart straight into S-mode the way firmware leaves it.

import type { Hart } from './hart.ts';
import { ROM_BASE } from './memory-map.ts';
import { PRIV_S } from './cpu/abi.ts';

const RESET_VECTOR = [
  0x00000297, // auipc t0, 0
  0x02828613, // addi  a2, t0, 40   (fw_dynamic info slot; fw_jump ignores a2)
  0xf1402573, // csrr  a0, mhartid
  0x0202b583, // ld    a1, 32(t0)
  0x0182b283, // ld    t0, 24(t0)
  0x00028067, // jr    t0
];

const CSR_MSTATUS = 0x300;
const CSR_MEDELEG = 0x302;
const CSR_MIDELEG = 0x303;
const CSR_MIE = 0x304;
const CSR_MCOUNTEREN = 0x306;
const CSR_MENVCFG = 0x30a;
const CSR_SCOUNTEREN = 0x106;
const CSR_PMPCFG0 = 0x3a0;
const CSR_PMPADDR0 = 0x3b0;
const MENVCFG_STCE = 1n << 63n;

/** Writes the ROM image into the CPU's ROM window (wasm offset of physical 0). */
export function writeBootRom(rom: Uint8Array, start: number, dtb: number): void {
  const v = new DataView(rom.buffer, rom.byteOffset + ROM_BASE, 0x28);
  RESET_VECTOR.forEach((insn, i) => v.setUint32(4 * i, insn, true));
  v.setBigUint64(24, BigInt(start), true);
  v.setBigUint64(32, BigInt(dtb), true);
}

/** What firmware does before entering Linux (Documentation/arch/riscv/boot.rst): delegate
 *  traps and S-mode interrupts, open the counters and Sstc, allow all memory, then S-mode at
 *  the entry with a0 = hart id, a1 = DTB, satp = 0. */
export function enterSupervisor(hart: Hart, entry: number, dtb: number): void {
  const c = hart.cpu;
  c.csrWrite(CSR_MEDELEG, 0xb1ffn); // all synchronous exceptions except ecall from S/M
  c.csrWrite(CSR_MIDELEG, 0x222n); // SSIP, STIP, SEIP
  c.csrWrite(CSR_MIE, 0n);
  c.csrWrite(CSR_MCOUNTEREN, 7n); // cycle, time, instret readable in S/U
  // Linux never sets scounteren without a PMU driver, yet its vDSO reads `time` in U-mode;
  // OpenSBI opens CY/TM/IR for it (sbi_hart.c mstatus_init), so the monitor does too.
  c.csrWrite(CSR_SCOUNTEREN, 7n);
  c.csrWrite(CSR_MENVCFG, MENVCFG_STCE);
  c.csrWrite(CSR_PMPADDR0, (1n << 54n) - 1n);
  c.csrWrite(CSR_PMPCFG0, 0x1fn); // NAPOT, RWX over everything
  c.csrWrite(CSR_MSTATUS, 0n);
  hart.setReg(10, 0n);
  hart.setReg(11, BigInt(dtb));
  c.setPc(BigInt(entry));
  c.setPriv(PRIV_S);
}
