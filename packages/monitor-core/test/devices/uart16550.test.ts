// 16550A registers as the Linux 8250 driver uses them: LSR, IIR priorities, THRE interrupt on
// IER enable (UART_BUG_THRE test), receive interrupt, divisor latch, loopback.

import t from 'tap';
import {
  Uart16550,
  UART_DLL,
  UART_DLM,
  UART_FCR,
  UART_IER,
  UART_IIR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RX,
  UART_SCR,
  UART_TX,
} from '../../src/machine/devices/uart16550.ts';
import { Irq } from './virtio-driver.ts';
import { BOARD } from '../../src/machine/memory-map.ts';

function uart() {
  const irq = new Irq();
  const out: number[] = [];
  const u = new Uart16550(0, BOARD.uart(0), irq, (b) => out.push(...b));
  return { u, irq, out };
}

t.test('transmit and line status', async (t) => {
  const { u, out } = uart();
  t.equal(u.read(UART_LSR, 1) & 0x60, 0x60, 'THRE and TEMT: always ready');
  u.write(UART_TX, 1, 0x41);
  t.same(out, [0x41]);
  t.equal(u.read(UART_IIR, 1), 0x01, 'no interrupt pending');
});

t.test('THRE interrupt: raised on enable, cleared by reading IIR, raised again after a write', async (t) => {
  const { u, irq } = uart();
  u.write(UART_IER, 1, 0x02);
  t.ok(irq.level);
  t.equal(u.read(UART_IIR, 1) & 0x0f, 0x02);
  t.notOk(irq.level, 'IIR read clears THRE');
  u.write(UART_TX, 1, 0x42);
  t.ok(irq.level);
  u.write(UART_IER, 1, 0);
  t.notOk(irq.level);
});

t.test('receive: data ready, interrupt, FIFO flag in IIR', async (t) => {
  const { u, irq } = uart();
  u.write(UART_FCR, 1, 0x07);
  u.write(UART_IER, 1, 0x01);
  t.notOk(irq.level);
  u.receive(new TextEncoder().encode('ok'));
  t.ok(irq.level);
  t.equal(u.read(UART_IIR, 1), 0xc4, 'received data available, FIFOs enabled');
  t.equal(u.read(UART_LSR, 1) & 1, 1);
  t.equal(u.read(UART_RX, 1), 0x6f);
  t.equal(u.read(UART_RX, 1), 0x6b);
  t.equal(u.read(UART_LSR, 1) & 1, 0);
  t.notOk(irq.level);
});

t.test('divisor latch and scratch, loopback', async (t) => {
  const { u, out } = uart();
  u.write(UART_LCR, 1, 0x83);
  u.write(UART_DLL, 1, 0x01);
  u.write(UART_DLM, 1, 0x00);
  t.equal(u.read(UART_DLL, 1), 0x01, 'DLL');
  u.write(UART_LCR, 1, 0x03);
  u.write(UART_SCR, 1, 0x5a);
  t.equal(u.read(UART_SCR, 1), 0x5a);
  u.write(UART_MCR, 1, 0x10 | 0x03);
  u.write(UART_TX, 1, 0x55);
  t.same(out, [], 'loopback does not reach the host');
  t.equal(u.read(UART_RX, 1), 0x55);
  t.equal(u.read(UART_MSR, 1) & 0x30, 0x30, 'DTR/RTS looped to DSR/CTS');
});

t.test('save() is plain data; a new UART restored from it has the same registers, FIFO and interrupt', async (t) => {
  const { u, irq } = uart();
  u.write(UART_LCR, 1, 0x83);
  u.write(UART_DLL, 1, 0x01);
  u.write(UART_LCR, 1, 0x03);
  u.write(UART_SCR, 1, 0x5a);
  u.write(UART_FCR, 1, 0x01);
  u.write(UART_IER, 1, 0x01);
  u.receive(new TextEncoder().encode('ab'));
  const saved = JSON.parse(JSON.stringify(u.save()));
  const again = uart();
  again.u.restore(saved);
  t.same(again.u.save(), u.save(), 'same state');
  t.equal(again.irq.level, irq.level, 'receive interrupt raised again');
  for (const reg of [UART_IER, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR]) t.equal(again.u.read(reg, 1), u.read(reg, 1), `register ${reg}`);
  t.equal(again.u.read(UART_IIR, 1), 0xc4, 'received data available, FIFOs enabled');
  t.equal(String.fromCharCode(again.u.read(UART_RX, 1), again.u.read(UART_RX, 1)), 'ab', 'FIFO contents');
  again.u.write(UART_LCR, 1, 0x83);
  t.equal(again.u.read(UART_DLL, 1), 0x01, 'divisor latch');
});
