import { DaemonError, shown } from '../errors.ts';

/** Removes the quote characters coLinux keeps in tokens (docs/colinux.md#keys): `"` toggles, `""` is a literal `"`. */
export function unquote(value: string): string {
  return splitFields(value, 1)[0]!;
}

/**
 * Splits a value at commas outside quotes (`split_comma_separated`, docs/colinux.md#keys). Unlike coLinux an
 * over-long field is an error at its parser, never spilled into the next field.
 */
export function splitFields(value: string, maxFields = 16): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') {
      if (value[i + 1] === '"' && quoted) {
        current += '"';
        i++;
      } else {
        quoted = !quoted;
      }
      continue;
    }
    if (c === ',' && !quoted && fields.length + 1 < maxFields) {
      fields.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  fields.push(current);
  return fields;
}

/** `xx:xx:xx:xx:xx:xx` (exactly 17 characters, docs/colinux.md#keys); multicast addresses cannot name a NIC. */
export function parseMac(key: string, raw: string): string {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(raw)) {
    throw new DaemonError(`${key}: bad MAC address ${shown(raw)}: expected xx:xx:xx:xx:xx:xx in hex`);
  }
  const mac = raw.toLowerCase();
  if (parseInt(mac.slice(0, 2), 16) & 1) {
    throw new DaemonError(`${key}: bad MAC address ${shown(raw)}: multicast bit set in the first byte`);
  }
  if (mac === '00:00:00:00:00:00') throw new DaemonError(`${key}: bad MAC address ${shown(raw)}: all zero`);
  return mac;
}

/** A locally administered unicast address, new on every start like coLinux on a Linux host (docs/colinux.md#keys). */
export function randomMac(random: () => number = Math.random): string {
  const bytes = [0x02, ...Array.from({ length: 5 }, () => Math.floor(random() * 256) & 0xff)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Decimal (or 0x hex, as coLinux's strtol(..., 0)) non-negative integer, or undefined. */
export function parseCount(text: string): number | undefined {
  if (/^[0-9]{1,9}$/.test(text)) return Number(text);
  if (/^0[xX][0-9a-fA-F]{1,7}$/.test(text)) return Number.parseInt(text.slice(2), 16);
  return undefined;
}

export const MEM_MIN_MIB = 8;
/** The guest RAM lives in one WebAssembly memory (32-bit addresses); leave room for the core's own data. */
export const MEM_MAX_MIB = 3072;
export const MEM_DEFAULT_MIB = 128;

export function parseMem(raw: string): number {
  const text = unquote(raw);
  const mib = /^[0-9]{1,7}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(mib)) throw new DaemonError(`mem=${raw}: expected a size in MiB (decimal digits)`);
  if (mib < MEM_MIN_MIB || mib > MEM_MAX_MIB) {
    throw new DaemonError(`mem=${raw}: out of range, allowed ${MEM_MIN_MIB}..${MEM_MAX_MIB} MiB`);
  }
  return mib;
}

export interface ConsoleGeometry {
  cols: number;
  rows: number;
  scrollback: number;
}

/** `cocon=COLSxROWS[xTOTAL]` (docs/colinux.md#keys): TOTAL counts screen + scrollback lines, at most 500. */
export function parseCocon(raw: string): ConsoleGeometry {
  // Like coLinux's strtol(…, 0) chain: a number (decimal or 0x hex), one separator (x or ,), a number…
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)[xX,](0[xX][0-9a-fA-F]+|[0-9]+)(?:[xX,](0[xX][0-9a-fA-F]+|[0-9]+))?$/.exec(unquote(raw));
  const nums = m ? [m[1]!, m[2]!, m[3]].map((n) => (n === undefined ? undefined : parseCount(n))) : [];
  if (!m || nums[0] === undefined || nums[1] === undefined || (m[3] !== undefined && nums[2] === undefined)) {
    throw new DaemonError(`cocon=${raw}: expected <cols>x<rows>[x<total lines>]`);
  }
  const cols = nums[0]!;
  const rows = nums[1]!;
  let total = nums[2] ?? 0;
  if (total === 0) total = 500;
  if (total < rows) total = rows;
  if (cols < 16 || cols > 1000 || rows < 2 || rows > 500 || total > 500) {
    throw new DaemonError(`cocon=${raw}: invalid geometry ${cols}x${rows}x${total}: need cols 16..1000, rows 2..500, total lines <= 500`);
  }
  return { cols, rows, scrollback: total - rows };
}

const COLORS = [
  'black',
  'blue',
  'green',
  'cyan',
  'red',
  'magenta',
  'brown',
  'gray',
  'darkgray',
  'brightblue',
  'brightgreen',
  'brightcyan',
  'brightred',
  'brightmagenta',
  'yellow',
  'white',
];

/** `color=<fg>,<bg>` (docs/colinux.md#keys): VGA attribute bg<<4 | fg. */
export function parseColor(raw: string): number {
  const [fg = '', bg = '', extra] = splitFields(raw);
  const f = COLORS.indexOf(fg.toLowerCase());
  const b = COLORS.indexOf(bg.toLowerCase());
  if (extra !== undefined || f < 0 || b < 0) throw new DaemonError(`color=${raw}: expected <fg>,<bg> from ${COLORS.join(' ')}`);
  if (f === b) throw new DaemonError(`color=${raw}: foreground and background are the same colour`);
  return (b << 4) | f;
}

/** `cursor=<0..100>` percent (docs/colinux.md#keys). */
export function parseCursor(raw: string): number {
  const n = parseCount(unquote(raw));
  if (n === undefined || n > 100) throw new DaemonError(`cursor=${raw}: expected a percentage 0..100`);
  return n;
}
