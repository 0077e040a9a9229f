// One RISC-V machine: hart, RAM, devices, SBI, DTB and boot. Usable directly (tests, tools) or
// from the worker (worker.ts), which adds messages and sleeping. Time is the host monotonic
// clock in 10 MHz ticks; `run` executes slices sized so timers fire within about 1 ms.

import { Module, Termination, netModule, serialModule, type ModuleId, type PowerActionName } from '@colinux/protocol';
import { Hart, EXIT_HALT, EXIT_SBI, EXIT_WFI } from './hart.ts';
import { GuestRam } from './guest-ram.ts';
import type { MachineConfig, MachineStats } from './contract.ts';
import { Bus } from './bus.ts';
import { Clint } from './devices/clint.ts';
import { Plic } from './devices/plic.ts';
import { Uart16550 } from './devices/uart16550.ts';
import { TestFinisher } from './devices/test-finisher.ts';
import { GoldfishRtc } from './devices/goldfish-rtc.ts';
import { VirtioMmio } from './devices/virtio/mmio.ts';
import { VirtioConsole } from './devices/virtio/console.ts';
import { VirtioBlock } from './devices/virtio/block.ts';
import { VirtioEntropy } from './devices/virtio/entropy.ts';
import { VirtioNet } from './devices/virtio/net.ts';
import { VirtioNinep } from './devices/virtio/ninep.ts';
import type { VirtioDevice } from './devices/virtio/virtio-device.ts';
import type { Plain, Ticking } from './devices/mmio-device.ts';
import { Sbi } from './sbi/sbi.ts';
import { KernelLog } from './sbi/kernel-log.ts';
import { buildDtb, bootargs } from './dtb/machine-dtb.ts';
import { loadFirmware } from './firmware.ts';
import { enterSupervisor, writeBootRom } from './boot.ts';
import { BOARD, KERNEL_BASE, PLIC_SOURCES, RAM_BASE, TIMEBASE_HZ, UART_MAX, VIRTIO_MAX_SLOTS } from './memory-map.ts';
import {
  ROM_SIZE,
  STAT_CODE_PAGE_DATA_WRITES,
  STAT_CODE_PAGE_WRITES,
  STAT_DECODE_MISSES,
  STAT_JIT_BATCHES,
  STAT_JIT_DROPPED,
  STAT_JIT_ENTRIES,
  STAT_JIT_FLUSHES,
  STAT_JIT_INSNS,
  STAT_JIT_LOOKUPS,
  STAT_JIT_REGIONS,
  STAT_JIT_TRANSLATED,
} from './cpu/abi.ts';

export type MachineSpec = Omit<MachineConfig, 'wake' | 'port'>;

export interface MachineEvents {
  output(module: ModuleId, data: Uint8Array): void;
  terminated(reason: Termination, text?: string): void;
  log(message: string): void;
}

/** Lines the guest's init reads from /dev/hvc1 (guest/ init). A coLinux "shutdown" is
 *  `shutdown -h now`, which ends the VM: it becomes a clean power-off. */
const POWER_LINES: Record<PowerActionName, string> = {
  shutdown: 'poweroff\n',
  poweroff: 'poweroff\n',
  reboot: 'reboot\n',
  'ctrl-alt-del': 'ctrl-alt-del\n',
};

const CSR_MENVCFG = 0x30a;
const CSR_STIMECMP = 0x14d;
const TWO_MIB = 0x20_0000;
const MENVCFG_STCE = 1n << 63n;

export type RunResult = { state: 'running' } | { state: 'idle'; sleepMs: number } | { state: 'terminated' };

export class Machine {
  readonly spec: MachineSpec;
  readonly hart: Hart;
  readonly ram: GuestRam;
  readonly plic: Plic;
  readonly clint: Clint;
  readonly sbi: Sbi;
  readonly console: VirtioConsole;
  readonly powerConsole: VirtioConsole;
  readonly blocks: VirtioBlock[] = [];
  private readonly shares: VirtioNinep[] = [];
  readonly nets = new Map<number, VirtioNet>();
  readonly uarts = new Map<number, Uart16550>();
  readonly virtio: VirtioMmio[] = [];
  termination: { reason: Termination; text?: string } | null = null;
  started = false;
  private readonly events: MachineEvents;
  private readonly bus: Bus;
  private readonly rtc: GoldfishRtc;
  /** What the run loop brings up to date before each slice: the CLINT's and (without firmware)
   *  the SBI's timers, and the RTC alarm. */
  private readonly ticking: Ticking[];
  private readonly kernelLog: KernelLog;
  private readonly firmware: boolean;
  private readonly t0 = performance.now();
  /** Ticks added to the host clock: where a resumed machine's timebase continues (setTimebase). */
  private timebaseOffset = 0;
  private pendingOutput = new Map<ModuleId, Uint8Array[]>();
  private initrd: Uint8Array | null = null;
  private kernelEnd = KERNEL_BASE;
  private instructionsPerMs = 20_000;
  private hostMs = 0;

