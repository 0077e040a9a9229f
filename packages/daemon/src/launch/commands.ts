import { Module, netModule, serialModule, type ModuleId } from '@colinux/protocol';
import type { DaemonConfig } from '../config/build.ts';

/** A process the daemon starts: a coLinux helper (by bin name) or an execN program. */
export interface HelperSpec {
  /** Label in logs and messages: `console`, `eth0`, `ttys1`, `exec0`. */
  label: string;
  kind: 'console' | 'net' | 'serial' | 'exec';
  /** Bin name for helpers (resolved in node_modules/.bin), program path for execN. */
  program: string;
  args: string[];
  /** Module the helper attaches (for take-over detection); undefined for execN. */
  module?: ModuleId;
}

/**
 * The coLinux command strings (docs/colinux.md#launching), in coLinux's launch order: console, eth0..15,
 * ttys0..31, exec0..7. Arguments are separate argv entries, so a name with spaces needs no quoting.
 */
export function helperSpecs(config: DaemonConfig, id: number, consoleType: string | undefined): HelperSpec[] {
  const specs: HelperSpec[] = [];
  const base = ['-i', String(id)];
  if (consoleType !== undefined) {
    specs.push({ label: 'console', kind: 'console', program: `colinux-console-${consoleType}`, args: ['-a', String(id)], module: Module.CONSOLE });
  }
  for (const n of config.net) {
    const unit = ['-u', String(n.unit)];
    const module = netModule(n.unit);
    const label = `eth${n.unit}`;
    if (n.type === 'slirp') {
      const o = n.options;
      const options = [
        ...(o?.restrict ? ['--restrict'] : []),
        ...(o?.noHostLoopback ? ['--no-host-loopback'] : []),
        ...(o?.mtu ? ['--mtu', String(o.mtu)] : []),
      ];
      specs.push({
        label,
        kind: 'net',
        module,
        program: 'colinux-slirp-net-daemon',
        args: [...base, ...unit, ...(n.redirections ? ['-r', n.redirections] : []), ...options],
      });
    } else if (n.type === 'tuntap') {
      specs.push({ label, kind: 'net', module, program: 'colinux-net-daemon', args: [...base, ...unit, ...(n.name ? ['-n', n.name] : [])] });
    } else {
      specs.push({
        label,
        kind: 'net',
        module,
        program: 'colinux-bridged-net-daemon',
        args: [...base, ...unit, ...(n.name ? ['-n', n.name] : []), '-mac', n.mac, '-p', n.promisc ? '1' : '0'],
      });
    }
  }
  for (const s of config.serial) {
    specs.push({
      label: `ttys${s.unit}`,
      kind: 'serial',
      module: serialModule(s.unit),
      program: 'colinux-serial-daemon',
      args: [...base, '-u', String(s.unit), '-f', s.device, ...(s.mode ? ['-m', s.mode] : [])],
    });
  }
  for (const e of config.execs) {
    specs.push({ label: `exec${e.index}`, kind: 'exec', program: e.program, args: e.args });
  }
  return specs;
}
