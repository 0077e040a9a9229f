// The daemon's side of suspend and resume (docs/suspend.md): what it answers when the manager asks
// to suspend its monitor (its configuration tokens with file paths made absolute, so they hold
// from another directory), and `resume=<file>`: the bundle's tokens, then each disk as it was
// suspended (a disk snapshot may have moved it to a new overlay), then the command line's own
// tokens, which override them.
import { isAbsolute, resolve } from 'node:path';
import { BundleError, diskChanged, readBundleMeta, type BundleMeta, type SavedDaemon } from '@colinux/monitor-core/bundle';
import type { Token } from '../cmdline/tokenize.ts';
import type { DaemonConfig } from '../config/build.ts';
import { matchKey } from '../config/keys.ts';
import { DaemonError } from '../errors.ts';
import type { HelperSpec } from '../launch/commands.ts';
import { unquote } from '../config/values.ts';

export const RESUME_KEY = 'resume';
const PATH_KEYS = new Set(['kernel', 'initrd', 'firmware']);
/** Saved tokens get sources of their own above any @file's, each its own (docs/config.md: the
 *  same indexed key twice in one source is an error, across sources the later one wins). */
const SAVED_SOURCE = 1_000_000;

function absolute(token: string, cwd: string): string {
  const m = matchKey(token);
  if (!m) return token;
  const isPath = (m.kind === 'single' && PATH_KEYS.has(m.key)) || m.kind === 'alias' || (m.kind === 'indexed' && (m.key === 'cobd' || m.key === 'cofs'));
  const value = unquote(m.value);
  if (!isPath || value === '' || value.startsWith(':') || isAbsolute(value)) return token;
  const name = token.slice(0, token.indexOf('='));
  const option = m.kind === 'indexed' && m.key === 'cofs' ? (/,(ro|rw)$/.exec(m.value)?.[0] ?? '') : '';
  return `${name}=${resolve(cwd, option ? value.slice(0, -option.length) : value)}${option}`;
}

/** The answer to the manager's SUSPEND call. */
export function savedDaemon(tokens: readonly Token[], helpers: readonly HelperSpec[], cwd = process.cwd()): SavedDaemon {
  return {
    args: tokens.filter((t) => !t.text.startsWith(`${RESUME_KEY}=`)).map((t) => absolute(t.text, cwd)),
    cwd,
    helpers: helpers.map((h) => [h.program, ...h.args].join(' ')),
  };
}

export interface Resuming {
  file: string;
  /** The bundle's META (the manager reads and checks the rest at RESUME). */
  meta: BundleMeta;
  tokens: Token[];
}

/** `resume=<file>` among the tokens: the bundle read and checked, the tokens to configure from. */
export function resumeTokens(tokens: readonly Token[]): Resuming | undefined {
  const given = tokens.filter((t) => t.text.startsWith(`${RESUME_KEY}=`));
  if (given.length === 0) return undefined;
  if (given.length > 1) throw new DaemonError(`${RESUME_KEY}= given ${given.length} times (${given.map((t) => t.origin).join(', ')})`);
  const raw = unquote(given[0]!.text.slice(RESUME_KEY.length + 1));
  if (raw === '') throw new DaemonError(`${RESUME_KEY}=: empty path`);
  const file = resolve(raw);
  let meta: BundleMeta;
  try {
    meta = readBundleMeta(file);
  } catch (err) {
    if (err instanceof BundleError) throw new DaemonError(`colinux: cannot resume: ${err.message}`);
    throw err;
  }
  const saved = meta.daemon;
  if (!saved) throw new DaemonError(`colinux: cannot resume: ${file}: the suspended VM had no colinux-daemon configuration`);
  const origin = `bundle '${file}'`;
  const fromBundle = [...saved.args, ...meta.disks.map((d) => `cobd${d.index}=${d.path}`)].map((text, i): Token => ({
    text,
    origin,
    source: SAVED_SOURCE + i,
  }));
  return { file, meta, tokens: [...fromBundle, ...tokens.filter((t) => !given.includes(t))] };
}

/** The guest's network drivers know the suspended MACs: a random one must not replace them. */
export function keepMacs(config: DaemonConfig, r: Resuming): void {
  for (const n of config.net) {
    const saved = r.meta.machine.netDevices.find((s) => s.unit === n.unit);
    if (saved) n.mac = saved.mac;
  }
}

/** Refuses a disk whose content is not the suspended one (one line naming it), unless forced. */
export async function checkDisks(r: Resuming, blockDevices: ReadonlyArray<{ index: number; path: string }>, force: boolean): Promise<void> {
  if (force) return;
  for (const saved of r.meta.disks) {
    const now = blockDevices.find((d) => d.index === saved.index);
    if (!now) continue; // the manager refuses the other set of disks with its own line
    const changed = await diskChanged(saved, now.path);
    if (changed) throw new DaemonError(`colinux: cannot resume: ${changed}`);
  }
}