  constructor(spec: MachineSpec, events: MachineEvents, wasm?: URL) {
    this.spec = spec;
    this.events = events;
    this.firmware = spec.firmwarePath !== undefined;
    const ramSize = spec.memoryMiB * 1024 * 1024;
    this.bus = new Bus();
    this.hart = new Hart(ramSize, this.bus, wasm, () => this.mtime());
    this.ram = new GuestRam(this.hart.memory.buffer, this.hart.ramBase, ramSize);
    this.ram.onWrite = (offset, len) => this.hart.cpu.ramWritten(offset, len);
    const terminate = (reason: Termination, text?: string) => this.terminate(reason, text);
    this.plic = new Plic(BOARD.plic, PLIC_SOURCES, this.hart);
    this.clint = new Clint(BOARD.clint, this.hart, () => this.mtime());
    this.rtc = new GoldfishRtc(BOARD.rtc, this.plic.line(BOARD.rtc.irq));
    this.kernelLog = new KernelLog((b) => this.emit(Module.PRINTK, b), terminate);
    this.sbi = new Sbi({
      reg: (n) => this.hart.reg(n),
      setReg: (n, v) => this.hart.setReg(n, v),
      setPending: (m) => this.hart.setPending(m),
      clearPending: (m) => this.hart.clearPending(m),
      flushTlb: () => this.hart.cpu.flushTlb(),
      setStimecmp: (deadline) => {
        if (!(this.hart.cpu.csrRead(CSR_MENVCFG) & MENVCFG_STCE)) return false;
        this.hart.cpu.csrWrite(CSR_STIMECMP, BigInt.asIntN(64, deadline));
        return true;
      },
      ram: this.ram,
      consoleWrite: (b) => this.kernelLog.write(b),
      consoleRead: () => -1,
      terminate,
    });
    this.bus.add(this.plic);
    this.bus.add(this.clint);
    this.bus.add(this.rtc);
    this.bus.add(new TestFinisher(BOARD.testFinisher, terminate));
    this.ticking = this.firmware ? [this.clint, this.rtc] : [this.clint, this.sbi, this.rtc];
    for (const unit of spec.serialPorts) {
      if (unit < 0 || unit >= UART_MAX) throw new Error(`ttys${unit}: only ttys0..ttys${UART_MAX - 1} have a UART`);
      const place = BOARD.uart(unit);
      const uart = new Uart16550(unit, place, this.plic.line(place.irq), (b) => this.emit(serialModule(unit), b));
      this.uarts.set(unit, uart);
      this.bus.add(uart);
    }
    // Slot order is probe order: hvc0 (console) then hvc1 (power requests), disks in index
    // order (vda, vdb, …), network units, entropy, 9p shares.
    this.console = new VirtioConsole('console', spec.console.cols, spec.console.rows, (b) => this.emit(Module.CONSOLE, b));
    this.powerConsole = new VirtioConsole('power', 80, 25, () => {});
    this.addVirtio(this.console);
    this.addVirtio(this.powerConsole);
    for (const disk of [...spec.blockDevices].sort((a, b) => a.index - b.index)) {
      const blk = new VirtioBlock(disk);
      this.blocks.push(blk);
      this.addVirtio(blk);
    }
    for (const nic of spec.netDevices) {
      const net = new VirtioNet(nic.unit, nic.mac, (f) => this.emit(netModule(nic.unit), f));
      this.nets.set(nic.unit, net);
      this.addVirtio(net);
    }
    this.addVirtio(new VirtioEntropy());
    for (const share of spec.sharedDirs) {
      const ninep = new VirtioNinep(share.unit, share.path, share.readOnly);
      this.shares.push(ninep);
      this.addVirtio(ninep);
    }
    this.powerOn();
  }

