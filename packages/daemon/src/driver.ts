import {
  ManagerClient, ManagerError, PERIPHERY_API_VERSION, LINUX_API_VERSION, Rc, monitorStateName, startManager,
} from '@colinux/protocol';
import { DaemonError, ExitCode } from './errors.ts';

/**
 * `--install-driver`, `--remove-driver`, `--status-driver` (reference 1.9). The "driver" is the
 * monitor-core manager process; installing starts it, removing stops it once no monitor runs.
 */
export async function driverCommand(which: 'install' | 'remove' | 'status', env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const client = await tryConnect(env);
  try {
    if (which === 'status') {
      out('checking if the driver is installed');
      if (!client) {
        out('driver not installed');
        return ExitCode.ERROR_ACCESSING_DRIVER;
      }
      const s = await client.status();
      out(`current state: ${s.state}${s.state === 4 ? ' (fully initialized)' : ''}`);
      out(`current number of monitors: ${s.monitorCount}`);
      out(`current linux api version: ${LINUX_API_VERSION}`);
      out(`current periphery api version: ${PERIPHERY_API_VERSION}`);
      out(`current protocol version: ${s.protocolVersion}`);
      out(`manager pid ${s.pid}, running since ${new Date(s.startedAt).toISOString()}, ${(s.rssBytes / 1048576).toFixed(1)} MiB resident`);
      for (const m of s.monitors) {
        out(`monitor ${m.id}: ${monitorStateName(m.state)}, ${m.memoryMiB} MiB, owner pid ${m.ownerPid ?? '-'}, created ${new Date(m.createdAt).toISOString()}`);
      }
      return ExitCode.OK;
    }
    if (which === 'install') {
      if (client) {
        await client.status();
        out('driver already installed');
        return ExitCode.OK;
      }
      await startManager(env);
      out('daemon: driver installed');
      return ExitCode.OK;
    }
    if (!client) {
      out('driver not installed');
      return ExitCode.OK;
    }
    let running = 0;
    try {
      running = (await client.status()).monitorCount;
    } catch (err) {
      // coLinux removes the driver anyway when its status cannot be read or its version differs.
      if (!(err instanceof ManagerError && err.rc === Rc.VERSION_MISMATCHED)) throw err;
    }
    if (running > 0) throw new DaemonError(`monitors are running, cannot remove driver (${running} running)`);
    await client.shutdownManager();
    out('daemon: driver removed');
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof ManagerError && err.rc === Rc.VERSION_MISMATCHED) throw new DaemonError(`error driver version, please reinstall driver! ${err.message}`, ExitCode.VERSION_MISMATCHED);
    throw err;
  } finally {
    await client?.close();
  }
}

async function tryConnect(env: NodeJS.ProcessEnv): Promise<ManagerClient | undefined> {
  try {
    return await ManagerClient.connect({ env, timeoutMs: 2000 });
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

export function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}
