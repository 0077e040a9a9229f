// A suspend bundle as a whole (docs/suspend.md): what each section holds, writing it safely
// (a temporary file, fsync, rename) and reading it back with every field checked, so that a
// truncated, damaged or foreign file is refused with one line before anything is created.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BundleError,
  Codec,
  PREFERRED_CODEC,
  decodeContainer,
  encodeContainer,
  readFirstSection,
  section,
  sectionBytes,
  type Section,
  type StoredSection,
} from './container.ts';

export { BundleError } from './container.ts';

export const BUNDLE_FORMAT = 'colinux-ts suspend bundle';

/** The machine's configuration as suspended (the manager's MonitorConfig without descriptors). */
export interface SavedMachine {
  memoryMiB: number;
  bootLine: string;
  console: { cols: number; rows: number; scrollback: number };
  blockDevices: Array<{ index: number; path: string; readOnly: boolean; aliases: string[] }>;
  netDevices: Array<{ unit: number; mac: string; type: string }>;
  serialPorts: number[];
  sharedDirs: Array<{ unit: number; path: string; readOnly: boolean }>;
  firmwarePath?: string;
}

/** What the owner (colinux-daemon) answered when asked to suspend: its configuration. */
export interface SavedDaemon {
  /** Its configuration tokens (@files expanded, file paths made absolute), in order. */
  args: string[];
  cwd: string;
  /** The helper command lines it ran (for the record; resume builds them from `args`). */
  helpers: string[];
}

export interface FileIdentity {
  path: string;
  size: number;
  sha256: string;
}

/** A disk as suspended: the image the guest wrote to (a qcow2 overlay's top file) and its backing files. */
export interface DiskIdentity extends FileIdentity {
  index: number;
  format: string;
  readOnly: boolean;
  backing: FileIdentity[];
}

export interface BundleMeta {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  /** The host's wall clock at the suspend (ms since the epoch). */
  wallMs: number;
  /** The guest's timebase at the suspend, in ticks of timebaseHz. */
  mtime: number;
  timebaseHz: number;
  host: { platform: string; arch: string; node: string };
  monitorId: number;
  machine: SavedMachine;
  daemon: SavedDaemon | null;
  /** Run-time port forwards by network unit (manager/forward-table.ts). */
  forwards: Record<string, string[]>;
  disks: DiskIdentity[];
  ramPages: number;
}

/** Everything a bundle holds, as the manager writes it. */
export interface BundleContent {
  meta: BundleMeta;
  cpu: Uint8Array;
  devices: unknown;
  screen: Uint8Array;
  rom: Uint8Array;
  /** The RAM section (bundle/ram.ts). */
  ram: Uint8Array;
}

const TEXT = new TextEncoder();

function sections(c: BundleContent): Section[] {
  return [
    section('META', PREFERRED_CODEC, TEXT.encode(JSON.stringify(c.meta))),
    section('CPU ', Codec.NONE, c.cpu),
    section('DEVS', PREFERRED_CODEC, TEXT.encode(JSON.stringify(c.devices))),
    section('SCRN', PREFERRED_CODEC, c.screen),
    section('ROM ', PREFERRED_CODEC, c.rom),
    { tag: 'RAM ', codec: Codec.NONE, parts: [c.ram], rawLength: c.ram.length },
  ];
}

/** Writes the bundle to `file` (mode 0600: it holds the guest's memory) through a temporary file
 *  beside it, fsynced and renamed, so a crash never leaves half a bundle under the name. Returns
 *  its size. */