  private addVirtio(device: VirtioDevice): void {
    const slot = this.virtio.length;
    if (slot >= VIRTIO_MAX_SLOTS) throw new Error(`too many virtio devices (at most ${VIRTIO_MAX_SLOTS})`);
    const place = BOARD.virtio(slot);
    const t = new VirtioMmio(place, this.ram, this.plic.line(place.irq), device, (m) => this.events.log(m));
    this.virtio.push(t);
    this.bus.add(t);
  }

  /** mtime: host monotonic time since the machine was created, in timebase ticks. */
  mtime(): number {
    return this.mtimeAt(performance.now());
  }

  private mtimeAt(t: number): number {
    return Math.floor((t - this.t0) * (TIMEBASE_HZ / 1000)) + this.timebaseOffset;
  }

  /** From now on mtime counts on from `ticks` (a resumed machine, snapshot.ts). */
  setTimebase(ticks: number): void {
    this.timebaseOffset = 0;
    this.timebaseOffset = ticks - this.mtime();
  }

  private powerOn(): void {
    if (this.firmware) loadFirmware(this.ram, this.spec.firmwarePath!);
    this.hart.cpu.setSbiInMonitor(this.firmware ? 0 : 1);
  }

  /** `reset` message: RAM cleared, devices reset, configuration kept (the REBOOT path). */
  reset(): void {
    this.ram.bytes.fill(0);
    this.hart.reset();
    this.bus.reset();
    this.sbi.reset();
    this.kernelLog.reset();
    this.initrd = null;
    this.kernelEnd = KERNEL_BASE;
    this.termination = null;
    this.started = false;
    this.pendingOutput.clear();
    this.powerOn();
  }

  loadSection(offset: number, size: number, data?: Uint8Array): void {
    const addr = KERNEL_BASE + offset;
    let dest: Uint8Array;
    try {
      dest = this.ram.slice(addr, size);
    } catch {
      throw new Error(`kernel section at 0x${addr.toString(16)} (+${size} bytes) does not fit in ${this.spec.memoryMiB} MiB of RAM`);
    }
    if (data) {
      dest.set(data.subarray(0, size));
      if (data.length < size) dest.fill(0, data.length);
    } else dest.fill(0);
    this.kernelEnd = Math.max(this.kernelEnd, addr + size);
  }

  loadInitrd(data: Uint8Array): void {
    this.initrd = data;
  }

  /** Lay out initrd and DTB at the top of RAM and point the hart at the kernel. */
  start(entryOffset: number): void {
    const top = RAM_BASE + this.ram.size;
    const seed = crypto.getRandomValues(new Uint8Array(64));
    const layout = {
      ramSize: this.ram.size,
      bootargs: bootargs(this.spec.bootLine),
      uarts: [...this.uarts.keys()].map((unit) => ({ unit, ...BOARD.uart(unit) })),
      virtio: this.virtio.map((_, slot) => BOARD.virtio(slot)),
      sstc: true,
      rngSeed: seed,
    };
    const dtbSize = buildDtb({ ...layout, initrd: { start: 0, end: 0 } }).length;
    const dtbAddr = Math.floor((top - dtbSize) / 16) * 16;
    let initrd: { start: number; end: number } | undefined;
    if (this.initrd) {
      const start = Math.floor((dtbAddr - this.initrd.length) / TWO_MIB) * TWO_MIB;
      if (start < this.kernelEnd) {
        throw new Error(`initrd (${this.initrd.length} bytes) does not fit above the kernel in ${this.spec.memoryMiB} MiB of RAM`);
      }
      this.ram.slice(start, this.initrd.length).set(this.initrd);
      initrd = { start, end: start + this.initrd.length };
      this.initrd = null; // it lives in guest RAM now; a reboot loads it again (reset, then load-initrd)
    }
    const dtb = buildDtb({ ...layout, initrd });
    this.ram.slice(dtbAddr, dtb.length).set(dtb);
    const entry = KERNEL_BASE + entryOffset;
    const rom = this.rom();
    if (this.firmware) {
      // fw_jump runs from 0x8000_0000 in M-mode and itself jumps to 0x8020_0000; it copies
      // the DTB from a1 to FW_JUMP_FDT_ADDR (0x8220_0000 in Debian's generic build).
      writeBootRom(rom, RAM_BASE, dtbAddr);
    } else {
      writeBootRom(rom, entry, dtbAddr);
      enterSupervisor(this.hart, entry, dtbAddr);
    }
    this.started = true;
  }

