// Where the manager program is, for starting it on demand (startManager in @colinux/client).
import { fileURLToPath } from 'node:url';

/** This package's colinux-monitor-core bin; COLINUX_MONITOR_CORE overrides (tests, packaged installs). */
export function managerBinPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.COLINUX_MONITOR_CORE || fileURLToPath(new URL('../../bin/colinux-monitor-core.js', import.meta.url));
}
