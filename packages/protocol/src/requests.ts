// One entry per request (docs/protocol.md "Requests"): its code, how its body is written and read,
// and how its reply body is written and read. ManagerClient (packages/client) sends with these
// entries and the manager answers with them, so both sides of a request use the same codec.
import { ControlIoctl, ManagerIoctl, MonitorOp } from './codes.ts';
import {
  decodeAttach,
  decodeConsoleScreen,
  decodeCreate,
  decodeInfo,
  decodeInitrdChunk,
  decodeLoadSection,
  decodeMonitorList,
  decodeMonitorOp,
  decodeRunResult,
  decodeStart,
  decodeStatusReply,
  decodeStatusRequest,
  decodeText,
  encodeAttach,
  encodeConsoleScreen,
  encodeCreate,
  encodeInfo,
  encodeInitrdChunk,
  encodeLoadSection,
  encodeMonitorList,
  encodeMonitorOp,
  encodeRunResult,
  encodeStart,
  encodeStatusReply,
  encodeStatusRequest,
  encodeText,
  type AttachRequest,
  type InitrdChunk,
  type LoadSection,
  type MonitorOpRequest,
} from './bodies.ts';
import {
  decodeDiskSnapshot,
  decodeForward,
  decodeForwardCall,
  decodeMonitorId,
  decodeMonitorStatus,
  decodeMonitorValue,
  decodeSuspend,
  encodeDiskSnapshot,
  encodeForward,
  encodeForwardCall,
  encodeMonitorId,
  encodeMonitorStatus,
  encodeMonitorValue,
  encodeSuspend,
  type DiskSnapshotRequest,
  type ForwardCall,
  type ForwardRequest,
  type MonitorStatus,
  type MonitorValue,
  type SuspendRequest,
} from './control.ts';
import type { ConsoleScreen, ManagerInfo, ManagerStatus, MonitorConfig, MonitorInfo, RunResult } from './types.ts';

/** How one body is written and read. decode() throws BodyError on a malformed body. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(body: Uint8Array): T;
}

/** A request frame's `code`: a manager ioctl or a control request. */
export type RequestCode = ManagerIoctl | ControlIoctl;

/** A request: REQUEST frame with `code` and a `request` body, answered by a REPLY with a `reply` body. */
export interface RequestSpec<Req, Reply> {
  readonly name: string;
  readonly code: RequestCode;
  readonly request: Codec<Req>;
  readonly reply: Codec<Reply>;
}

/** A MONITOR operation: a MONITOR request whose body is u32 `op` followed by the `request` tail. */
export interface MonitorOpSpec<Req, Reply> {
  readonly name: string;
  readonly op: MonitorOp;
  readonly request: Codec<Req>;
  readonly reply: Codec<Reply>;
}

/** An empty body: written as no bytes; whatever a peer sends is ignored, as before the table. */
export const noBody: Codec<void> = { encode: () => new Uint8Array(0), decode: () => undefined };
/** Bytes as they are: the MONITOR reply, whose layout is the operation's (MonitorOps). */
export const rawBody: Codec<Uint8Array> = { encode: (bytes) => bytes, decode: (body) => body };
/** One line of UTF-8 text, cut at MAX_TEXT. */
export const textBody: Codec<string> = { encode: encodeText, decode: decodeText };

function codec<T>(encode: (value: T) => Uint8Array, decode: (body: Uint8Array) => T): Codec<T> {
  return { encode, decode };
}

function request<Req, Reply>(name: string, code: RequestCode, req: Codec<Req>, reply: Codec<Reply>): RequestSpec<Req, Reply> {
  return Object.freeze({ name, code, request: req, reply });
}

function monitorOp<Req, Reply>(name: string, op: MonitorOp, req: Codec<Req>, reply: Codec<Reply>): MonitorOpSpec<Req, Reply> {
  return Object.freeze({ name, op, request: req, reply });
}

