// Control requests (ours, for colinux-ctl): read a monitor's status and ask things of it without
// attaching. coLinux's manager ioctls stop at 0x19 (co_manager_ioctl_t, coLinux src/colinux/common/ioctl.h) and our
// SHUTDOWN is 0x1f; the control range starts at 0x20 so no coLinux number is ever reused.
// Every request names its monitor by id; any client of the runtime dir (0700: the same user) may
// send them. Closing stays the owner's (MONITOR CLOSE); these never end a monitor themselves.
import { ForwardOp, MonitorState, type ModuleId, type Termination } from './codes.ts';
import { BodyError, BodyReader, BodyWriter } from './wire.ts';
import { MAX_TEXT, NO_REASON, termination } from './bodies.ts';
const MAX_LIST = 64;

export interface ModuleStatus {
  module: ModuleId;
  /** 1 when a connection holds it. */
  held: boolean;
  watchers: number;
}

export interface DiskStatus {
  unit: number;
  path: string;
  readOnly: boolean;
  /** 'raw' or 'qcow2'. */
  format: string;
}

export interface NetStatus {
  unit: number;
  mac: string;
  type: string;
}

/** The translator's statistics as the machine last posted them (every second; docs/cpu-core.md,
 *  `jitStats`): counters since the machine started. */
export interface TranslatorStats {
  /** Calls from the interpreter into translated code. */
  entries: number;
  /** Guest instructions run in translated code (chained blocks included). */
  insns: number;
  /** Blocks translated. */
  translated: number;
  /** Compiled blocks given up (their page written, or their cache entry taken by another). */
  dropped: number;
  /** Batches of blocks compiled. */
  batches: number;
  /** Writes to guest pages holding translated code (each dropped that page's blocks). */
  codeWrites: number;
  /** Regions translated (each one wasm function for several of the blocks). */
  regions: number;
  /** Block starts the interpreter looked up in the block cache (`entries` of them found compiled). */
  lookups: number;
  /** Misses of the decoded-instruction cache. */
  decodeMisses: number;
  /** Times every translation was dropped because the function table was full. */
  flushes: number;
  /** Host milliseconds spent compiling translated code. */
  compileMs: number;
}

export interface MonitorStatus {
  id: number;
  state: MonitorState;
  /** co_termination_reason_t once TERMINATED. */
  reason?: Termination;
  text: string;
  memoryMiB: number;
  ownerPid?: number;
  createdAt: number;
  bootLine: string;
  instructions: number;
  hostMs: number;
  droppedFrames: number;
  droppedToClients: number;
  jit: TranslatorStats;
  modules: ModuleStatus[];
  disks: DiskStatus[];
  nets: NetStatus[];
}

export function encodeMonitorId(id: number): Uint8Array {
  return new BodyWriter().u32(id).finish();
}
export function decodeMonitorId(body: Uint8Array, what: string): number {
  const r = new BodyReader(body, what);
  const id = r.u32('monitor id');
  r.end();
  return id;
}

/** POWER and SYSRQ: u32 id, u32 value (a PowerAction, a SysRq key). */
export interface MonitorValue {
  id: number;
  value: number;
}
export function encodeMonitorValue(v: MonitorValue): Uint8Array {
  return new BodyWriter().u32(v.id).u32(v.value).finish();
}
export function decodeMonitorValue(body: Uint8Array, what: string): MonitorValue {
  const r = new BodyReader(body, what);
  const id = r.u32('monitor id');
  const value = r.u32('value');
  r.end();
  return { id, value };
}

/** SysRq keys the kernel knows (Documentation/admin-guide/sysrq.rst): one printable ASCII byte. */
export function isSysrqKey(key: number): boolean {
  return key > 0x20 && key < 0x7f;
}

function count(r: BodyReader, field: string): number {
  const n = r.u32(field);
  if (n > MAX_LIST) throw new BodyError(`MONITOR_STATUS reply: ${field} ${n} exceeds ${MAX_LIST}`);
  return n;
}

export function encodeMonitorStatus(s: MonitorStatus): Uint8Array {
  const w = new BodyWriter()
    .u32(s.id)
    .u32(s.state)
    .u32(s.reason ?? NO_REASON)
    .u32(s.memoryMiB)
    .u32(s.ownerPid ?? 0)
    .f64(s.createdAt);
  w.f64(s.instructions).f64(s.hostMs).f64(s.droppedFrames).f64(s.droppedToClients).text(s.text).text(s.bootLine);
  w.f64(s.jit.entries)
    .f64(s.jit.insns)
    .f64(s.jit.translated)
    .f64(s.jit.dropped)
    .f64(s.jit.batches)
    .f64(s.jit.codeWrites)
    .f64(s.jit.regions)
    .f64(s.jit.lookups)
    .f64(s.jit.decodeMisses)
    .f64(s.jit.flushes)
    .f64(s.jit.compileMs);
  w.u32(s.modules.length);
  for (const m of s.modules)
    w.u32(m.module)
      .u32(m.held ? 1 : 0)
      .u32(m.watchers);
  w.u32(s.disks.length);
  for (const d of s.disks)
    w.u32(d.unit)
      .u32(d.readOnly ? 1 : 0)
      .text(d.path)
      .text(d.format);
  w.u32(s.nets.length);
  for (const n of s.nets) w.u32(n.unit).text(n.mac).text(n.type);
  return w.finish();
}