  /** A message for the guest from a module (console keys, frames, serial bytes). */
  deliver(module: ModuleId, data: Uint8Array): void {
    if (module === Module.CONSOLE) this.console.receive(data);
    else if (module >= Module.SERIAL0 && this.uarts.has(module - Module.SERIAL0)) this.uarts.get(module - Module.SERIAL0)!.receive(data);
    else if (module >= Module.CONET0 && this.nets.has(module - Module.CONET0)) this.nets.get(module - Module.CONET0)!.receive(data);
  }

  /** `disk-snapshot`: cobd<index> continues on a new overlay (block.ts pushOverlay). */
  snapshotDisk(index: number, fd: number, file: string): void {
    const blk = this.blocks.find((b) => b.name === `blk${index}`);
    if (!blk) throw new Error(`no cobd${index}`);
    blk.pushOverlay(fd, file);
  }

  power(action: PowerActionName): void {
    this.powerConsole.receive(new TextEncoder().encode(POWER_LINES[action]));
  }

  terminate(reason: Termination, text?: string): void {
    if (this.termination) return;
    if (reason === Termination.POWEROFF && this.kernelLog.systemHalted) reason = Termination.HALT;
    this.termination = text === undefined ? { reason } : { reason, text };
    this.flushOutput();
    this.events.terminated(reason, text);
  }

  private emit(module: ModuleId, bytes: Uint8Array): void {
    let list = this.pendingOutput.get(module);
    if (!list) this.pendingOutput.set(module, (list = []));
    list.push(bytes);
  }

