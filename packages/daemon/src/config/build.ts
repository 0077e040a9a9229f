import { DaemonError, shown } from '../errors.ts';
import type { Token } from '../cmdline/tokenize.ts';
import { INDEXED_LIMITS, matchKey, type IndexedKey, type SingleKey } from './keys.ts';
import { parseEth, type NetDevice } from './net.ts';
import { MEM_DEFAULT_MIB, parseCocon, parseColor, parseCursor, parseMem, splitFields, unquote, type ConsoleGeometry } from './values.ts';

/** `key` is the token that defined the device (`cobd3`, `hda`), for error lines. */
export interface BlockDevice {
  index: number;
  path: string;
  aliases: string[];
  key: string;
}
export interface SerialPort {
  unit: number;
  device: string;
  mode?: string;
}
export interface SharedDir {
  unit: number;
  path: string;
  readOnly: boolean;
}
export interface ExecProgram {
  index: number;
  program: string;
  args: string[];
}

/** The parsed configuration, before any host file is looked at (see host.ts). */
export interface DaemonConfig {
  kernel: string;
  initrd?: string;
  firmware?: string;
  memoryMiB: number;
  console: ConsoleGeometry;
  cursor?: number;
  color?: number;
  blockDevices: BlockDevice[];
  net: NetDevice[];
  serial: SerialPort[];
  sharedDirs: SharedDir[];
  execs: ExecProgram[];
  bootLine: string;
}

/** Linux/riscv COMMAND_LINE_SIZE is 1024 bytes including the NUL; coLinux silently cut at 255. */
export const MAX_BOOT_LINE = 1023;

interface Seen {
  token: Token;
  value: string;
}

export interface ParseOptions {
  random?: () => number;
}

/**
 * Builds the configuration from the tokens left after switches (docs/colinux.md#keys), fixing coLinux's
 * precedence bug: the LAST occurrence of a single-valued key wins (earlier ones are dropped, not
 * leaked into the boot line), an indexed key given again in a later @file (or on the command line
 * after it) replaces the earlier one, and the same indexed key twice in one file is an error.
 * Returns undefined when there is no configuration at all (no tokens).
 */
export function parseConfig(tokens: readonly Token[], opts: ParseOptions = {}): DaemonConfig | undefined {
  if (tokens.length === 0) return undefined;
  const single = new Map<SingleKey, Seen>();
  const indexed = new Map<string, Seen & { key: IndexedKey; index: number }>();
  const aliases = new Map<string, Seen & { bus: 'hd' | 'sd' }>();
  const boot: string[] = [];
  for (const token of tokens) {
    const m = matchKey(token.text);
    if (!m) {
      boot.push(token.text);
      continue;
    }
    if (m.value === '') throw new DaemonError(`${token.text} (${token.origin}): missing value for '${m.kind === 'single' ? m.key : m.name}'`);
    if (m.kind === 'single') {
      single.set(m.key, { token, value: m.value });
    } else if (m.kind === 'indexed') {
      const limit = INDEXED_LIMITS[m.key];
      if (m.index >= limit) {
        throw new DaemonError(`${m.name}=${m.value}: invalid ${m.key} index ${m.index > 1e6 ? m.name.slice(m.key.length) : m.index} (allowed 0..${limit - 1})`);
      }
      const id = `${m.key}${m.index}`;
      const before = indexed.get(id);
      if (before && before.token.source === token.source) {
        throw new DaemonError(`${m.name}=${m.value}: ${id} defined twice (${before.token.origin} and ${token.origin})`);
      }
      indexed.set(id, { token, value: m.value, key: m.key, index: m.index });
    } else {
      const before = aliases.get(m.name);
      if (before && before.token.source === token.source) {
        throw new DaemonError(`${m.name}=${m.value}: ${m.name} defined twice (${before.token.origin} and ${token.origin})`);
      }
      aliases.set(m.name, { token, value: m.value, bus: m.bus });
    }
  }
  const kernel = single.get('kernel');
  if (!kernel) {
    throw new DaemonError(`no kernel= given, so the arguments are not a configuration: unknown parameter ${shown(tokens[0]!.text)} (${tokens[0]!.origin})`);
  }
  const value = (k: SingleKey): string | undefined => single.get(k)?.value;

  const setcobd = value('setcobd');
  if (setcobd !== undefined && setcobd !== 'async' && setcobd !== 'sync') {
    throw new DaemonError(`setcobd=${setcobd}: only 'async' or 'sync' allowed`);
  }

  const byKey = (key: IndexedKey) => [...indexed.values()].filter((e) => e.key === key).sort((a, b) => a.index - b.index);
  for (const key of ['scsi', 'pci'] as const) {
    const first = byKey(key)[0];
    if (first) throw new DaemonError(`${key}${first.index}=${first.value}: ${key} devices are not available on this machine (use cobd<N>= for disks)`);
  }

  const blockDevices: BlockDevice[] = byKey('cobd').map((e) => ({
    index: e.index,
    path: nonEmpty(`cobd${e.index}`, e.value),
    aliases: [],
    key: `cobd${e.index}`,
  }));
  applyAliases(blockDevices, [...aliases.values()]);

  const net = byKey('eth').map((e) => parseEth(e.index, e.value, opts.random));
  const serial = byKey('ttys').map((e): SerialPort => {
    const [device = '', mode = ''] = splitFields(e.value, 2);
    if (device === '') throw new DaemonError(`ttys${e.index}=${e.value}: missing host serial device name`);
    return { unit: e.index, device, ...(mode ? { mode } : {}) };
  });
  const sharedDirs = byKey('cofs').map((e) => parseShare(e.index, e.value));
  const execs = byKey('exec').map((e): ExecProgram => {
    const [program = '', args = ''] = splitFields(e.value, 2);
    if (program === '') throw new DaemonError(`exec${e.index}=${e.value}: missing program path`);
    return { index: e.index, program, args: args.split(/\s+/).filter((a) => a !== '') };
  });

  const bootLine = boot.join(' ');
  if (Buffer.byteLength(bootLine) > MAX_BOOT_LINE) {
    throw new DaemonError(`kernel boot line is ${Buffer.byteLength(bootLine)} bytes, the guest accepts at most ${MAX_BOOT_LINE}: ${shown(bootLine)}`);
  }
  const cursor = value('cursor');
  const color = value('color');
  const initrd = value('initrd');
  const firmware = value('firmware');
  const mem = value('mem');
  const cocon = value('cocon');
  return {
    kernel: nonEmpty('kernel', kernel.value),
    ...(initrd !== undefined ? { initrd: nonEmpty('initrd', initrd) } : {}),
    ...(firmware !== undefined ? { firmware: nonEmpty('firmware', firmware) } : {}),
    memoryMiB: mem === undefined ? MEM_DEFAULT_MIB : parseMem(mem),
    console: cocon === undefined ? { cols: 80, rows: 25, scrollback: 475 } : parseCocon(cocon),
    ...(cursor !== undefined ? { cursor: parseCursor(cursor) } : {}),
    ...(color !== undefined ? { color: parseColor(color) } : {}),
    blockDevices,
    net,
    serial,
    sharedDirs,
    execs,
    bootLine,
  };
}

