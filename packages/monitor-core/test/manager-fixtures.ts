// Shared setup for the manager tests: fresh runtime dirs, an in-process manager on a real
// socket, monitor configs, and a tiny real RV64 S-mode program (hand-assembled below) that the
// real machine worker runs, so routing is tested against real guest output, not a fake machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MonitorConfig, TransportName } from '@colinux/protocol';
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
const reg = { zero: 0, s0: 8, a0: 10, a1: 11, a2: 12, a6: 16, a7: 17 } as const;
type Reg = keyof typeof reg;
const iType = (imm: number, rs1: number, f3: number, rd: number, op: number): number => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const addi = (rd: Reg, rs1: Reg, imm: number): number => iType(imm, reg[rs1], 0, reg[rd], 0x13);
const lui = (rd: Reg, imm20: number): number => (((imm20 & 0xfffff) << 12) | (reg[rd] << 7) | 0x37) >>> 0;
const auipc = (rd: Reg): number => ((reg[rd] << 7) | 0x17) >>> 0;
const ECALL = 0x00000073;
function bne(rs1: Reg, rs2: Reg, offset: number): number {
  const o = offset & 0x1fff;
  return ((((o >> 12) & 1) << 31) | (((o >> 5) & 0x3f) << 25) | (reg[rs2] << 20) | (reg[rs1] << 15) | (1 << 12) | (((o >> 1) & 0xf) << 8) | (((o >> 11) & 1) << 7) | 0x63) >>> 0;
}
const JAL_SELF = 0x0000006f;

/**
 * An S-mode program: `repeat` times, write `line` with the SBI debug console (DBCN write, which
 * this machine sends to module PRINTK), then power off with the legacy SBI shutdown.
 * `repeat` up to 2^31; `line` up to 2047 bytes.
 */
export function printingGuest(line: string, repeat: number): { image: Uint8Array; entry: number } {
  const text = new TextEncoder().encode(line);
  const words: number[] = [];
  if (repeat < 2048) words.push(addi('s0', 'zero', repeat));
  else words.push(lui('s0', (repeat + 0x800) >>> 12), addi('s0', 's0', repeat - (((repeat + 0x800) >>> 12) << 12)));
  const loop = words.length;
  words.push(lui('a7', 0x44424), addi('a7', 'a7', 0x34e)); // a7 = 'DBCN'
  const auipcAt = words.length;
  words.push(auipc('a1'), 0 /* addi a1, a1, data - auipc: patched */);
  words.push(addi('a0', 'zero', text.length), addi('a2', 'zero', 0), addi('a6', 'zero', 0), ECALL);
  words.push(addi('s0', 's0', -1));
  words.push(bne('s0', 'zero', (loop - words.length) * 4));
  words.push(addi('a7', 'zero', 8), ECALL, JAL_SELF); // legacy SBI shutdown -> POWEROFF
  words[auipcAt + 1] = addi('a1', 'a1', (words.length - auipcAt) * 4);
  const image = new Uint8Array(words.length * 4 + text.length);
  const view = new DataView(image.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, true));
  image.set(text, words.length * 4);
  return { image, entry: 0 };
}
