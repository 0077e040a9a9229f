// What every console does with the manager (docs/colinux.md#console), shared by colinux-console-nt
// and colinux-console-web: find the monitor (-a, -p or the most recent one), ATTACH [CONSOLE] as
// holder, as watcher (--read-only) or taking it over (--force), and put the end of an attachment
// in words.
import fs from 'node:fs';
import { ManagerError, Module, Rc } from '@colinux/protocol';
import { ManagerClient, checkServiceName, serviceRuntimeDir, servicePidFile, type EndCause, type TransportName } from '@colinux/client';
import { endStatus } from '@colinux/client/cli';

export interface AttachOptions {
  id?: number;
  pidFile?: string;
  /** -n: the VM installed as a service under this name (its own runtime dir and monitor-id file). */
  service?: string;
  force: boolean;
  readOnly: boolean;
  transport?: TransportName;
  env?: NodeJS.ProcessEnv;
}

export class ConsoleFailure extends Error {
  override name = 'ConsoleFailure';
}

/** The monitor id from -a, -p or, without either, the most recently created monitor. */
export async function chooseMonitor(client: ManagerClient, opts: Pick<AttachOptions, 'id' | 'pidFile'>): Promise<number> {
  if (opts.id !== undefined) return opts.id;
  if (opts.pidFile !== undefined) {
    let id = NaN;
    try {
      id = Number.parseInt(fs.readFileSync(opts.pidFile, 'utf8').trim(), 10);
    } catch {
      // reported below, in coLinux's words
    }
    if (!Number.isInteger(id) || id <= 0) throw new ConsoleFailure(`error on reading PID from file '${opts.pidFile}'`);
    return id;
  }
  const list = await client.list();
  if (list.length === 0) throw new ConsoleFailure('no monitor is running (start one with colinux-daemon)');
  return list[0]!.id;
}

/** Connects and attaches the console; the failures a user meets are ConsoleFailure lines. */
export async function attachConsole(opts: AttachOptions): Promise<{ client: ManagerClient; id: number }> {
  if (opts.service !== undefined) opts = byServiceName(opts, opts.service);
  let client: ManagerClient;
  try {
    client = await ManagerClient.connect({ env: opts.env, transport: opts.transport });
  } catch (err) {
    throw new ConsoleFailure(`cannot reach the manager (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is a monitor running?`);
  }
  try {
    const id = await chooseMonitor(client, opts);
    await attachTo(client, id, opts);
    return { client, id };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** -n <name>: the service's runtime dir holds its manager and the file with its monitor id. */
function byServiceName(opts: AttachOptions, name: string): AttachOptions {
  try {
    checkServiceName(name);
  } catch (err) {
    throw new ConsoleFailure((err as Error).message);
  }
  const env = { ...(opts.env ?? process.env) };
  const pidFile = servicePidFile(name, env);
  if (!fs.existsSync(pidFile)) throw new ConsoleFailure(`service '${name}' is not running (no ${pidFile}); see colinux-daemon --status-service ${name}`);
  return { ...opts, pidFile, env: { ...env, COLINUX_RUNTIME_DIR: serviceRuntimeDir(name, env) } };
}

/** ATTACH [CONSOLE] on a connection (again after a takeover, to watch or to take it back). */
export async function attachTo(client: ManagerClient, id: number, how: { force: boolean; readOnly: boolean }): Promise<void> {
  try {
    await client.attach(id, [Module.CONSOLE], { force: how.force, watch: how.readOnly });
  } catch (err) {
    if (err instanceof ManagerError && err.rc === Rc.ACCESS_DENIED)
      throw new ConsoleFailure(`the console of monitor ${id} is attached elsewhere; use --force to take it over or --read-only to watch`);
    if (err instanceof ManagerError) throw new ConsoleFailure(`cannot attach to monitor ${id}: ${err.message}`);
    throw err;
  }
}

/** The line a console prints when its attachment ends, and its exit status. */
export function endOfAttachment(cause: EndCause, id: number): { code: number; line: string } {
  const line =
    cause === 'taken-over'
      ? `monitor ${id}: console taken over by another console`
      : cause === 'monitor-closed'
        ? `monitor ${id} has ended`
        : 'lost the connection to the manager';
  return { code: endStatus(cause), line };
}
