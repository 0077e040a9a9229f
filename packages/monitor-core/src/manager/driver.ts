// --install-driver / --remove-driver / --status-driver (docs/colinux.md#driver-switches): the manager plays the
// driver, so "installing" starts it detached and "removing" stops it once no monitor runs.
// colinux-daemon forwards its own switches to these functions.
import fs from 'node:fs';
import { ManagerError, PERIPHERY_API_VERSION, PROTOCOL_VERSION, Rc, monitorStateName } from '@colinux/protocol';
import { ManagerClient, lockPath, monitorEndpointPath, monitorIdOfEndpoint, runtimeDirPath, startManager, waitForManager } from '@colinux/client';
import { managerBinPath } from './bin-path.ts';
import { readLockPid } from './lock.ts';

async function tryConnect(env: NodeJS.ProcessEnv): Promise<ManagerClient | undefined> {
  try {
    return await ManagerClient.connect({ env, timeoutMs: 2000 });
  } catch {
    return undefined;
  }
}

/** Starts the manager if absent; returns the line to print. */
export async function installDriver(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  // One look: a manager that is starting right now is handled by startManager (its lock lets one
  // serve), so there is nothing to wait for here.
  if (await waitForManager(env, 0)) return 'driver already installed';
  await startManager(managerBinPath(env), env);
  return 'daemon: driver installed';
}

/** Stops the manager; refused while monitors run (throws with coLinux's message). */
export async function removeDriver(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const c = await tryConnect(env);
  if (!c) return 'driver not installed';
  try {
    let versionOk = true;
    try {
      const s = await c.status();
      if (s.monitorCount > 0) throw new Error('monitors are running, cannot remove driver');
    } catch (err) {
      if (!(err instanceof ManagerError && err.rc === Rc.VERSION_MISMATCHED)) throw err;
      versionOk = false;
    }
    if (versionOk) {
      await c.shutdownManager();
    } else {
      // coLinux removed a mismatched driver anyway; our SHUTDOWN may not exist there, so signal it.
      const pid = readLockPid(lockPath(env));
      if (pid > 0) process.kill(pid, 'SIGTERM');
    }
  } finally {
    await c.close();
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && fs.existsSync(lockPath(env))) await new Promise((r) => setTimeout(r, 50));
  return 'daemon: driver removed';
}

/** Whether monitor processes serve in the runtime dir (their endpoints are there). */
function monitorsWithoutManager(env: NodeJS.ProcessEnv): boolean {
  try {
    return fs.readdirSync(runtimeDirPath(env)).some((name) => monitorIdOfEndpoint(name) !== undefined);
  } catch {
    return false;
  }
}

/** ", process N: X MiB resident, Y s CPU" of a monitor's own process (docs/manager.md "Monitor
 *  processes": its memory and CPU time are the VM's), asked at its endpoint; '' when it does not
 *  answer. CPU from /proc/<pid>/stat (proc(5): utime and stime, fields 14 and 15, in clock ticks). */
async function monitorProcess(env: NodeJS.ProcessEnv, id: number): Promise<string> {
  let c: ManagerClient | undefined;
  try {
    c = await ManagerClient.connect({ env, endpoint: monitorEndpointPath(env, id), timeoutMs: 1000 });
    const s = await c.status();
    const fields = fs.readFileSync(`/proc/${s.pid}/stat`, 'latin1').split(') ')[1]?.split(' ') ?? [];
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    return `, process ${s.pid}: ${(s.rssBytes / 1048576).toFixed(1)} MiB resident${Number.isFinite(cpu) ? `, ${cpu.toFixed(1)} s CPU` : ''}`;
  } catch {
    return '';
  } finally {
    await c?.close();
  }
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux ABI Node runs on (times(2)). */
const CLOCK_TICKS = 100;

/** The text --status-driver prints. Monitors whose manager died (docs/manager.md "Monitor
 *  processes") get a new manager, which finds them. */
export async function statusDriver(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const lines = ['checking if the driver is installed'];
  let c = await tryConnect(env);
  if (!c && monitorsWithoutManager(env)) {
    await startManager(managerBinPath(env), env);
    c = await tryConnect(env);
  }
  if (!c) {
    lines.push('driver not installed');
    return lines.join('\n');
  }
  try {
    const s = await c.status();
    const info = await c.info();
    lines.push(
      `current state: ${s.state} (fully initialized)`,
      `current number of monitors: ${s.monitorCount}`,
      `current protocol version: ${s.protocolVersion}`,
      `current periphery api version: ${PERIPHERY_API_VERSION}`,
      `manager pid: ${s.pid}, started ${new Date(s.startedAt).toISOString()}`,
      `manager memory: ${(s.rssBytes / 1048576).toFixed(1)} MiB resident; guest memory ${Math.round(info.hostmemUsed / 1048576)} of ${Math.round(info.hostmemLimit / 1048576)} MiB`,
    );
    for (const m of s.monitors) {
      const p = await monitorProcess(env, m.id);
      lines.push(`monitor ${m.id}: ${monitorStateName(m.state)}, mem=${m.memoryMiB}, created ${new Date(m.createdAt).toISOString()}${p}`);
    }
  } catch (err) {
    if (err instanceof ManagerError && err.rc === Rc.VERSION_MISMATCHED)
      lines.push(`driver version mismatch: ${err.message} (this program: ${PROTOCOL_VERSION})`);
    else throw err;
  } finally {
    await c.close();
  }
  return lines.join('\n');
}
