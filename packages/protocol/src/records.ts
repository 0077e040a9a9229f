// co_message_t records (docs/colinux.md#messages) carried in MESSAGES frames, and the co_linux_message_t
// header that every record addressed to LINUX carries (3.6.2, 3.8-3.11).
import { Device, MessageType, Module, Priority, isModuleId, type ModuleId } from './codes.ts';
import { FrameError } from './frame.ts';
import type { Message } from './types.ts';

export const MESSAGE_HEADER_SIZE = 20;
export const LINUX_MESSAGE_HEADER_SIZE = 12;
/** Largest record payload: a 64 KiB network frame plus the co_linux_message_t header
 *  (the guest drops frames > 64 KiB, docs/colinux.md#network-frames). */
export const MAX_RECORD_DATA = 65536 + LINUX_MESSAGE_HEADER_SIZE;

export interface MessageRecord {
  from: ModuleId;
  to: ModuleId;
  /** Priority and MessageType: informational, never acted on (as in coLinux), so not checked. */
  priority: number;
  type: number;
  data: Uint8Array;
}

export function encodeRecords(records: MessageRecord[]): Uint8Array {
  let total = 0;
  for (const r of records) total += MESSAGE_HEADER_SIZE + r.data.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const r of records) {
    if (r.data.length > MAX_RECORD_DATA) throw new FrameError(`message of ${r.data.length} bytes exceeds the ${MAX_RECORD_DATA}-byte record limit`);
    view.setUint32(at, r.from, true);
    view.setUint32(at + 4, r.to, true);
    view.setUint32(at + 8, r.priority, true);
    view.setUint32(at + 12, r.type, true);
    view.setUint32(at + 16, r.data.length, true);
    out.set(r.data, at + MESSAGE_HEADER_SIZE);
    at += MESSAGE_HEADER_SIZE + r.data.length;
  }
  return out;
}

/**
 * Splits a MESSAGES body into records. Unlike coLinux readers, which skip a trailing partial
 * record, a body here must be exactly whole records: anything else is a framing error.
 */
export function decodeRecords(body: Uint8Array): MessageRecord[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const records: MessageRecord[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < MESSAGE_HEADER_SIZE) throw new FrameError(`truncated message header at byte ${at}`);
    const size = view.getUint32(at + 16, true);
    if (size > MAX_RECORD_DATA) throw new FrameError(`message of ${size} bytes exceeds the ${MAX_RECORD_DATA}-byte record limit`);
    if (body.length - at - MESSAGE_HEADER_SIZE < size) throw new FrameError(`message at byte ${at} claims ${size} bytes but the frame ends first`);
    const from = view.getUint32(at, true);
    const to = view.getUint32(at + 4, true);
    if (!isModuleId(from) || !isModuleId(to))
      throw new FrameError(`message at byte ${at} from module ${from} to ${to}: modules are 0..${Module.MODULES_MAX - 1}`);
    records.push({
      from,
      to,
      priority: view.getUint32(at + 8, true),
      type: view.getUint32(at + 12, true),
      data: body.subarray(at + MESSAGE_HEADER_SIZE, at + MESSAGE_HEADER_SIZE + size),
    });
    at += MESSAGE_HEADER_SIZE + size;
  }
  return records;
}

export interface LinuxMessage {
  /** A number: checked against the sending module by the manager (linuxAddressOf). */
  device: number;
  unit: number;
  data: Uint8Array;
}

export function encodeLinuxMessage(m: LinuxMessage): Uint8Array {
  const out = new Uint8Array(LINUX_MESSAGE_HEADER_SIZE + m.data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, m.device, true);
  view.setUint32(4, m.unit, true);
  view.setUint32(8, m.data.length, true);
  out.set(m.data, LINUX_MESSAGE_HEADER_SIZE);
  return out;
}

export function decodeLinuxMessage(data: Uint8Array): LinuxMessage {
  if (data.length < LINUX_MESSAGE_HEADER_SIZE) throw new FrameError(`message to linux of ${data.length} bytes has no co_linux_message_t header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const size = view.getUint32(8, true);
  if (size !== data.length - LINUX_MESSAGE_HEADER_SIZE)
    throw new FrameError(`co_linux_message_t says ${size} bytes but carries ${data.length - LINUX_MESSAGE_HEADER_SIZE}`);
  return { device: view.getUint32(0, true), unit: view.getUint32(4, true), data: data.subarray(LINUX_MESSAGE_HEADER_SIZE) };
}

/**
 * The co_linux_message_t a sending module uses (device, unit). Console keystrokes are bytes for
 * hvc0 here, not PC scancodes, so they travel as device CONSOLE (a deliberate change from 3.8).
 */
export function linuxAddressOf(from: ModuleId): { device: Device; unit: number } | undefined {
  if (from === Module.CONSOLE) return { device: Device.CONSOLE, unit: 0 };
  if (from === Module.DAEMON) return { device: Device.POWER, unit: 0 };
  if (from >= Module.CONET0 && from <= Module.CONET_END) return { device: Device.NETWORK, unit: from - Module.CONET0 };
  if (from >= Module.SERIAL0 && from <= Module.SERIAL_END) return { device: Device.SERIAL, unit: from - Module.SERIAL0 };
  return undefined;
}

/** Builds the record a client sends for `data` from module `from` to the guest. */
export function recordToLinux(from: ModuleId, data: Uint8Array): MessageRecord {
  const address = linuxAddressOf(from);
  if (!address) throw new RangeError(`module ${from} cannot send to linux`);
  const isPower = from === Module.DAEMON;
  return {
    from,
    to: Module.LINUX,
    priority: isPower ? Priority.IMPORTANT : Priority.DISCARDABLE,
    type: MessageType.OTHER,
    data: encodeLinuxMessage({ device: address.device, unit: address.unit, data }),
  };
}

/** The record the manager sends a client for guest output to `module`. */
export function recordFromLinux(module: ModuleId, data: Uint8Array): MessageRecord {
  const isFrame = module >= Module.CONET0 && module <= Module.CONET_END;
  return { from: Module.LINUX, to: module, priority: Priority.DISCARDABLE, type: isFrame ? MessageType.OTHER : MessageType.STRING, data };
}

export function toMessage(r: MessageRecord): Message {
  return { from: r.from, to: r.to, data: r.data };
}
