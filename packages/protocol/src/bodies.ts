// Request and reply body layouts per ioctl (docs/protocol.md "Bodies"). Each decoder checks
// lengths and ranges before it slices or allocates anything.
import { ManagerState, MonitorState, Termination, isAttachableModule, type ModuleId } from './codes.ts';
import { BodyError, BodyReader, BodyWriter } from './wire.ts';
import { decodeMonitorConfig, encodeMonitorConfig } from './config.ts';
import type { ConsoleScreen, ManagerInfo, ManagerStatus, MonitorConfig, MonitorInfo, RunResult } from './types.ts';

/** coLinux's CO_MANAGER_ATTACH_MAX_MODULES. */
export const ATTACH_MAX_MODULES = 16;
/** coLinux's MONITOR_LIST capacity (ids[64]). */
export const MAX_MONITORS = 64;
export const MAX_TEXT = 4096;
export const AttachFlag = Object.freeze({
  /** Take held modules from their current client (which is told 'taken-over'). */
  FORCE: 1,
  /** Read-only watcher: receives the modules' output but does not hold them and may not send. */
  WATCH: 2,
} as const);
/** The reason field of a monitor that has not terminated. */
export const NO_REASON = 0xffffffff;

/** A reason field that is not NO_REASON must be a co_termination_reason_t. */
export function termination(reason: number, what: string): Termination {
  if (!(Object.values(Termination) as number[]).includes(reason)) throw new BodyError(`${what}: unknown termination reason ${reason}`);
  return reason as Termination;
}

// STATUS ------------------------------------------------------------------------------------
export function encodeStatusRequest(version: number): Uint8Array {
  return new BodyWriter().u32(version).finish();
}
export function decodeStatusRequest(body: Uint8Array): number {
  return new BodyReader(body, 'STATUS').u32('protocol version');
}

function writeMonitorInfo(w: BodyWriter, m: MonitorInfo): void {
  w.u32(m.id)
    .u32(m.state)
    .u32(m.memoryMiB)
    .u32(m.ownerPid ?? 0)
    .f64(m.createdAt);
}
function readMonitorInfo(r: BodyReader): MonitorInfo {
  const id = r.u32('monitor id');
  const state = r.code('monitor state', MonitorState);
  const memoryMiB = r.u32('memory');
  const ownerPid = r.u32('owner pid');
  const createdAt = r.f64('created at');
  return ownerPid ? { id, state, memoryMiB, ownerPid, createdAt } : { id, state, memoryMiB, createdAt };
}
function readMonitorList(r: BodyReader): MonitorInfo[] {
  const n = r.u32('monitor count');
  if (n > MAX_MONITORS) throw new BodyError(`monitor list of ${n} exceeds ${MAX_MONITORS}`);
  const list: MonitorInfo[] = [];
  for (let i = 0; i < n; i++) list.push(readMonitorInfo(r));
  return list;
}

/** The version comes first so a mismatch is readable whatever else changed. */
export function encodeStatusReply(s: ManagerStatus): Uint8Array {
  const w = new BodyWriter().u32(s.protocolVersion).u32(s.state).u32(s.monitorCount).u32(s.pid).f64(s.startedAt).f64(s.rssBytes);
  w.u32(s.monitors.length);
  for (const m of s.monitors) writeMonitorInfo(w, m);
  return w.finish();
}
export function decodeStatusVersion(body: Uint8Array): number {
  return new BodyReader(body, 'STATUS reply').u32('protocol version');
}
export function decodeStatusReply(body: Uint8Array): ManagerStatus {
  const r = new BodyReader(body, 'STATUS reply');
  const s: ManagerStatus = {
    protocolVersion: r.u32('protocol version'),
    state: r.code('state', ManagerState),
    monitorCount: r.u32('monitor count'),
    pid: r.u32('pid'),
    startedAt: r.f64('started at'),
    rssBytes: r.f64('rss'),
    monitors: readMonitorList(r),
  };
  return s;
}

// MONITOR_LIST / INFO ----------------------------------------------------------------------
export function encodeMonitorList(list: MonitorInfo[]): Uint8Array {
  const w = new BodyWriter().u32(list.length);
  for (const m of list) writeMonitorInfo(w, m);
  return w.finish();
}
export function decodeMonitorList(body: Uint8Array): MonitorInfo[] {
  const r = new BodyReader(body, 'MONITOR_LIST reply');
  const list = readMonitorList(r);
  r.end();
  return list;
}
export function encodeInfo(i: ManagerInfo): Uint8Array {
  return new BodyWriter().f64(i.hostmemLimit).f64(i.hostmemUsed).finish();
}
export function decodeInfo(body: Uint8Array): ManagerInfo {
  const r = new BodyReader(body, 'INFO reply');
  return { hostmemLimit: r.f64('limit'), hostmemUsed: r.f64('used') };
}

// CREATE -------------------------------------------------------------------------------------
export function encodeCreate(id: number, config: MonitorConfig): Uint8Array {
  return new BodyWriter().u32(id).blob(encodeMonitorConfig(config)).finish();
}
export function decodeCreate(body: Uint8Array): { id: number; config: MonitorConfig } {
  const r = new BodyReader(body, 'CREATE');
  const id = r.u32('monitor id');
  if (id === 0) throw new BodyError('CREATE: monitor id 0 is not a process id');
  const config = decodeMonitorConfig(r.blob('config', 65536));
  r.end();
  return { id, config };
}

