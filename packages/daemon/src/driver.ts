import { ManagerError, Rc } from '@colinux/protocol';
import { DaemonError, ExitCode } from './errors.ts';

/**
 * `--install-driver`, `--remove-driver`, `--status-driver` (docs/colinux.md#driver-switches), forwarded to
 * monitor-core's functions: the manager plays coLinux's driver. Loaded on demand so a normal start
 * does not load the manager's code into the daemon.
 */
export async function driverCommand(which: 'install' | 'remove' | 'status', env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const core = await import('@colinux/monitor-core/driver');
  try {
    if (which === 'status') {
      const text = await core.statusDriver(env);
      out(text);
      // coLinux exits with ERROR_ACCESSING_DRIVER when it is absent, so scripts can test for it.
      return text.includes('driver not installed') ? ExitCode.ERROR_ACCESSING_DRIVER : ExitCode.OK;
    }
    out(which === 'install' ? await core.installDriver(env) : await core.removeDriver(env));
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof ManagerError && err.rc === Rc.VERSION_MISMATCHED) {
      throw new DaemonError(`colinux-daemon: error driver version, please reinstall driver! ${err.message}`, ExitCode.VERSION_MISMATCHED);
    }
    throw new DaemonError(`colinux-daemon: --${which}-driver: ${(err as Error).message}`);
  }
}

export function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}