export async function writeBundle(file: string, content: BundleContent): Promise<number> {
  const parts = encodeContainer(sections(content));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await fs.promises.open(tmp, 'w', 0o600);
  let size = 0;
  try {
    for (const p of parts) size += p.length;
    await handle.writev(parts);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await fs.promises.rename(tmp, file);
  return size;
}

export interface ReadBundle {
  name: string;
  meta: BundleMeta;
  stored: Map<string, StoredSection>;
}

/** Reads and checks a bundle: container, CRCs and the META section. Throws BundleError. */
export function readBundle(file: string): ReadBundle {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new BundleError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseBundle(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/** Only the META section (the first), checked: enough to configure a resume; the manager reads
 *  and checks the rest. Throws BundleError. */
export function readBundleMeta(file: string): BundleMeta {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new BundleError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const stored = readFirstSection(fd, fs.fstatSync(fd).size, file);
    return checkMeta(parseJson(sectionBytes(stored, 'META', file), `${file}: section 'META'`), file);
  } finally {
    fs.closeSync(fd);
  }
}

export function parseBundle(bytes: Uint8Array, name: string): ReadBundle {
  const stored = decodeContainer(bytes, name);
  for (const tag of ['META', 'CPU ', 'DEVS', 'SCRN', 'ROM ', 'RAM ']) if (!stored.has(tag)) throw new BundleError(`${name}: section '${tag}' is missing`);
  const meta = checkMeta(parseJson(sectionBytes(stored, 'META', name), `${name}: section 'META'`), name);
  return { name, meta, stored };
}

/** The sections the machine needs, inflated. */
export function bundleState(b: ReadBundle): Omit<BundleContent, 'meta'> {
  const bytes = (tag: string) => sectionBytes(b.stored, tag, b.name);
  return {
    cpu: bytes('CPU '),
    devices: parseJson(bytes('DEVS'), `${b.name}: section 'DEVS'`),
    screen: bytes('SCRN'),
    rom: bytes('ROM '),
    ram: bytes('RAM '),
  };
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new BundleError(`${what}: not JSON: ${(err as Error).message}`);
  }
}

/** Every field resume uses, checked for its type (a bundle may come from anywhere). */
function checkMeta(m: unknown, name: string): BundleMeta {
  const fail = (what: string): never => {
    throw new BundleError(`${name}: META: ${what}`);
  };
  const obj = (v: unknown, what: string): Record<string, unknown> =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`${what} is not an object`);
  const num = (v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max ? v : fail(`${what} is not an integer 0..${max}`);
  const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : fail(`${what} is not a string`));
  const list = (v: unknown, what: string): unknown[] => (Array.isArray(v) && v.length <= 64 ? v : fail(`${what} is not a list of at most 64`));
  const meta = obj(m, 'the metadata');
  if (meta.format !== BUNDLE_FORMAT) fail(`format is ${JSON.stringify(meta.format)}, not '${BUNDLE_FORMAT}'`);
  num(meta.wallMs, 'wallMs');
  num(meta.mtime, 'mtime');
  if (meta.timebaseHz !== 10_000_000) fail(`timebase ${String(meta.timebaseHz)} Hz, this machine's is 10000000`);
  num(meta.monitorId, 'monitorId', 0xffffffff);
  num(meta.ramPages, 'ramPages');
  const machine = obj(meta.machine, 'machine');
  num(machine.memoryMiB, 'machine.memoryMiB', 65536);
  str(machine.bootLine, 'machine.bootLine');
  const con = obj(machine.console, 'machine.console');
  num(con.cols, 'console cols', 1000);
  num(con.rows, 'console rows', 1000);
  num(con.scrollback, 'console scrollback', 1_000_000);
  for (const d of list(machine.blockDevices, 'machine.blockDevices')) {
    const o = obj(d, 'a block device');
    num(o.index, 'block device index', 31);
    str(o.path, 'block device path');
  }
  for (const n of list(machine.netDevices, 'machine.netDevices')) {
    const o = obj(n, 'a network device');
    num(o.unit, 'network unit', 15);
    str(o.mac, 'MAC');
    str(o.type, 'network type');
  }
  for (const u of list(machine.serialPorts, 'machine.serialPorts')) num(u, 'serial unit', 31);
  for (const s of list(machine.sharedDirs, 'machine.sharedDirs')) {
    const o = obj(s, 'a shared dir');
    num(o.unit, 'share unit', 31);
    str(o.path, 'share path');
  }
  if (meta.daemon !== null) {
    const d = obj(meta.daemon, 'daemon');
    for (const a of list(d.args, 'daemon.args')) str(a, 'a daemon argument');
    str(d.cwd, 'daemon.cwd');
  }
  const fw = obj(meta.forwards, 'forwards');
  for (const [unit, specs] of Object.entries(fw)) for (const s of list(specs, `forwards of unit ${unit}`)) str(s, 'a forward');
  for (const d of list(meta.disks, 'disks')) {
    const o = obj(d, 'a disk');
    num(o.index, 'disk index', 31);
    str(o.path, 'disk path');
    num(o.size, 'disk size');
    str(o.sha256, 'disk sha256');
    for (const b of list(o.backing, 'disk backing')) {
      const f = obj(b, 'a backing file');
      str(f.path, 'backing path');
      num(f.size, 'backing size');
      str(f.sha256, 'backing sha256');
    }
  }
  return meta as unknown as BundleMeta;
}

// ---- disk identity ------------------------------------------------------------------------------

const HASH_CHUNK = 1024 * 1024;

/** size and sha256 of an open file, read with positioned reads (the descriptor's offset is the device's). */
export async function identifyFd(fd: number, file: string): Promise<FileIdentity> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(HASH_CHUNK);
  let pos = 0;
  for (;;) {
    const n = await new Promise<number>((resolve, reject) => fs.read(fd, buf, 0, HASH_CHUNK, pos, (err, bytes) => (err ? reject(err) : resolve(bytes))));
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    pos += n;
  }
  return { path: file, size: pos, sha256: hash.digest('hex') };
}

export async function identifyFile(file: string): Promise<FileIdentity> {
  const fd = fs.openSync(file, 'r');
  try {
    return await identifyFd(fd, file);
  } finally {
    fs.closeSync(fd);
  }
}

/** The line refusing a disk that is not what the bundle suspended, or undefined when it is. */
export async function diskChanged(saved: DiskIdentity, now: string): Promise<string | undefined> {
  const files = [{ saved: saved as FileIdentity, file: now }, ...saved.backing.map((b) => ({ saved: b, file: b.path }))];
  for (const { saved: s, file } of files) {
    let id: FileIdentity;
    try {
      id = await identifyFile(file);
    } catch (err) {
      return `cobd${saved.index}: ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (the suspended VM used it)`;
    }
    if (id.size !== s.size) return `cobd${saved.index}: ${file} changed since the suspend (${id.size} bytes, was ${s.size}); --force resumes anyway`;
    if (id.sha256 !== s.sha256) return `cobd${saved.index}: ${file} changed since the suspend (its content differs); --force resumes anyway`;
  }
  return undefined;
}