// ATTACH -------------------------------------------------------------------------------------
export interface AttachRequest {
  id: number;
  flags: number;
  modules: ModuleId[];
}
export function encodeAttach(a: AttachRequest): Uint8Array {
  const w = new BodyWriter().u32(a.id).u32(a.flags).u32(a.modules.length);
  for (const m of a.modules) w.u32(m);
  return w.finish();
}
export function decodeAttach(body: Uint8Array): AttachRequest {
  const r = new BodyReader(body, 'ATTACH');
  const id = r.u32('monitor id');
  const flags = r.u32('flags');
  if (flags & ~(AttachFlag.FORCE | AttachFlag.WATCH)) throw new BodyError(`ATTACH: unknown flags 0x${flags.toString(16)}`);
  const n = r.u32('module count');
  // coLinux never bounds-checked num_modules or the ids (docs/colinux.md#manager-ioctls); we do.
  if (n < 1 || n > ATTACH_MAX_MODULES) throw new BodyError(`ATTACH: module count ${n} outside 1..${ATTACH_MAX_MODULES}`);
  const modules: ModuleId[] = [];
  for (let i = 0; i < n; i++) {
    const m = r.u32('module');
    if (!isAttachableModule(m)) throw new BodyError(`ATTACH: module ${m} cannot be attached (console, printk, net0-15 or serial0-31 only)`);
    if (!modules.includes(m)) modules.push(m);
  }
  r.end();
  return { id, flags, modules };
}

// MONITOR ops --------------------------------------------------------------------------------
export function encodeMonitorOp(op: number, tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new BodyWriter().u32(op).bytes(tail).finish();
}
export interface MonitorOpRequest {
  /** A number: a client may ask for an op this manager does not implement (answered ERROR). */
  op: number;
  tail: Uint8Array;
}
export function decodeMonitorOp(body: Uint8Array): MonitorOpRequest {
  const r = new BodyReader(body, 'MONITOR');
  return { op: r.u32('op'), tail: r.rest() };
}

/** LOAD_SECTION offset 0 is this far above the start of guest RAM: the kernel image sits in the
 *  second 2 MiB page (0x8020_0000 on QEMU virt, where OpenSBI's fw_jump enters the kernel). */
export const KERNEL_OFFSET_IN_RAM = 2 * 1024 * 1024;

export interface LoadSection {
  offset: number;
  size: number;
  data?: Uint8Array;
}
export function encodeLoadSection(s: LoadSection): Uint8Array {
  const w = new BodyWriter()
    .u32(s.offset)
    .u32(s.size)
    .u32(s.data ? 1 : 0);
  if (s.data) w.bytes(s.data);
  return w.finish();
}
export function decodeLoadSection(tail: Uint8Array): LoadSection {
  const r = new BodyReader(tail, 'LOAD_SECTION');
  const offset = r.u32('offset');
  const size = r.u32('size');
  const hasData = r.u32('has data');
  if (hasData > 1) throw new BodyError('LOAD_SECTION: has-data flag must be 0 or 1');
  if (!hasData) {
    r.end();
    return { offset, size };
  }
  if (r.remaining !== size) throw new BodyError(`LOAD_SECTION: size says ${size} bytes but ${r.remaining} follow`);
  return { offset, size, data: r.rest() };
}

export interface InitrdChunk {
  total: number;
  offset: number;
  data: Uint8Array;
}
export function encodeInitrdChunk(c: InitrdChunk): Uint8Array {
  return new BodyWriter().u32(c.total).u32(c.offset).bytes(c.data).finish();
}
export function decodeInitrdChunk(tail: Uint8Array): InitrdChunk {
  const r = new BodyReader(tail, 'LOAD_INITRD');
  const total = r.u32('total size');
  const offset = r.u32('chunk offset');
  const data = r.rest();
  if (offset > total || data.length > total - offset) throw new BodyError(`LOAD_INITRD: chunk ${offset}+${data.length} overruns the ${total}-byte initrd`);
  return { total, offset, data };
}

export function encodeStart(entryOffset: number): Uint8Array {
  return new BodyWriter().u32(entryOffset).finish();
}
export function decodeStart(tail: Uint8Array): number {
  const r = new BodyReader(tail, 'START');
  const entry = r.u32('entry offset');
  r.end();
  return entry;
}

export function encodeRunResult(res: RunResult): Uint8Array {
  return new BodyWriter()
    .u32(res.state)
    .u32(res.reason ?? NO_REASON)
    .text(res.text ?? '')
    .finish();
}
export function decodeRunResult(body: Uint8Array): RunResult {
  const r = new BodyReader(body, 'RUN reply');
  const state = r.code('state', MonitorState);
  const reason = r.u32('reason');
  const text = r.text('text', MAX_TEXT);
  const res: RunResult = { state };
  if (reason !== NO_REASON) res.reason = termination(reason, 'RUN reply');
  if (text) res.text = text;
  return res;
}

export function encodeConsoleScreen(s: ConsoleScreen): Uint8Array {
  return new BodyWriter().u32(s.cols).u32(s.rows).u32(s.scrollback).u32(s.cursorX).u32(s.cursorY).blob(s.data).finish();
}
export function decodeConsoleScreen(body: Uint8Array): ConsoleScreen {
  const r = new BodyReader(body, 'GET_CONSOLE reply');
  return {
    cols: r.u32('cols'),
    rows: r.u32('rows'),
    scrollback: r.u32('scrollback'),
    cursorX: r.u32('cursor x'),
    cursorY: r.u32('cursor y'),
    data: r.blob('screen', body.length),
  };
}

// Errors and text ----------------------------------------------------------------------------
export function encodeText(s: string): Uint8Array {
  return new TextEncoder().encode(s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);
}
export function decodeText(body: Uint8Array): string {
  return new TextDecoder().decode(body.subarray(0, MAX_TEXT * 4));
}