/** `cofs<N>=<dir>[,ro|,rw]`: the option is recognised only as the last field, so a directory
 *  name may contain commas (one that itself ends in `,ro` is written `<dir>,ro,rw`). */
function parseShare(unit: number, value: string): SharedDir {
  const option = /,(ro|rw)$/.exec(value);
  const dir = option ? value.slice(0, option.index) : value;
  return { unit, path: nonEmpty(`cofs${unit}`, dir), readOnly: option?.[1] === 'ro' };
}

function nonEmpty(key: string, raw: string): string {
  const path = unquote(raw);
  if (path === '') throw new DaemonError(`${key}=${raw}: empty path`);
  if (path.includes('\0')) throw new DaemonError(`${key}=${shown(raw)}: NUL byte in path`);
  return path;
}

/**
 * `sd<X>=`/`hd<X>=` aliases (docs/colinux.md#keys): after all cobdN, sd before hd. `:cobd<M>` names an existing
 * device; a path takes the lowest unused cobd slot.
 */
function applyAliases(devices: BlockDevice[], aliases: Array<Seen & { bus: 'hd' | 'sd' }>): void {
  const ordered = [...aliases.filter((a) => a.bus === 'sd'), ...aliases.filter((a) => a.bus === 'hd')];
  for (const a of ordered) {
    const name = a.token.text.slice(0, a.token.text.indexOf('='));
    const ref = /^:cobd([0-9]+)$/.exec(a.value);
    if (ref) {
      const target = devices.find((d) => d.index === Number(ref[1]));
      if (!target) throw new DaemonError(`${name}=${a.value}: alias on unused cobd${ref[1]}`);
      target.aliases.push(name);
      continue;
    }
    if (a.value.startsWith(':')) throw new DaemonError(`${name}=${a.value}: expected :cobd<N> or an image path`);
    let slot = 0;
    while (devices.some((d) => d.index === slot)) slot++;
    if (slot >= INDEXED_LIMITS.cobd) throw new DaemonError(`${name}=${a.value}: no available cobd for new alias (all ${INDEXED_LIMITS.cobd} used)`);
    devices.push({ index: slot, path: nonEmpty(name, a.value), aliases: [name], key: name });
  }
  devices.sort((x, y) => x.index - y.index);
}
