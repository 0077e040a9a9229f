// The host memory budget for guest RAM (HOSTMEM_USE_LIMIT_REACHED beyond it): the host's memory,
// or COLINUX_HOSTMEM_LIMIT_MIB.
import os from 'node:os';

export function hostmemLimit(env: NodeJS.ProcessEnv): number {
  const mib = Number(env.COLINUX_HOSTMEM_LIMIT_MIB);
  return Number.isFinite(mib) && mib > 0 ? mib * 1024 * 1024 : os.totalmem();
}
