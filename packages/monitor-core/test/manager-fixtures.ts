// Shared setup for the manager tests: fresh runtime dirs, an in-process manager on a real
// socket, monitor configs, and a tiny real RV64 S-mode program (hand-assembled below) that the
// real machine worker runs, so routing is tested against real guest output, not a fake machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MonitorConfig } from '@colinux/protocol';
import type { TransportName } from '@colinux/client';
import { ManagerServer } from '../src/index.ts';

export interface TempRuntime {
  dir: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

export function tempRuntime(): TempRuntime {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-rt-'));
  return { dir, env: { ...process.env, COLINUX_RUNTIME_DIR: dir }, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export async function startManager(transport: TransportName = 'node-ipc'): Promise<{ rt: TempRuntime; server: ManagerServer; stop(): Promise<void> }> {
  const rt = tempRuntime();
  const server = await ManagerServer.start({ env: rt.env, transport, logToStderr: false });
  return {
    rt,
    server,
    async stop() {
      await server.close();
      rt.remove();
    },
  };
}

export function monitorConfig(overrides: Partial<MonitorConfig> = {}): MonitorConfig {
  return {
    memoryMiB: 16,
    bootLine: 'console=hvc0',
    console: { cols: 80, rows: 25, scrollback: 200 },
    blockDevices: [],
    netDevices: [],
    serialPorts: [],
    sharedDirs: [],
    ...overrides,
  };
}

// ---- a minimal RV64 assembler for the few instructions the test guests use -----------------
const REGS: Record<string, number> = {
  zero: 0,
  ra: 1,
  t0: 5,
  t1: 6,
  t2: 7,
  s0: 8,
  s1: 9,
  a0: 10,
  a1: 11,
  a2: 12,
  a3: 13,
  a6: 16,
  a7: 17,
  s2: 18,
  s3: 19,
  t3: 28,
};
const r = (name: string): number => {
  const n = REGS[name];
  if (n === undefined) throw new Error(`unknown register ${name}`);
  return n;
};
const I = (imm: number, rs1: number, f3: number, rd: number, op: number): number => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const S = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const B = (o: number, rs1: number, rs2: number, f3: number): number =>
  ((((o >> 12) & 1) << 31) | (((o >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (((o >> 1) & 0xf) << 8) | (((o >> 11) & 1) << 7) | 0x63) >>>
  0;
const J = (o: number, rd: number): number =>
  ((((o >> 20) & 1) << 31) | (((o >> 1) & 0x3ff) << 21) | (((o >> 11) & 1) << 20) | (((o >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;

/** Two-pass assembly: items are instructions, `label:` strings, or branch/jump requests. */
class Asm {
  private items: Array<number | string | ((at: number, labels: Map<string, number>) => number)> = [];
  private count = 0;
  emit(word: number): this {
    this.items.push(word);
    this.count++;
    return this;
  }
  label(name: string): this {
    this.items.push(name);
    return this;
  }
  private ref(fn: (o: number) => number, target: string): this {
    this.items.push((at, labels) => fn(labels.get(target)! - at));
    this.count++;
    return this;
  }
  li(rd: string, v: number): this {
    if (v >= -2048 && v < 2048) return this.emit(I(v, 0, 0, r(rd), 0x13));
    const hi = (v + 0x800) >>> 12;
    this.emit((((hi & 0xfffff) << 12) | (r(rd) << 7) | 0x37) >>> 0);
    return this.emit(I(v - (hi << 12), r(rd), 0, r(rd), 0x13));
  }
  addi(rd: string, rs: string, v: number): this {
    return this.emit(I(v, r(rs), 0, r(rd), 0x13));
  }
  andi(rd: string, rs: string, v: number): this {
    return this.emit(I(v, r(rs), 7, r(rd), 0x13));
  }
  slli(rd: string, rs: string, sh: number): this {
    return this.emit(I(sh, r(rs), 1, r(rd), 0x13));
  }
  srli(rd: string, rs: string, sh: number): this {
    return this.emit(I(sh, r(rs), 5, r(rd), 0x13));
  }
  add(rd: string, a: string, b: string): this {
    return this.emit(((r(b) << 20) | (r(a) << 15) | (r(rd) << 7) | 0x33) >>> 0);
  }
  lui(rd: string, imm20: number): this {
    return this.emit((((imm20 & 0xfffff) << 12) | (r(rd) << 7) | 0x37) >>> 0);
  }
  auipc(rd: string, imm20: number): this {
    return this.emit((((imm20 & 0xfffff) << 12) | (r(rd) << 7) | 0x17) >>> 0);
  }
  sw(rs2: string, off: number, rs1: string): this {
    return this.emit(S(off, r(rs2), r(rs1), 2));
  }
  sd(rs2: string, off: number, rs1: string): this {
    return this.emit(S(off, r(rs2), r(rs1), 3));
  }
  sh(rs2: string, off: number, rs1: string): this {
    return this.emit(S(off, r(rs2), r(rs1), 1));
  }
  lw(rd: string, off: number, rs1: string): this {
    return this.emit(I(off, r(rs1), 2, r(rd), 0x03));
  }
  lhu(rd: string, off: number, rs1: string): this {
    return this.emit(I(off, r(rs1), 5, r(rd), 0x03));
  }
  ecall(): this {
    return this.emit(0x00000073);
  }
  ret(): this {
    return this.emit(I(0, r('ra'), 0, 0, 0x67));
  }
  bne(a: string, b: string, target: string): this {
    return this.ref((o) => B(o, r(a), r(b), 1), target);
  }
  beq(a: string, b: string, target: string): this {
    return this.ref((o) => B(o, r(a), r(b), 0), target);
  }
  jal(rd: string, target: string): this {
    return this.ref((o) => J(o, r(rd)), target);
  }
  /** a <- address of `target` (pc-relative). */
  la(rd: string, target: string): this {
    this.ref((o) => (((((o + 0x800) >> 12) & 0xfffff) << 12) | (r(rd) << 7) | 0x17) >>> 0, target);
    // the addi sits 4 bytes after the auipc, so its offset is relative to the auipc's address
    return this.ref((o) => I(o + 4 - (((o + 4 + 0x800) >> 12) << 12), r(rd), 0, r(rd), 0x13), target);
  }
  /** Words plus trailing data, with `data` labelled. */
  assemble(data: Uint8Array, dataLabel: string): Uint8Array {
    const labels = new Map<string, number>();
    let at = 0;
    for (const it of this.items) {
      if (typeof it === 'string') labels.set(it, at);
      else at += 4;
    }
    labels.set(dataLabel, at);
    const image = new Uint8Array(at + data.length);
    const view = new DataView(image.buffer);
    at = 0;
    for (const it of this.items) {
      if (typeof it === 'string') continue;
      view.setUint32(at, typeof it === 'number' ? it : it(at, labels), true);
      at += 4;
    }
    image.set(data, at);
    return image;
  }
}

/**
 * An S-mode program: `repeat` times, write `line` with the SBI debug console (DBCN write, which
 * this machine sends to module PRINTK), then power off with the legacy SBI shutdown.
 */
export function printingGuest(line: string, repeat: number): { image: Uint8Array; entry: number } {
  const a = new Asm().li('s0', repeat).label('loop');
  a.li('a7', 0x4442434e).la('a1', 'text').li('a0', new TextEncoder().encode(line).length).li('a2', 0).li('a6', 0).ecall();
  a.addi('s0', 's0', -1).bne('s0', 'zero', 'loop');
  a.li('a7', 8).ecall().label('hang').jal('zero', 'hang');
  return { image: a.assemble(new TextEncoder().encode(line), 'text'), entry: 0 };
}

/** The register offsets of virtio-mmio (virtio 1.2 §4.2.2). */
const MMIO = {
  FEATURES_SEL: 0x24,
  FEATURES: 0x20,
  QUEUE_SEL: 0x30,
  QUEUE_NUM: 0x38,
  QUEUE_READY: 0x44,
  NOTIFY: 0x50,
  STATUS: 0x70,
  DESC: 0x80,
  DRIVER: 0x90,
  DEVICE: 0xa0,
};

/**
 * A console guest: a polling driver for the virtio-console in slot 0 (hvc0, 0x1000_1000) that
 * writes `banner` `repeat` times, then echoes every byte it receives, forever. It never ends by
 * itself, like a running system; the owner closes the monitor.
 * Rings live 1 MiB above the image: tx at +0x000/+0x100/+0x200, rx at +0x400/+0x500/+0x600,
 * the receive buffer at +0x800.
 */
export function echoConsoleGuest(banner: string, repeat: number): { image: Uint8Array; entry: number } {
  const a = new Asm();
  a.lui('t0', 0x10001);
  a.sw('zero', MMIO.STATUS, 't0').li('t1', 3).sw('t1', MMIO.STATUS, 't0'); // ACKNOWLEDGE | DRIVER
  a.li('t1', 1).sw('t1', MMIO.FEATURES_SEL, 't0').sw('t1', MMIO.FEATURES, 't0'); // VIRTIO_F_VERSION_1
  a.li('t1', 11).sw('t1', MMIO.STATUS, 't0'); // + FEATURES_OK
  a.auipc('s1', 0x100).srli('s1', 's1', 12).slli('s1', 's1', 12);
  for (const [queue, base] of [
    [1, 0x000],
    [0, 0x400],
  ] as const) {
    a.li('t1', queue).sw('t1', MMIO.QUEUE_SEL, 't0').li('t1', 4).sw('t1', MMIO.QUEUE_NUM, 't0');
    for (const [reg, off] of [
      [MMIO.DESC, 0],
      [MMIO.DRIVER, 0x100],
      [MMIO.DEVICE, 0x200],
    ] as const) {
      a.addi('t2', 's1', base + off)
        .sw('t2', reg, 't0')
        .srli('t1', 't2', 32)
        .sw('t1', reg + 4, 't0');
    }
    a.li('t1', 1).sw('t1', MMIO.QUEUE_READY, 't0');
  }
  a.li('t1', 15).sw('t1', MMIO.STATUS, 't0'); // + DRIVER_OK
  // rx descriptor 0: the 256-byte buffer, device-writable; offer it.
  a.addi('t2', 's1', 0x7ff).addi('t2', 't2', 1).sd('t2', 0x400, 's1').li('t1', 256).sw('t1', 0x408, 's1').li('t1', 2).sw('t1', 0x40c, 's1');
  a.li('s2', 1).sh('s2', 0x502, 's1').sw('zero', MMIO.NOTIFY, 't0');
  a.li('a2', 0).li('s3', 0);
  a.la('a1', 'text').li('a3', new TextEncoder().encode(banner).length).li('s0', repeat);
  a.label('banner').la('a1', 'text').jal('ra', 'send').addi('s0', 's0', -1).bne('s0', 'zero', 'banner');
  a.label('echo').lhu('t1', 0x602, 's1').beq('t1', 's3', 'echo');
  a.addi('s3', 's3', 1).addi('t2', 's3', -1).andi('t2', 't2', 3).slli('t2', 't2', 3).add('t2', 't2', 's1').lw('a3', 0x608, 't2');
  a.addi('a1', 's1', 0x7ff).addi('a1', 'a1', 1).jal('ra', 'send');
  a.addi('s2', 's2', 1).sh('s2', 0x502, 's1').sw('zero', MMIO.NOTIFY, 't0').jal('zero', 'echo');
  // send: a1 = address, a3 = length, through tx descriptor 0; waits until the device used it.
  a.label('send').sd('a1', 0, 's1').sw('a3', 8, 's1').sw('zero', 12, 's1');
  a.addi('a2', 'a2', 1).sh('a2', 0x102, 's1').li('t1', 1).sw('t1', MMIO.NOTIFY, 't0');
  a.label('wait').lhu('t1', 0x202, 's1').slli('t3', 'a2', 48).srli('t3', 't3', 48).bne('t1', 't3', 'wait').ret();
  return { image: a.assemble(new TextEncoder().encode(banner), 'text'), entry: 0 };
}

/**
 * Wraps a test guest in a minimal RV64 ELF executable (one PT_LOAD at 0x8020_0000, sections
 * .text and .shstrtab) so the real colinux-daemon can load it as `kernel=`.
 */
export function guestElf(guest: { image: Uint8Array; entry: number }): Uint8Array {
  const LOAD = 0x8020_0000n;
  const textAt = 0x1000;
  const names = new TextEncoder().encode('\0.text\0.shstrtab\0');
  const namesAt = textAt + guest.image.length;
  const shAt = (namesAt + names.length + 7) & ~7;
  const out = new Uint8Array(shAt + 3 * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setBigUint64(24, LOAD + BigInt(guest.entry), true);
  v.setBigUint64(32, 64n, true); // e_phoff
  v.setBigUint64(40, BigInt(shAt), true); // e_shoff
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, 1, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 3, true);
  v.setUint16(62, 2, true); // e_shstrndx
  // PT_LOAD, R+X
  v.setUint32(64, 1, true);
  v.setUint32(68, 5, true);
  v.setBigUint64(72, BigInt(textAt), true);
  v.setBigUint64(80, LOAD, true);
  v.setBigUint64(88, LOAD, true);
  v.setBigUint64(96, BigInt(guest.image.length), true);
  v.setBigUint64(104, BigInt(guest.image.length), true);
  v.setBigUint64(112, 0x1000n, true);
  out.set(guest.image, textAt);
  out.set(names, namesAt);
  const section = (i: number, name: number, type: number, flags: bigint, addr: bigint, offset: number, size: number, align: bigint): void => {
    const o = shAt + i * 64;
    v.setUint32(o, name, true);
    v.setUint32(o + 4, type, true);
    v.setBigUint64(o + 8, flags, true);
    v.setBigUint64(o + 16, addr, true);
    v.setBigUint64(o + 24, BigInt(offset), true);
    v.setBigUint64(o + 32, BigInt(size), true);
    v.setBigUint64(o + 48, align, true);
  };
  section(1, 1, 1, 6n, LOAD, textAt, guest.image.length, 4n); // .text: PROGBITS, ALLOC|EXECINSTR
  section(2, 7, 3, 0n, 0n, namesAt, names.length, 1n); // .shstrtab
  return out;
}
