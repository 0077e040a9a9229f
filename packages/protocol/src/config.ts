// The CREATE configuration record: UTF-8 JSON inside the binary frame (docs/protocol.md). JSON is
// used only here: it is read once per monitor, holds host paths of any length, and is validated
// field by field below, so a malformed one is a clear INVALID_PARAMETER, never a half-built monitor.
import { BodyError } from './wire.ts';
import type { MonitorConfig } from './types.ts';

export const MAX_MEMORY_MIB = 65536;

export function encodeMonitorConfig(c: MonitorConfig): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(c));
}

function fail(what: string): never {
  throw new BodyError(`CREATE config: ${what}`);
}
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function int(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${name} must be an integer in ${min}..${max}`);
  return v;
}
function str(v: unknown, name: string, max = 4096): string {
  if (typeof v !== 'string' || v.length > max) fail(`${name} must be a string of at most ${max} characters`);
  return v;
}
function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') fail(`${name} must be true or false`);
  return v;
}
function list(v: unknown, name: string, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) fail(`${name} must be a list of at most ${max} entries`);
  return v;
}
function obj(v: unknown, name: string): Record<string, unknown> {
  if (!isObject(v)) fail(`${name} must be an object`);
  return v;
}

export function decodeMonitorConfig(bytes: Uint8Array): MonitorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail('not valid UTF-8 JSON');
  }
  return validateMonitorConfig(raw);
}

const NET_TYPES = ['slirp', 'tuntap', 'pcap-bridge'] as const;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function validateMonitorConfig(raw: unknown): MonitorConfig {
  const c = obj(raw, 'config');
  const consoleRaw = obj(c.console, 'console');
  const config: MonitorConfig = {
    memoryMiB: int(c.memoryMiB, 'memoryMiB', 4, MAX_MEMORY_MIB),
    bootLine: str(c.bootLine, 'bootLine'),
    console: {
      cols: int(consoleRaw.cols, 'console.cols', 1, 1000),
      rows: int(consoleRaw.rows, 'console.rows', 1, 1000),
      scrollback: int(consoleRaw.scrollback, 'console.scrollback', 0, 100000),
    },
    blockDevices: list(c.blockDevices, 'blockDevices', 32).map((v, i) => {
      const b = obj(v, `blockDevices[${i}]`);
      return {
        index: int(b.index, `blockDevices[${i}].index`, 0, 31),
        path: str(b.path, `blockDevices[${i}].path`),
        readOnly: bool(b.readOnly, `blockDevices[${i}].readOnly`),
        aliases: list(b.aliases, `blockDevices[${i}].aliases`, 8).map((a, j) => str(a, `blockDevices[${i}].aliases[${j}]`, 64)),
      };
    }),
    netDevices: list(c.netDevices, 'netDevices', 16).map((v, i) => {
      const n = obj(v, `netDevices[${i}]`);
      const mac = str(n.mac, `netDevices[${i}].mac`, 17);
      if (!MAC.test(mac)) fail(`netDevices[${i}].mac '${mac}' is not xx:xx:xx:xx:xx:xx`);
      const type = n.type;
      if (typeof type !== 'string' || !(NET_TYPES as readonly string[]).includes(type)) fail(`netDevices[${i}].type must be one of ${NET_TYPES.join(', ')}`);
      return { unit: int(n.unit, `netDevices[${i}].unit`, 0, 15), mac, type: type as (typeof NET_TYPES)[number] };
    }),
    serialPorts: list(c.serialPorts, 'serialPorts', 32).map((v, i) => int(v, `serialPorts[${i}]`, 0, 31)),
    sharedDirs: list(c.sharedDirs, 'sharedDirs', 32).map((v, i) => {
      const d = obj(v, `sharedDirs[${i}]`);
      return {
        unit: int(d.unit, `sharedDirs[${i}].unit`, 0, 31),
        path: str(d.path, `sharedDirs[${i}].path`),
        readOnly: bool(d.readOnly, `sharedDirs[${i}].readOnly`),
      };
    }),
  };
  if (c.firmwarePath !== undefined) config.firmwarePath = str(c.firmwarePath, 'firmwarePath');
  return config;
}
