// 16550A UART (National Semiconductor PC16550D datasheet; Linux 8250 driver with reg-shift 0).
// Transmit is instant (bytes go straight to the host sink), receive holds host bytes in a
// bounded FIFO. Interrupt identification follows the datasheet priorities: line status >
// received data > THR empty > modem status.

import type { Placement } from '../memory-map.ts';
import type { IrqLine, MmioDevice } from './mmio-device.ts';

// Register offsets (reg-shift 0), with the names of Linux's include/uapi/linux/serial_reg.h.
// Offsets 0 and 1 are the divisor latch (DLL, DLM) while LCR.DLAB is set.
export const UART_RX = 0; // read: receive buffer
export const UART_TX = 0; // write: transmit holding register
export const UART_DLL = 0;
export const UART_IER = 1;
export const UART_DLM = 1;
export const UART_IIR = 2; // read
export const UART_FCR = 2; // write
export const UART_LCR = 3;
export const UART_MCR = 4;
export const UART_LSR = 5;
export const UART_MSR = 6;
export const UART_SCR = 7;

const IER_RDA = 0x01;
const IER_THRE = 0x02;
const IER_RLS = 0x04;
const LCR_DLAB = 0x80;
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const MCR_LOOP = 0x10;
const IIR_NONE = 0x01;
const IIR_RLS = 0x06;
const IIR_RDA = 0x04;
const IIR_THRE = 0x02;
/** Host input waiting for the guest; beyond this the oldest-first order is kept and new bytes
 *  are dropped with an overrun, as a real UART would when its driver does not keep up. */
const RX_LIMIT = 4096;

export type Uart16550State = {
  rx: number[];
  ier: number;
  lcr: number;
  mcr: number;
  lsrErrors: number;
  scr: number;
  dll: number;
  dlm: number;
  fcr: number;
  threPending: boolean;
};

export class Uart16550 implements MmioDevice {
  readonly name: string;
  readonly unit: number;
  readonly base: number;
  readonly size: number;
  private readonly irq: IrqLine;
  private readonly sink: (bytes: Uint8Array) => void;
  private rx: number[] = [];
  private ier = 0;
  private lcr = 0x03;
  private mcr = 0;
  private lsrErrors = 0;
  private scr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private fcr = 0;
  /** The THR-empty interrupt is pending until IIR reports it or THR is written (datasheet). */
  private threPending = false;

  constructor(unit: number, place: Placement, irq: IrqLine, sink: (bytes: Uint8Array) => void) {
    ({ base: this.base, size: this.size } = place);
    this.name = `uart${unit}`;
    this.unit = unit;
    this.irq = irq;
    this.sink = sink;
  }

  reset(): void {
    this.rx = [];
    this.ier = 0;
    this.lcr = 0x03;
    this.mcr = 0;
    this.lsrErrors = 0;
    this.fcr = 0;
    this.threPending = false;
    this.update();
  }

  /** The registers and the receive FIFO as plain data (JSON carries it), for suspend. */
  save(): Uart16550State {
    return {
      rx: [...this.rx],
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      lsrErrors: this.lsrErrors,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      fcr: this.fcr,
      threPending: this.threPending,
    };
  }

  restore(state: Uart16550State): void {
    ({
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      lsrErrors: this.lsrErrors,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      fcr: this.fcr,
      threPending: this.threPending,
    } = state);
    this.rx = state.rx.slice(0, RX_LIMIT);
    this.update();
  }

  /** Bytes from the host (module SERIAL0+unit). */
  receive(data: Uint8Array): void {
    for (const b of data) {
      if (this.rx.length >= RX_LIMIT) {
        this.lsrErrors |= LSR_OE;
        break;
      }
      this.rx.push(b);
    }
    this.update();
  }

  private lsr(): number {
    return (this.rx.length ? LSR_DR : 0) | LSR_THRE | LSR_TEMT | this.lsrErrors;
  }

  private iir(): number {
    if (this.ier & IER_RLS && this.lsrErrors) return IIR_RLS;
    if (this.ier & IER_RDA && this.rx.length) return IIR_RDA;
    if (this.ier & IER_THRE && this.threPending) return IIR_THRE;
    return IIR_NONE;
  }

  private update(): void {
    this.irq.set(this.iir() !== IIR_NONE);
  }

  read(offset: number, _size: number): number {
    const dlab = this.lcr & LCR_DLAB;
    let v: number;
    switch (offset) {
      case UART_RX:
        if (dlab) return this.dll;
        v = this.rx.shift() ?? 0;
        break;
      case UART_IER:
        return dlab ? this.dlm : this.ier;
      case UART_IIR: {
        const id = this.iir();
        if (id === IIR_THRE) this.threPending = false;
        v = id | (this.fcr & 1 ? 0xc0 : 0);
        break;
      }
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR:
        v = this.lsr();
        this.lsrErrors = 0;
        break;
      case UART_MSR:
        // Loopback mirrors MCR's outputs onto the modem inputs; otherwise report a live line
        // (DCD, DSR, CTS) so drivers using flow control keep sending.
        if (!(this.mcr & MCR_LOOP)) return 0xb0;
        return ((this.mcr & 0x02) << 3) | ((this.mcr & 0x01) << 5) | ((this.mcr & 0x0c) << 4);
      case UART_SCR:
        return this.scr;
      default:
        return 0;
    }
    this.update();
    return v;
  }

  write(offset: number, _size: number, value: number): void {
    value &= 0xff;
    const dlab = this.lcr & LCR_DLAB;
    switch (offset) {
      case UART_TX:
        if (dlab) {
          this.dll = value;
          return;
        }
        if (this.mcr & MCR_LOOP) this.receive(Uint8Array.of(value));
        else this.sink(Uint8Array.of(value));
        this.threPending = true;
        break;
      case UART_IER:
        if (dlab) {
          this.dlm = value;
          return;
        }
        // Enabling ETBEI with an empty THR raises the THRE interrupt at once (the 8250 driver
        // tests this at startup to detect UART_BUG_THRE).
        if (value & IER_THRE && !(this.ier & IER_THRE)) this.threPending = true;
        this.ier = value & 0x0f;
        break;
      case UART_FCR:
        this.fcr = value & 0xc9;
        if (value & 0x02) this.rx = [];
        break;
      case UART_LCR:
        this.lcr = value;
        return;
      case UART_MCR:
        this.mcr = value & 0x1f;
        break;
      case UART_SCR:
        this.scr = value;
        return;
      default:
        return;
    }
    this.update();
  }
}
