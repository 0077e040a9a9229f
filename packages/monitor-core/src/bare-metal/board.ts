// The few devices a bare-metal test program talks to, at QEMU virt's addresses so the same ELF
// runs on `qemu-system-riscv64 -M virt -bios none`: a 16550 UART transmitter, the SiFive test
// finisher and a CLINT (msip, mtimecmp, mtime). Time is derived from retired instructions so runs
// are reproducible.
import type { Mmio } from '../machine/hart.ts';
import { BOARD, MIP_MSIP, MIP_MTIP } from '../machine/memory-map.ts';
import { UART_LSR } from '../machine/devices/uart16550.ts';
import { CLINT_MSIP, CLINT_MTIME, CLINT_MTIMECMP } from '../machine/devices/clint.ts';

// Where QEMU virt (and our machine) put them: the machine's board table.
const UART_BASE = BOARD.uart(0).base;
const FINISHER_BASE = BOARD.testFinisher.base;
const CLINT_BASE = BOARD.clint.base;
const CLINT_SIZE = BOARD.clint.size;
const LSR_THR_EMPTY = 0x60; // THRE | TEMT: the transmitter always accepts
const FINISHER_PASS = 0x5555;
const FINISHER_FAIL = 0x3333;

export interface Finish {
  code: number;
}

export class BareMetalBoard implements Mmio {
  mtime = 0n;
  mtimecmp = 0xffff_ffff_ffff_ffffn;
  msip = 0;
  finish: Finish | null = null;
  private readonly out: (byte: number) => void;
  /** Called when msip or mtimecmp change, so the hart sees the new mip before its next insn. */
  onInterruptChange: () => void = () => {};

  constructor(out: (byte: number) => void) {
    this.out = out;
  }

  read(addr: number, size: number): number {
    if (addr >= UART_BASE && addr < UART_BASE + 8) return addr - UART_BASE === UART_LSR ? LSR_THR_EMPTY : 0;
    if (addr >= CLINT_BASE && addr < CLINT_BASE + CLINT_SIZE) {
      const off = addr - CLINT_BASE;
      if (off === CLINT_MSIP) return this.msip;
      if (off >= CLINT_MTIMECMP && off < CLINT_MTIMECMP + 8) return half(this.mtimecmp, off - CLINT_MTIMECMP, size);
      if (off >= CLINT_MTIME && off < CLINT_MTIME + 8) return half(this.mtime, off - CLINT_MTIME, size);
    }
    return 0;
  }

  write(addr: number, size: number, value: number): void {
    if (addr === UART_BASE) {
      this.out(value & 0xff);
    } else if (addr === FINISHER_BASE && size === 4) {
      const kind = value & 0xffff;
      if (kind === FINISHER_PASS) this.finish = { code: 0 };
      else if (kind === FINISHER_FAIL) this.finish = { code: value >>> 16 || 1 };
    } else if (addr >= CLINT_BASE && addr < CLINT_BASE + CLINT_SIZE) {
      const off = addr - CLINT_BASE;
      if (off === CLINT_MSIP) this.msip = value & 1;
      else if (off >= CLINT_MTIMECMP && off < CLINT_MTIMECMP + 8) {
        this.mtimecmp = setHalf(this.mtimecmp, off - CLINT_MTIMECMP, value);
      }
      this.onInterruptChange();
    }
  }

  /** The mip bits MTIP and MSIP as the devices currently drive them. */
  pendingMask(): number {
    return (this.mtime >= this.mtimecmp ? MIP_MTIP : 0) | (this.msip ? MIP_MSIP : 0);
  }
}

function half(v: bigint, off: number, size: number): number {
  const shifted = v >> BigInt(off * 8);
  return Number(BigInt.asUintN(size * 8, shifted)) | 0;
}

function setHalf(v: bigint, off: number, value: number): bigint {
  const shift = BigInt(off * 8);
  const mask = 0xffff_ffffn << shift;
  return (v & ~mask) | (BigInt(value >>> 0) << shift);
}