  /** Post the output gathered during the slice: one message per module, one per frame for networks. */
  flushOutput(): void {
    if (this.pendingOutput.size === 0) return;
    const pending = this.pendingOutput;
    this.pendingOutput = new Map();
    for (const [module, parts] of pending) {
      // Network output is a sequence of Ethernet frames whose boundaries the helpers need:
      // one message per frame. Byte streams (console, printk, serial) are coalesced.
      if (module >= Module.CONET0 && module <= Module.CONET_END) {
        for (const frame of parts) this.events.output(module, frame);
        continue;
      }
      const total = parts.reduce((n, p) => n + p.length, 0);
      const data = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        data.set(p, o);
        o += p.length;
      }
      this.events.output(module, data);
    }
  }

  droppedFrames(): number {
    let n = 0;
    for (const net of this.nets.values()) n += net.droppedFrames;
    return n;
  }

  /** The jit* fields are the translator's statistics (docs/cpu-core.md, `jitStats`). */
  stats(): MachineStats {
    const jit = (which: number) => Number(this.hart.cpu.jitStats(which));
    return {
      instret: this.hart.instret(),
      hostMs: Math.round(this.hostMs),
      droppedFrames: this.droppedFrames(),
      jitEntries: jit(STAT_JIT_ENTRIES),
      jitInsns: jit(STAT_JIT_INSNS),
      jitTranslated: jit(STAT_JIT_TRANSLATED),
      jitDropped: jit(STAT_JIT_DROPPED),
      jitBatches: jit(STAT_JIT_BATCHES),
      jitCodeWrites: jit(STAT_CODE_PAGE_WRITES),
      jitRegions: jit(STAT_JIT_REGIONS),
      jitLookups: jit(STAT_JIT_LOOKUPS),
      decodeMisses: jit(STAT_DECODE_MISSES),
      codePageDataWrites: jit(STAT_CODE_PAGE_DATA_WRITES),
      jitFlushes: jit(STAT_JIT_FLUSHES),
      jitCompileMs: Math.round(this.hart.jitCompileMs),
    };
  }

  /** Earliest timer deadline (mtime ticks) after `now` that could wake the hart. */
  nextDeadline(now: number): number {
    let next = Number.MAX_SAFE_INTEGER;
    const consider = (t: number) => {
      if (t > now && t < next) next = t;
    };
    if (!this.firmware) consider(this.sbi.timerDeadline);
    consider(this.clint.mtimecmp);
    if (this.hart.cpu.csrRead(CSR_MENVCFG) & MENVCFG_STCE) {
      const stimecmp = this.hart.cpu.csrRead(CSR_STIMECMP);
      if (stimecmp < BigInt(Number.MAX_SAFE_INTEGER)) consider(Number(stimecmp));
    }
    return next;
  }

  /** One `run` call of `budget` instructions with mtime and timer interrupts brought up to
   *  date first, the SBI call or halt handled after; returns the core's exit reason. */
  step(budget: number, now = this.mtime()): number {
    this.hart.setMtime(now);
    for (const device of this.ticking) device.tick(now);
    const exit = this.hart.cpu.run(budget);
    if (exit === EXIT_SBI) this.sbi.handleEcall();
    else if (exit === EXIT_HALT) this.terminate(Termination.HALT, `tohost 0x${this.hart.exitValue.toString(16)}`);
    return exit;
  }

  /** Run the guest for about `ms` of host time; stops early when idle or terminated. */
  run(ms: number): RunResult {
    if (!this.started || this.termination) return { state: 'terminated' };
    const begin = performance.now();
    const end = begin + ms;
    let result: RunResult = { state: 'running' };
    for (;;) {
      const t = performance.now();
      if (t >= end) break;
      const now = this.mtimeAt(t);
      const untilDeadline = (this.nextDeadline(now) - now) / (TIMEBASE_HZ / 1000);
      const budget = Math.max(1000, Math.min(4_000_000, Math.floor(this.instructionsPerMs * Math.min(1, untilDeadline))));
      const before = this.hart.instret();
      const exit = this.step(budget, now);
      const spent = performance.now() - t;
      const done = this.hart.instret() - before;
      if (spent > 0.05 && done > 1000) this.instructionsPerMs = 0.8 * this.instructionsPerMs + 0.2 * (done / spent);
      if (this.termination) {
        result = { state: 'terminated' };
        break;
      }
      if (exit === EXIT_WFI) {
        const wakeAt = this.nextDeadline(now);
        const nowAfter = this.mtime();
        if (wakeAt > nowAfter) {
          result = { state: 'idle', sleepMs: Math.min(1000, (wakeAt - nowAfter) / (TIMEBASE_HZ / 1000)) };
          break;
        }
      }
    }
    this.hostMs += performance.now() - begin;
    this.flushOutput();
    return result;
  }

  // ---- suspend and resume (snapshot.ts) ------------------------------------------------------
  /** The boot ROM (guest physical 0x0, written by start()). */
  rom(): Uint8Array {
    return new Uint8Array(this.hart.memory.buffer, this.hart.romBase, ROM_SIZE);
  }

  /** Every disk's writes on stable storage (qcow2 metadata too): the image is what a bundle names. */
  flushDisks(): void {
    for (const b of this.blocks) b.image.flush();
  }

  /** Every device's save(), by place: the devices are the configuration's, so they match on restore. */
  saveDevices(): Plain {
    return {
      plic: this.plic.save(),
      clint: this.clint.save(),
      rtc: this.rtc.save(),
      uarts: [...this.uarts.values()].map((u) => u.save() as Plain),
      virtio: this.virtio.map((v) => v.save() as unknown as Plain),
      sbiTimer: this.sbi.timerDeadline,
    };
  }

  restoreDevices(state: Plain): void {
    const s = state as { plic: Plain; clint: Plain; rtc: Plain; uarts: Plain[]; virtio: Plain[]; sbiTimer: number };
    if (!s || !Array.isArray(s.uarts) || !Array.isArray(s.virtio)) throw new Error('device state is not an object with uarts and virtio lists');
    if (s.uarts.length !== this.uarts.size) throw new Error(`${s.uarts.length} UARTs saved, the configuration has ${this.uarts.size} (ttysN= differs)`);
    if (s.virtio.length !== this.virtio.length)
      throw new Error(`${s.virtio.length} virtio devices saved, the configuration has ${this.virtio.length} (cobdN=, ethN= or cofsN= differ)`);
    this.plic.restore(s.plic);
    this.clint.restore(s.clint);
    this.rtc.restore(s.rtc);
    [...this.uarts.values()].forEach((u, i) => u.restore(s.uarts[i] as never));
    this.virtio.forEach((v, i) => v.restore(s.virtio[i] as never));
    if (typeof s.sbiTimer === 'number') this.sbi.timerDeadline = s.sbiTimer;
  }

  /** The state is in place: run on from it. */
  resumed(): void {
    this.termination = null;
    this.started = true;
  }

  close(): void {
    for (const b of this.blocks) b.close();
    for (const s of this.shares) s.close();
  }
}
