// The physical memory map and interrupt wiring of the machine. Addresses follow QEMU's `virt`
// board (QEMU hw/riscv/virt.c virt_memmap) so kernels and firmware built for it run unchanged.
import { KERNEL_OFFSET_IN_RAM } from '@colinux/protocol';
import { RAM_PHYS, RESET_PC } from './cpu/abi.ts';

/** The boot code (QEMU virt's mask ROM at 0x1000): where the CPU core starts after reset. */
export const ROM_BASE = RESET_PC;
/** Guest RAM, 0x8000_0000: where the CPU core places it. */
export const RAM_BASE = RAM_PHYS;
/** Where a Linux Image (and the `load-section` offsets) start: the second 2 MiB page of RAM, 0x8020_0000. */
export const KERNEL_BASE = RAM_BASE + KERNEL_OFFSET_IN_RAM;

/** Where a device sits on the board: its register window and the PLIC input it drives. */
export interface Placement {
  readonly base: number;
  readonly size: number;
}
export interface IrqPlacement extends Placement {
  /** PLIC source; 0 does not exist (PLIC spec §1). */
  readonly irq: number;
}

/** PLIC sources (riscv,ndev). */
export const PLIC_SOURCES = 127;
/** QEMU puts one UART at 0x1000_0000; further ttySn follow at 0x100 steps up to the virtio slots. */
export const UART_MAX = 16;
/** 0x1000_1000 .. 0x1010_0000 holds 255 slots before QEMU's fw-cfg address. */
export const VIRTIO_MAX_SLOTS = 64;

/**
 * The board table: every device's base, size and interrupt, in one place. machine.ts places each
 * device by it and the device tree (dtb/machine-dtb.ts) describes the same entries.
 */
export const BOARD = {
  testFinisher: { base: 0x0010_0000, size: 0x1000 },
  rtc: { base: 0x0010_1000, size: 0x1000, irq: 11 },
  clint: { base: 0x0200_0000, size: 0x1_0000 },
  plic: { base: 0x0c00_0000, size: 0x60_0000 },
  /** ttyS<unit>: ttyS0 is IRQ 10 as on QEMU; ttyS1.. take 12..26 (docs/machine.md). */
  uart: (unit: number): IrqPlacement => ({ base: 0x1000_0000 + 0x100 * unit, size: 0x100, irq: unit === 0 ? 10 : 11 + unit }),
  /** Virtio slot n uses IRQ 1+n as on QEMU (1..8), then continues at 32+ to stay clear of 10/11. */
  virtio: (slot: number): IrqPlacement => ({ base: 0x1000_1000 + 0x1000 * slot, size: 0x1000, irq: slot < 8 ? 1 + slot : 32 + (slot - 8) }),
} as const satisfies Record<string, Placement | IrqPlacement | ((n: number) => IrqPlacement)>;

/** 10 MHz, like QEMU virt and TinyEMU: mtime ticks per second. */
export const TIMEBASE_HZ = 10_000_000;

// mip bits the host drives (RISC-V privileged spec §3.1.9).
export const MIP_SSIP = 1 << 1;
export const MIP_MSIP = 1 << 3;
export const MIP_STIP = 1 << 5;
export const MIP_MTIP = 1 << 7;
export const MIP_SEIP = 1 << 9;
export const MIP_MEIP = 1 << 11;
