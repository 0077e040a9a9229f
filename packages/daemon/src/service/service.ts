// --install-service / --remove-service / --status-service <name>: coLinux's NT service switches
// (docs/colinux.md), on systemd. As root the unit is a system unit (/etc/systemd/system, started at
// boot, stopped before the host shuts down); otherwise a user unit (~/.config/systemd/user,
// `systemctl --user`, with lingering so it runs without a login session). The configuration is
// stored as an @file next to it, with the working directory, as coLinux stored the command line and
// the directory in the service's registry entry.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkServiceName, isSystemInstance, servicePidFile, serviceRuntimeDir, serviceUnitName } from '@colinux/client';
import type { Switches } from '../cmdline/switches.ts';
import { tokenizeConfigText, type Token } from '../cmdline/tokenize.ts';
import { parseConfig } from '../config/build.ts';
import { DaemonError, ExitCode } from '../errors.ts';
import { LAST_EXIT_FILE_NAME, renderUnit } from './unit.ts';

const DAEMON_BIN = fileURLToPath(new URL('../../bin/colinux-daemon.js', import.meta.url));
const DOCS = fileURLToPath(new URL('../../../../docs/service.md', import.meta.url));

interface Places {
  system: boolean;
  unitFile: string;
  configFile: string;
  unit: string;
}

function places(name: string, env: NodeJS.ProcessEnv): Places {
  const system = isSystemInstance();
  const config = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  const unit = serviceUnitName(name);
  return {
    system,
    unit,
    unitFile: path.join(system ? '/etc/systemd/system' : path.join(config, 'systemd', 'user'), unit),
    configFile: path.join(system ? '/etc/colinux' : path.join(config, 'colinux'), `${name}.conf`),
  };
}

