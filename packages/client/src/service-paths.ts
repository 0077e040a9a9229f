// Where a VM installed as a systemd service (colinux-daemon --install-service <name>) keeps its
// runtime dir and monitor-id file, so that consoles can find it by name (-n <name>). The unit sets
// RuntimeDirectory=colinux-<name>: /run/colinux-<name> for a system unit (root),
// $XDG_RUNTIME_DIR/colinux-<name> for a user unit (systemd.exec(5), "RuntimeDirectory=").
import path from 'node:path';

/** A service name: what systemd allows in a unit name, kept to a plain subset. */
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkServiceName(name: string): string {
  if (!SERVICE_NAME.test(name)) throw new Error(`service name '${name}': use 1..64 of A-Z a-z 0-9 _ . - (starting with a letter or digit)`);
  return name;
}

export function isSystemInstance(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function serviceUnitName(name: string): string {
  return `colinux-${checkServiceName(name)}.service`;
}

/** The service's own runtime dir: its manager, its logs, its monitor-id file. */
export function serviceRuntimeDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  checkServiceName(name);
  if (isSystemInstance()) return `/run/colinux-${name}`;
  const base = env.XDG_RUNTIME_DIR || `/run/user/${process.getuid?.() ?? 0}`;
  return path.join(base, `colinux-${name}`);
}

export function servicePidFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(serviceRuntimeDir(name, env), 'monitor.pid');
}