export function decodeMonitorStatus(body: Uint8Array): MonitorStatus {
  const r = new BodyReader(body, 'MONITOR_STATUS reply');
  const id = r.u32('monitor id');
  const state = r.code('state', MonitorState);
  const reason = r.u32('reason');
  const memoryMiB = r.u32('memory');
  const ownerPid = r.u32('owner pid');
  const s: MonitorStatus = {
    id,
    state,
    memoryMiB,
    createdAt: r.f64('created at'),
    instructions: r.f64('instructions'),
    hostMs: r.f64('host ms'),
    droppedFrames: r.f64('dropped frames'),
    droppedToClients: r.f64('dropped to clients'),
    text: r.text('text', MAX_TEXT),
    bootLine: r.text('boot line', MAX_TEXT),
    jit: {
      entries: r.f64('jit entries'),
      insns: r.f64('jit instructions'),
      translated: r.f64('jit blocks translated'),
      dropped: r.f64('jit blocks dropped'),
      batches: r.f64('jit batches'),
      codeWrites: r.f64('jit code writes'),
      regions: r.f64('jit regions'),
      lookups: r.f64('jit lookups'),
      decodeMisses: r.f64('decode misses'),
      flushes: r.f64('jit flushes'),
      compileMs: r.f64('jit compile ms'),
    },
    modules: [],
    disks: [],
    nets: [],
  };
  if (reason !== NO_REASON) s.reason = termination(reason, 'MONITOR_STATUS reply');
  if (ownerPid) s.ownerPid = ownerPid;
  for (let i = count(r, 'module count'); i > 0; i--) s.modules.push({ module: r.module('module'), held: r.u32('held') === 1, watchers: r.u32('watchers') });
  for (let i = count(r, 'disk count'); i > 0; i--) {
    const unit = r.u32('disk unit');
    const readOnly = r.u32('read-only') === 1;
    s.disks.push({ unit, readOnly, path: r.text('disk path', MAX_TEXT), format: r.text('disk format', 16) });
  }
  for (let i = count(r, 'net count'); i > 0; i--) s.nets.push({ unit: r.u32('net unit'), mac: r.text('mac', 32), type: r.text('net type', 32) });
  r.end();
  return s;
}

export interface DiskSnapshotRequest {
  id: number;
  unit: number;
  /** Where the new overlay goes; undefined: beside the current image, named after it. */
  file?: string;
}
export function encodeDiskSnapshot(r: DiskSnapshotRequest): Uint8Array {
  return new BodyWriter()
    .u32(r.id)
    .u32(r.unit)
    .text(r.file ?? '')
    .finish();
}
export function decodeDiskSnapshot(body: Uint8Array): DiskSnapshotRequest {
  const r = new BodyReader(body, 'DISK_SNAPSHOT');
  const id = r.u32('monitor id');
  const unit = r.u32('unit');
  const file = r.text('file', MAX_TEXT);
  r.end();
  return file ? { id, unit, file } : { id, unit };
}

export interface ForwardRequest {
  id: number;
  unit: number;
  op: ForwardOp;
  /** A redirection in coLinux syntax, `tcp|udp:[bind:]hostport:guestport` (empty for LIST). */
  spec: string;
}
export function encodeForward(r: ForwardRequest): Uint8Array {
  return new BodyWriter().u32(r.id).u32(r.unit).u32(r.op).text(r.spec).finish();
}
export function decodeForward(body: Uint8Array): ForwardRequest {
  const r = new BodyReader(body, 'FORWARD');
  const id = r.u32('monitor id');
  const unit = r.u32('unit');
  const op = r.code('op', ForwardOp);
  const f = { id, unit, op, spec: r.text('spec', 256) };
  r.end();
  return f;
}
/** The CALL to the helper: u32 op, spec. */
export interface ForwardCall {
  op: ForwardOp;
  spec: string;
}
export function encodeForwardCall(c: ForwardCall): Uint8Array {
  return new BodyWriter().u32(c.op).text(c.spec).finish();
}
export function decodeForwardCall(body: Uint8Array): ForwardCall {
  const r = new BodyReader(body, 'FORWARD call');
  const op = r.code('op', ForwardOp);
  const c = { op, spec: r.text('spec', 256) };
  r.end();
  return c;
}

export interface SuspendRequest {
  id: number;
  /** An absolute path: the manager's cwd is not the client's. */
  file: string;
}
export function encodeSuspend(r: SuspendRequest): Uint8Array {
  return new BodyWriter().u32(r.id).text(r.file).finish();
}
export function decodeSuspend(body: Uint8Array): SuspendRequest {
  const r = new BodyReader(body, 'SUSPEND');
  const s = { id: r.u32('monitor id'), file: r.text('file', MAX_TEXT) };
  r.end();
  if (!s.file.startsWith('/')) throw new BodyError(`SUSPEND: file '${s.file}' is not an absolute path`);
  return s;
}
