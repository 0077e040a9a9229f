// Goldfish RTC (Android emulator device; QEMU hw/rtc/goldfish_rtc.c register layout): wall-clock
// nanoseconds since the epoch, settable by the guest (kept as an offset), with one alarm.

import type { IrqLine, MmioDevice, Plain, Ticking } from './mmio-device.ts';
import type { Placement } from '../memory-map.ts';

// Register offsets (Linux drivers/rtc/rtc-goldfish.c names them TIMER_*).
export const TIME_LOW = 0x00;
export const TIME_HIGH = 0x04;
export const ALARM_LOW = 0x08;
export const ALARM_HIGH = 0x0c;
export const IRQ_ENABLED = 0x10;
export const CLEAR_ALARM = 0x14;
export const ALARM_STATUS = 0x18;
export const CLEAR_INTERRUPT = 0x1c;
const TWO32 = 0x1_0000_0000n;

export class GoldfishRtc implements MmioDevice, Ticking {
  readonly name = 'goldfish-rtc';
  readonly base: number;
  readonly size: number;
  private offsetNs = 0n;
  private latchedHigh = 0;
  private alarmNs = 0n;
  private alarmArmed = false;
  private irqEnabled = 0;
  private irqPending = false;
  private writeHigh = 0;
  private alarmHigh = 0;
  private readonly irq: IrqLine;

  constructor(place: Placement, irq: IrqLine) {
    ({ base: this.base, size: this.size } = place);
    this.irq = irq;
  }

  reset(): void {
    this.alarmArmed = false;
    this.irqEnabled = 0;
    this.irqPending = false;
    this.irq.set(false);
  }

  /** The guest's clock offset and alarm (nanoseconds as decimal strings: plain data has no
   *  bigint), the interrupt state and the half-written high words. */
  save(): Plain {
    return {
      offsetNs: String(this.offsetNs),
      alarmNs: String(this.alarmNs),
      alarmArmed: this.alarmArmed,
      irqEnabled: this.irqEnabled,
      irqPending: this.irqPending,
      latchedHigh: this.latchedHigh,
      writeHigh: this.writeHigh,
      alarmHigh: this.alarmHigh,
    };
  }

  restore(state: Plain): void {
    const s = state as {
      offsetNs: string;
      alarmNs: string;
      alarmArmed: boolean;
      irqEnabled: number;
      irqPending: boolean;
      latchedHigh: number;
      writeHigh: number;
      alarmHigh: number;
    };
    this.offsetNs = BigInt(s.offsetNs);
    this.alarmNs = BigInt(s.alarmNs);
    ({
      alarmArmed: this.alarmArmed,
      irqEnabled: this.irqEnabled,
      irqPending: this.irqPending,
      latchedHigh: this.latchedHigh,
      writeHigh: this.writeHigh,
      alarmHigh: this.alarmHigh,
    } = s);
    this.irq.set(this.irqPending && this.irqEnabled !== 0);
  }

  private nowNs(): bigint {
    return BigInt(Date.now()) * 1_000_000n + this.offsetNs;
  }

  /** Called from the run loop (Ticking): fire the alarm once its time has come. The alarm is
   *  in host wall-clock time, so mtime is not needed. */
  tick(): void {
    if (this.alarmArmed && this.nowNs() >= this.alarmNs) {
      this.alarmArmed = false;
      this.irqPending = true;
      this.irq.set(this.irqEnabled !== 0);
    }
  }

  read(offset: number, _size: number): number {
    switch (offset) {
      case TIME_LOW: {
        // Reading the low half latches the high half, so a 2x32-bit read is consistent.
        const t = this.nowNs();
        this.latchedHigh = Number(t / TWO32);
        return Number(t % TWO32);
      }
      case TIME_HIGH:
        return this.latchedHigh;
      case ALARM_LOW:
        return Number(this.alarmNs % TWO32);
      case ALARM_HIGH:
        return Number(this.alarmNs / TWO32);
      case IRQ_ENABLED:
        return this.irqEnabled;
      case ALARM_STATUS:
        return this.alarmArmed ? 1 : 0;
      default:
        return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    value >>>= 0;
    switch (offset) {
      // Linux writes the high half first; the low half commits (as QEMU's model does).
      case TIME_HIGH:
        this.writeHigh = value;
        break;
      case TIME_LOW: {
        const want = BigInt(this.writeHigh) * TWO32 + BigInt(value);
        this.offsetNs = want - BigInt(Date.now()) * 1_000_000n;
        break;
      }
      case ALARM_HIGH:
        this.alarmHigh = value;
        break;
      case ALARM_LOW:
        this.alarmNs = BigInt(this.alarmHigh) * TWO32 + BigInt(value);
        this.alarmArmed = true;
        this.tick();
        break;
      case IRQ_ENABLED:
        this.irqEnabled = value & 1;
        this.irq.set(this.irqPending && this.irqEnabled !== 0);
        break;
      case CLEAR_ALARM:
        this.alarmArmed = false;
        break;
      case CLEAR_INTERRUPT:
        this.irqPending = false;
        this.irq.set(false);
        break;
    }
  }
}
