// Goldfish RTC (QEMU hw/rtc/goldfish_rtc.c layout as Linux's rtc-goldfish uses it) and the SiFive
// test finisher's power codes.

import t from 'tap';
import { ALARM_HIGH, ALARM_LOW, ALARM_STATUS, CLEAR_INTERRUPT, GoldfishRtc, IRQ_ENABLED, TIME_HIGH, TIME_LOW } from '../../src/machine/devices/goldfish-rtc.ts';
import { Termination } from '@colinux/protocol';
import { TestFinisher } from '../../src/machine/devices/test-finisher.ts';
import { BOARD } from '../../src/machine/memory-map.ts';
import { Irq } from './virtio-driver.ts';

const read64 = (rtc: GoldfishRtc, low: number) => {
  const lo = rtc.read(low, 4);
  return BigInt(rtc.read(low + 4, 4)) * 0x1_0000_0000n + BigInt(lo); // the high half follows
};

t.test('RTC: reads the host wall clock in ns, a guest-set time is kept as an offset', async (t) => {
  const rtc = new GoldfishRtc(BOARD.rtc, new Irq());
  const ns = read64(rtc, TIME_LOW);
  t.ok(Math.abs(Number(ns / 1_000_000n) - Date.now()) < 5000, 'time near the host clock');
  const target = 1_000_000_000n * 1_000_000_000n; // 2001-09-09
  rtc.write(TIME_HIGH, 4, Number(target / 0x1_0000_0000n));
  rtc.write(TIME_LOW, 4, Number(target % 0x1_0000_0000n));
  const back = read64(rtc, TIME_LOW);
  t.ok(back >= target && back - target < 5_000_000_000n, 'set time read back (high half written first, low commits)');
});

t.test('RTC: an alarm in the past fires the interrupt when enabled, clear drops it', async (t) => {
  const irq = new Irq();
  const rtc = new GoldfishRtc(BOARD.rtc, irq);
  rtc.write(IRQ_ENABLED, 4, 1);
  rtc.write(ALARM_HIGH, 4, 0);
  rtc.write(ALARM_LOW, 4, 1000); // 1 µs after the epoch: long past
  t.ok(irq.level, 'alarm fired');
  t.equal(rtc.read(ALARM_STATUS, 4), 0, 'no alarm pending any more');
  rtc.write(CLEAR_INTERRUPT, 4, 1);
  t.notOk(irq.level, 'CLEAR_INTERRUPT');
  const future = BigInt(Date.now() + 3_600_000) * 1_000_000n;
  rtc.write(ALARM_HIGH, 4, Number(future / 0x1_0000_0000n));
  rtc.write(ALARM_LOW, 4, Number(future % 0x1_0000_0000n));
  rtc.tick();
  t.notOk(irq.level, 'an alarm in an hour does not fire now');
  t.equal(rtc.read(ALARM_STATUS, 4), 1, 'alarm armed');
});

t.test('test finisher: 0x5555 power off, 0x7777 reboot, 0x3333 fail code', async (t) => {
  const seen: Array<[number, string | undefined]> = [];
  const f = new TestFinisher(BOARD.testFinisher, (reason, text) => seen.push([reason, text]));
  f.write(0, 4, 0x5555);
  f.write(0, 4, 0x7777);
  f.write(0, 4, (3 << 16) | 0x3333);
  f.write(0, 4, 0x1234);
  f.write(4, 4, 0x5555);
  t.same(seen, [
    [Termination.POWEROFF, undefined],
    [Termination.REBOOT, undefined],
    [Termination.HALT, 'test finisher: fail code 3'],
  ]);
});

t.test('RTC: save() is plain data; a new RTC restored from it keeps the guest time, alarm and interrupt', async (t) => {
  const irq = new Irq();
  const rtc = new GoldfishRtc(BOARD.rtc, irq);
  const target = 1_000_000_000n * 1_000_000_000n;
  rtc.write(TIME_HIGH, 4, Number(target / 0x1_0000_0000n));
  rtc.write(TIME_LOW, 4, Number(target % 0x1_0000_0000n));
  rtc.write(IRQ_ENABLED, 4, 1);
  rtc.write(ALARM_HIGH, 4, 0);
  rtc.write(ALARM_LOW, 4, 1000); // long past: fires now
  t.ok(irq.level);
  const irq2 = new Irq();
  const rtc2 = new GoldfishRtc(BOARD.rtc, irq2);
  rtc2.restore(JSON.parse(JSON.stringify(rtc.save())));
  t.same(rtc2.save(), rtc.save(), 'same state');
  t.ok(irq2.level, 'pending interrupt raised again');
  const back = read64(rtc2, TIME_LOW);
  t.ok(back >= target && back - target < 5_000_000_000n, 'the guest-set time carries over');
  rtc2.write(CLEAR_INTERRUPT, 4, 1);
  t.notOk(irq2.level, 'and clears as before');
});