/** The manager ioctls (coLinux's, and our SHUTDOWN) and the control requests (ours, control.ts). */
export const Requests = Object.freeze({
  /** Reply: the monitor process's endpoint, where the client CREATEs again (empty from there). */
  CREATE: request(
    'CREATE',
    ManagerIoctl.CREATE,
    codec((c: { id: number; config: MonitorConfig }) => encodeCreate(c.id, c.config), decodeCreate),
    textBody,
  ),
  /** u32 op and the op's tail; the op's own entry (MonitorOps) reads the tail and the reply. */
  MONITOR: request(
    'MONITOR',
    ManagerIoctl.MONITOR,
    codec<MonitorOpRequest>((m) => encodeMonitorOp(m.op, m.tail), decodeMonitorOp),
    rawBody,
  ),
  STATUS: request('STATUS', ManagerIoctl.STATUS, codec(encodeStatusRequest, decodeStatusRequest), codec<ManagerStatus>(encodeStatusReply, decodeStatusReply)),
  DEBUG: request('DEBUG', ManagerIoctl.DEBUG, textBody, noBody),
  DEBUG_READER: request('DEBUG_READER', ManagerIoctl.DEBUG_READER, noBody, noBody),
  INFO: request('INFO', ManagerIoctl.INFO, noBody, codec<ManagerInfo>(encodeInfo, decodeInfo)),
  /** Reply: the monitor process's endpoint, where the client ATTACHes again (empty from there). */
  ATTACH: request('ATTACH', ManagerIoctl.ATTACH, codec<AttachRequest>(encodeAttach, decodeAttach), textBody),
  MONITOR_LIST: request('MONITOR_LIST', ManagerIoctl.MONITOR_LIST, noBody, codec<MonitorInfo[]>(encodeMonitorList, decodeMonitorList)),
  SHUTDOWN: request('SHUTDOWN', ManagerIoctl.SHUTDOWN, noBody, noBody),
  MONITOR_STATUS: request(
    'MONITOR_STATUS',
    ControlIoctl.MONITOR_STATUS,
    codec(encodeMonitorId, (b) => decodeMonitorId(b, 'MONITOR_STATUS')),
    codec<MonitorStatus>(encodeMonitorStatus, decodeMonitorStatus),
  ),
  POWER: request(
    'POWER',
    ControlIoctl.POWER,
    codec<MonitorValue>(encodeMonitorValue, (b) => decodeMonitorValue(b, 'POWER')),
    noBody,
  ),
  SYSRQ: request(
    'SYSRQ',
    ControlIoctl.SYSRQ,
    codec<MonitorValue>(encodeMonitorValue, (b) => decodeMonitorValue(b, 'SYSRQ')),
    noBody,
  ),
  DISK_SNAPSHOT: request('DISK_SNAPSHOT', ControlIoctl.DISK_SNAPSHOT, codec<DiskSnapshotRequest>(encodeDiskSnapshot, decodeDiskSnapshot), textBody),
  FORWARD: request('FORWARD', ControlIoctl.FORWARD, codec<ForwardRequest>(encodeForward, decodeForward), textBody),
  /** Reply: JSON text (file, bytes, ms). */
  SUSPEND: request('SUSPEND', ControlIoctl.SUSPEND, codec<SuspendRequest>(encodeSuspend, decodeSuspend), textBody),
  /** Request: the bundle's path; reply: JSON text (file, ms). */
  RESUME: request('RESUME', ControlIoctl.RESUME, textBody, textBody),
});

/** The MONITOR operations this manager implements (co_monitor_ioctl_op_t; STATUS, video and NDIS ops are not). */
export const MonitorOps = Object.freeze({
  CLOSE: monitorOp('CLOSE', MonitorOp.CLOSE, noBody, noBody),
  LOAD_SECTION: monitorOp('LOAD_SECTION', MonitorOp.LOAD_SECTION, codec<LoadSection>(encodeLoadSection, decodeLoadSection), noBody),
  START: monitorOp('START', MonitorOp.START, codec(encodeStart, decodeStart), noBody),
  RUN: monitorOp('RUN', MonitorOp.RUN, noBody, codec<RunResult>(encodeRunResult, decodeRunResult)),
  LOAD_INITRD: monitorOp('LOAD_INITRD', MonitorOp.LOAD_INITRD, codec<InitrdChunk>(encodeInitrdChunk, decodeInitrdChunk), noBody),
  GET_CONSOLE: monitorOp('GET_CONSOLE', MonitorOp.GET_CONSOLE, noBody, codec<ConsoleScreen>(encodeConsoleScreen, decodeConsoleScreen)),
  GET_STATE: monitorOp('GET_STATE', MonitorOp.GET_STATE, noBody, codec<RunResult>(encodeRunResult, decodeRunResult)),
  RESET: monitorOp('RESET', MonitorOp.RESET, noBody, noBody),
});

/** Requests the manager sends a helper (CALL frames, answered by ANSWER with a text body). */
export const Calls = Object.freeze({
  FORWARD: request('FORWARD', ControlIoctl.FORWARD, codec<ForwardCall>(encodeForwardCall, decodeForwardCall), textBody),
  /** To the owner: the bundle's path; its answer is its configuration (JSON), docs/suspend.md. */
  SUSPEND: request('SUSPEND', ControlIoctl.SUSPEND, textBody, textBody),
});

const requestNames = new Map<number, string>(Object.values(Requests).map((r) => [r.code, r.name]));
/** The name of a request code, for logs and errors; an unknown code is shown in hex. */
export function requestName(code: number): string {
  return requestNames.get(code) ?? `request 0x${code.toString(16)}`;
}
