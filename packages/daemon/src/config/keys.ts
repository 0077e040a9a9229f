/**
 * Which tokens are configuration keys (docs/colinux.md#keys). coLinux matched keys by raw prefix, so boot
 * parameters such as `memmap=` or `pci=` were swallowed or rejected; here the key (the text before
 * the first `=`) must match exactly, and everything else goes to the kernel boot line.
 */
export const SINGLE_KEYS = ['kernel', 'initrd', 'firmware', 'mem', 'cocon', 'cursor', 'color', 'setcobd'] as const;
export type SingleKey = (typeof SINGLE_KEYS)[number];

/** Indexed keys and their unit limits (docs/colinux.md#limits). */
export const INDEXED_LIMITS = { cobd: 32, eth: 16, ttys: 32, exec: 8, cofs: 32, scsi: 32, pci: 32 } as const;
export type IndexedKey = keyof typeof INDEXED_LIMITS;

export type KeyMatch =
  | { kind: 'single'; key: SingleKey; value: string }
  | { kind: 'indexed'; key: IndexedKey; index: number; name: string; value: string }
  | { kind: 'alias'; name: string; bus: 'hd' | 'sd'; value: string };

const SINGLE = new Set<string>(SINGLE_KEYS);
const INDEXED = /^(cobd|eth|ttys|exec|cofs|scsi|pci)([0-9]+)$/;
/** `hd<X>`/`sd<X>` with X up to 4 characters (docs/colinux.md#keys), e.g. `hda`, `hdb1`, `sdb15`. */
const ALIAS = /^(hd|sd)([a-z][a-z0-9]{0,3})$/;

export function matchKey(token: string): KeyMatch | undefined {
  const eq = token.indexOf('=');
  if (eq <= 0) return undefined;
  const name = token.slice(0, eq);
  const value = token.slice(eq + 1);
  if (SINGLE.has(name)) return { kind: 'single', key: name as SingleKey, value };
  const indexed = INDEXED.exec(name);
  if (indexed) {
    const digits = indexed[2]!;
    // Absurdly long digit strings stay exact for the error message instead of becoming 1e+30.
    const index = digits.length > 6 ? Number.MAX_SAFE_INTEGER : Number(digits);
    return { kind: 'indexed', key: indexed[1] as IndexedKey, index, name, value };
  }
  const alias = ALIAS.exec(name);
  if (alias) return { kind: 'alias', name, bus: alias[1] as 'hd' | 'sd', value };
  return undefined;
}
