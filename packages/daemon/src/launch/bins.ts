import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: packages/daemon/src/launch -> ../../../.. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where each helper's bin lives when the node_modules/.bin shim cannot be read. */
const PACKAGE_OF: Record<string, string> = {
  'colinux-console-nt': 'console-nt',
  'colinux-slirp-net-daemon': 'net-slirp',
  'colinux-net-daemon': 'net-tap',
  'colinux-bridged-net-daemon': 'net-bridged',
  'colinux-serial-daemon': 'serial',
  'colinux-monitor-core': 'monitor-core',
};

/**
 * The JavaScript file behind a sibling bin in the repo's node_modules/.bin. Helpers are spawned as
 * `process.execPath <file>` so they run on the same Node as the daemon, never on whatever `node` is in
 * PATH. COLINUX_BIN_DIR overrides the .bin folder.
 */
export function resolveHelperBin(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const binDir = env.COLINUX_BIN_DIR ?? join(REPO_ROOT, 'node_modules', '.bin');
  const shim = join(binDir, name);
  if (existsSync(shim)) {
    const text = readFileSync(shim, 'utf8');
    // pnpm's shim: exec "$basedir/node" "$basedir/../@colinux/serial/bin/colinux-serial-daemon.js" "$@"
    const m = /"\$basedir\/([^"]+\.(?:m?js|ts))"/.exec(text);
    if (m) {
      const file = resolve(binDir, m[1]!);
      if (existsSync(file)) return file;
    }
    if (text.startsWith('#!') && /\.(m?js|ts)$/.test(shim)) return shim;
  }
  const pkg = PACKAGE_OF[name] ?? (name.startsWith('colinux-console-') ? `console-${name.slice('colinux-console-'.length)}` : undefined);
  if (pkg) {
    const file = join(REPO_ROOT, 'packages', pkg, 'bin', `${name}.js`);
    if (existsSync(file)) return file;
  }
  return undefined;
}