export async function serviceCommand(
  service: NonNullable<Switches['service']>,
  switches: Switches,
  config: Token[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<number> {
  const flag = `--${service.action}-service`;
  try {
    checkServiceName(service.name);
  } catch (err) {
    throw new DaemonError(`${flag}: ${(err as Error).message}`);
  }
  const where = places(service.name, env);
  if (service.action === 'install') return install(service.name, where, switches, config, env, out);
  if (!fs.existsSync(where.unitFile)) {
    if (service.action === 'status') {
      out(`service '${service.name}' is not installed (no ${where.unitFile})`);
      return ExitCode.ERROR;
    }
    throw new DaemonError(`${flag} ${service.name}: the service is not installed (no ${where.unitFile})`);
  }
  if (service.action === 'remove') return remove(service.name, where, env, out);
  return status(service.name, where, env, out);
}

function install(name: string, where: Places, switches: Switches, config: Token[], env: NodeJS.ProcessEnv, out: (line: string) => void): number {
  const flag = `--install-service ${name}`;
  if (fs.existsSync(where.unitFile)) throw new DaemonError(`${flag}: already installed (${where.unitFile}); remove it first with --remove-service ${name}`);
  // Refused now rather than at the first start: the configuration must be one the daemon can boot.
  if (!parseConfig(config)) throw new DaemonError(`${flag}: no configuration given (kernel=<vmlinux> ..., or @file)`);
  const stored = [...(switches.quietKernel ? ['-k'] : []), ...(switches.verbose > 0 ? ['-v', String(switches.verbose)] : []), ...config.map((t) => t.text)];
  const text = `# colinux-daemon --install-service ${name}: the configuration of this service, one token a line.\n${stored.join('\n')}\n`;
  const back = tokenizeConfigText(text, where.configFile, 1).map((t) => t.text);
  const lost = stored.find((t, i) => back[i] !== t) ?? (back.length !== stored.length ? stored.at(-1) : undefined);
  if (lost !== undefined)
    throw new DaemonError(
      `${flag}: token '${lost}' cannot be stored in an @file as it is (blanks or '#' outside double quotes); give it in an @file of your own`,
    );

  const unit = renderUnit({
    name,
    node: process.execPath,
    daemonBin: DAEMON_BIN,
    configFile: where.configFile,
    workingDirectory: process.cwd(),
    shutdownTimeoutS: switches.shutdownTimeoutS,
    system: where.system,
    docs: DOCS,
  });
  fs.mkdirSync(path.dirname(where.configFile), { recursive: true });
  fs.mkdirSync(path.dirname(where.unitFile), { recursive: true });
  fs.writeFileSync(where.configFile, text, { mode: 0o644 });
  fs.writeFileSync(where.unitFile, unit, { mode: 0o644 });
  try {
    systemctl(where, ['daemon-reload']);
    systemctl(where, ['enable', where.unit]);
  } catch (err) {
    fs.rmSync(where.unitFile, { force: true });
    fs.rmSync(where.configFile, { force: true });
    try {
      fs.rmdirSync(path.dirname(where.configFile)); // removed again when nothing else is in it
    } catch {
      // other services' configurations live there
    }
    throw err;
  }
  if (!where.system) enableLinger(out);
  out(
    `colinux-daemon: service '${name}' installed as ${where.unit} (${where.unitFile}), enabled at ${where.system ? 'boot' : 'login (and boot with lingering)'}; start it now with: systemctl${where.system ? '' : ' --user'} start ${where.unit}`,
  );
  return ExitCode.OK;
}

function remove(name: string, where: Places, env: NodeJS.ProcessEnv, out: (line: string) => void): number {
  // --now stops it first: the same graceful guest shutdown as `systemctl stop`.
  systemctl(where, ['disable', '--now', where.unit]);
  fs.rmSync(where.unitFile, { force: true });
  fs.rmSync(where.configFile, { force: true });
  systemctl(where, ['daemon-reload']);
  fs.rmSync(serviceRuntimeDir(name, env), { recursive: true, force: true });
  out(`colinux-daemon: service '${name}' stopped and removed`);
  return ExitCode.OK;
}

/** State, monitor id, uptime, restarts and the last exit, from systemd's record of the unit. */
function status(name: string, where: Places, env: NodeJS.ProcessEnv, out: (line: string) => void): number {
  const props = ['ActiveState', 'SubState', 'MainPID', 'ExecMainStartTimestampMonotonic', 'NRestarts', 'UnitFileState'];
  const shown = new Map<string, string>();
  for (const line of systemctl(where, ['show', where.unit, ...props.map((p) => `--property=${p}`)]).split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) shown.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const get = (k: string): string => shown.get(k) ?? '';
  const running = get('ActiveState') === 'active';
  out(`service '${name}' (${where.unit}, ${get('UnitFileState') || 'unknown'}): ${get('ActiveState')} (${get('SubState')})`);
  let monitor = '';
  try {
    monitor = fs.readFileSync(servicePidFile(name, env), 'utf8').trim();
  } catch {
    // not started yet, or stopped
  }
  if (running) {
    const startedUs = Number(get('ExecMainStartTimestampMonotonic'));
    // systemd's monotonic timestamps and Node's hrtime are both CLOCK_MONOTONIC.
    const up = startedUs > 0 ? Math.max(0, Number(process.hrtime.bigint() / 1000n) - startedUs) / 1e6 : NaN;
    out(`  monitor: ${monitor || 'starting'}    uptime: ${Number.isFinite(up) ? formatSeconds(up) : 'unknown'}    restarts: ${get('NRestarts') || '0'}`);
  } else {
    out(`  restarts: ${get('NRestarts') || '0'}`);
  }
  const lastExit = describeLastExit(path.join(serviceRuntimeDir(name, env), LAST_EXIT_FILE_NAME));
  if (lastExit) out(`  last exit: ${lastExit}`);
  out(`  configuration: ${where.configFile}    console: colinux-console-nt -n ${name}`);
  return running ? ExitCode.OK : ExitCode.ERROR;
}

/** The line ExecStopPost= wrote: "<result> <exited|killed|dumped> <status or signal name>". */
function describeLastExit(file: string): string | undefined {
  let line: string;
  try {
    line = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined; // it never ended since it was installed
  }
  const [result = '', code = '', status = ''] = line.split(/\s+/);
  const how =
    code === 'exited'
      ? `exited with status ${status}`
      : code === 'killed'
        ? `killed by SIG${status}`
        : code === 'dumped'
          ? `dumped core on SIG${status}`
          : line;
  return `${how} (systemd: ${result})`;
}

function formatSeconds(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${sec}s`].filter(Boolean).join(' ');
}

function systemctl(where: Places, args: string[]): string {
  const full = [...(where.system ? [] : ['--user']), ...args];
  try {
    return execFileSync('systemctl', full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string };
    if (e.code === 'ENOENT') throw new DaemonError('systemctl not found: the service switches need systemd (Debian package systemd)');
    const why = (e.stderr ?? '').trim().split('\n')[0] || e.message;
    throw new DaemonError(`systemctl ${full.join(' ')}: ${why}`);
  }
}

/** A user unit runs at boot and after logout only with lingering (loginctl(1), enable-linger). */
function enableLinger(out: (line: string) => void): void {
  const user = os.userInfo().username;
  try {
    execFileSync('loginctl', ['enable-linger', user], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const why = ((err as { stderr?: Buffer }).stderr?.toString() ?? '').trim().split('\n')[0] || (err as Error).message;
    out(`colinux-daemon: warning: loginctl enable-linger ${user} failed (${why}): the service will only run while ${user} is logged in`);
  }
}
