// The reset vector at 0x1000, the same five instructions QEMU virt uses (hw/riscv/boot.c):
// a0 = mhartid, a1 = DTB address, jump to the start address in M-mode. Only the `firmware=`
// path executes it; with the built-in SBI the machine enters the kernel in S-mode directly.

import { ROM_BASE } from './memory-map.ts';

const RESET_VECTOR = [
  0x00000297, // auipc t0, 0
  0x02828613, // addi  a2, t0, 40   (fw_dynamic info slot; fw_jump ignores a2)
  0xf1402573, // csrr  a0, mhartid
  0x0202b583, // ld    a1, 32(t0)
  0x0182b283, // ld    t0, 24(t0)
  0x00028067, // jr    t0
];

/** Writes the ROM image into the CPU's ROM window (wasm offset of physical 0). */
export function writeBootRom(rom: Uint8Array, start: number, dtb: number): void {
  const v = new DataView(rom.buffer, rom.byteOffset + ROM_BASE, 0x28);
  RESET_VECTOR.forEach((insn, i) => v.setUint32(4 * i, insn, true));
  v.setBigUint64(24, BigInt(start), true);
  v.setBigUint64(32, BigInt(dtb), true);
}
