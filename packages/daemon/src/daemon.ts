import { resolve } from 'node:path';
import { KERNEL_OFFSET_IN_RAM, ManagerError, Rc, type MonitorConfig } from '@colinux/protocol';
import { ManagerClient, startManager } from '@colinux/client';
import { managerBinPath } from '@colinux/monitor-core/bin-path';
import { expandAtFiles } from './cmdline/expand.ts';
import { parseSwitches } from './cmdline/switches.ts';
import { parseConfig, type DaemonConfig } from './config/build.ts';
import { checkHostResources, type HostChecked } from './config/host.ts';
import { driverCommand, isAbsent } from './driver.ts';
import { DaemonError, ExitCode } from './errors.ts';
import { loadKernel, type KernelPlan, type RamFit } from './kernel/image.ts';
import { checkInitrd, type InitrdFile } from './kernel/initrd.ts';
import { resolveHelperBin } from './launch/bins.ts';
import { helperSpecs, type HelperSpec } from './launch/commands.ts';
import type { Logger } from '@colinux/client/log';
import { TerminalGate } from './run/terminal-gate.ts';
import { checkDisks, keepMacs, resumeTokens, savedDaemon } from './run/suspend-config.ts';

export interface DaemonIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: DaemonIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** Runs colinux-daemon with `argv` (without node and script); resolves with the exit status. */
export async function runDaemon(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: DaemonIo = stdio): Promise<number> {
  try {
    return await runChecked(argv, env, io);
  } catch (err) {
    if (err instanceof DaemonError) {
      io.err(`${/^colinux/.test(err.message) ? '' : 'colinux-daemon: '}${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ManagerError) {
      io.err(`colinux-daemon: ${err.message}\n`);
      return err.rc === Rc.VERSION_MISMATCHED ? ExitCode.VERSION_MISMATCHED : ExitCode.ERROR;
    }
    io.err(`colinux-daemon: ${(err as Error)?.message ?? String(err)}\n`);
    return ExitCode.ERROR;
  }
}

async function runChecked(argv: readonly string[], env: NodeJS.ProcessEnv, io: DaemonIo): Promise<number> {
  const parsed = parseSwitches(expandAtFiles(argv));
  if (parsed.kind === 'help') {
    io.out(parsed.text);
    return ExitCode.OK;
  }
  const { switches } = parsed;
  const line = (l: string) => io.out(`${l}\n`);
  if (switches.statusDriver) return driverCommand('status', env, line);
  if (switches.installDriver) return driverCommand('install', env, line);
  if (switches.removeDriver) return driverCommand('remove', env, line);
  if (switches.service) return (await import('./service/service.ts')).serviceCommand(switches.service, switches, parsed.config, env, line);
  if (switches.legacyConfig !== undefined) {
    throw new DaemonError(
      `-c ${switches.legacyConfig}: XML configuration files are obsolete. Please pass command line options, or use '@' with a file of them`,
    );
  }
  // resume=<bundle> (docs/suspend.md): the bundle's configuration, overridden by the command line's.
  const resuming = resumeTokens(parsed.config);
  const tokens = resuming ? resuming.tokens : parsed.config;
  const config = parseConfig(tokens);
  if (config && resuming) keepMacs(config, resuming);
  if (!config) {
    io.out(helpText());
    return ExitCode.OK;
  }
  // Loaded only to boot: help, bad input and the driver switches need neither pino nor execa.
  const [{ createLogger }, { DaemonSession }] = await Promise.all([import('@colinux/client/log'), import('./run/session.ts')]);
  const gate = new TerminalGate();
  // -v: debug, -vvv: trace; readable lines on a terminal pass the gate (run/terminal-gate.ts).
  const level = switches.verbose >= 3 ? 'trace' : switches.verbose >= 1 ? 'debug' : 'info';
  const log = createLogger({ name: 'colinux-daemon', level, env, write: (t) => gate.out(t) });

  // Every host file is checked before anything starts, so bad input leaves nothing running.
  const host = checkHostResources(config);
  const kernelPath = resolve(config.kernel);
  // Sizes are checked against mem= before any large file is read (the initrd is streamed later).
  const initrd = config.initrd === undefined ? undefined : checkInitrd(resolve(config.initrd), config.initrd);
  const readKernel = () => loadKernel(kernelPath, config.kernel, ramFit(config, initrd));
  // A resumed guest needs no kernel: it is read only if the guest reboots.
  let kernel: KernelPlan | undefined = resuming ? undefined : readKernel();
  if (resuming) await checkDisks(resuming, host.blockDevices, switches.force);
  checkInitrdHalf(config, initrd);
  const monitorConfig = toMonitorConfig(config, host);
  log.debug({ monitorConfig, sections: kernel?.pieces.length, entryOffset: kernel?.entryOffset }, 'configuration');

  const id = process.pid;
  const helpers = helperSpecs(config, id, switches.noConsole ? undefined : switches.consoleType);
  checkHelperPrograms(helpers, env);

  const owner = await connectOrStart(env, log);
  try {
    await owner.create(id, monitorConfig);
  } catch (err) {
    await owner.close();
    if (err instanceof ManagerError)
      throw new DaemonError(`colinux: error creating monitor: ${err.message}`, err.rc === Rc.VERSION_MISMATCHED ? ExitCode.VERSION_MISMATCHED : ExitCode.ERROR);
    throw err;
  }
  const session = new DaemonSession({
    id,
    env,
    log,
    owner,
    kernel,
    reloadKernel: readKernel,
    initrd,
    helpers,
    saved: savedDaemon(tokens, helpers),
    ...(resuming ? { resumeFrom: resuming.file } : {}),
    pidFile: switches.pidFile,
    quietKernel: switches.quietKernel,
    shutdownTimeoutMs: switches.shutdownTimeoutS * 1000,
    out: io.out,
    gate,
  });
  // eslint-disable-next-line no-useless-assignment -- drops the reference so the image can be collected
  kernel = undefined; // the session drops it once loaded; this frame lives as long as the guest
  let running = false;
  let aborted: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (running) session.requestShutdown(signal);
    else aborted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    if (resuming) await session.resume(resuming.file);
    else await session.loadImage();
    if (aborted) throw new DaemonError(`colinux: ${aborted} while loading the kernel, stopping`);
    running = true;
    return await session.run();
  } finally {
    await session.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

/** A helper program that is not installed is bad input too: found out before anything starts. */
function checkHelperPrograms(helpers: readonly HelperSpec[], env: NodeJS.ProcessEnv): void {
  for (const h of helpers) {
    if (h.kind === 'exec' || resolveHelperBin(h.program, env)) continue;
    if (h.kind === 'console')
      throw new DaemonError(`-t ${h.program.slice('colinux-console-'.length)}: no console program ${h.program} (use -t nt, or -d for none)`);
    throw new DaemonError(`${h.label}: helper program ${h.program} is not installed`);
  }
}

function helpText(): string {
  const r = parseSwitches([{ text: '-h', origin: 'help', source: 0 }]);
  return r.kind === 'help' ? r.text : '';
}

async function connectOrStart(env: NodeJS.ProcessEnv, log: Logger): Promise<ManagerClient> {
  let client: ManagerClient;
  try {
    client = await ManagerClient.connect({ env });
  } catch (err) {
    if (!isAbsent(err))
      throw new DaemonError(`can't access the manager (CoLinuxDriver), please check status driver! ${(err as Error).message}`, ExitCode.ERROR_ACCESSING_DRIVER);
    log.info('manager not running; starting it');
    try {
      await startManager(managerBinPath(env), env);
      client = await ManagerClient.connect({ env });
    } catch (e) {
      throw new DaemonError(`can't start the manager (CoLinuxDriver): ${(e as Error).message}`, ExitCode.ERROR_ACCESSING_DRIVER);
    }
  }
  try {
    await client.status();
  } catch (err) {
    await client.close();
    if (err instanceof ManagerError && err.rc === Rc.VERSION_MISMATCHED)
      throw new DaemonError(`error driver version, please reinstall driver! ${err.message}`, ExitCode.VERSION_MISMATCHED);
    throw err;
  }
  return client;
}

/** The kernel (KERNEL_OFFSET_IN_RAM above the start of RAM) and the initrd (at the top of RAM) must both fit in mem=. */
function ramFit(config: DaemonConfig, initrd: InitrdFile | undefined): RamFit {
  const ram = config.memoryMiB * MIB;
  const initrdBytes = initrd?.size ?? 0;
  const what = initrd ? 'the kernel image and the initrd need' : 'the kernel image needs';
  const room = ram - KERNEL_OFFSET_IN_RAM - initrdBytes;
  return {
    room,
    tooSmall: (span) =>
      new DaemonError(
        span === undefined
          ? `mem=${config.memoryMiB}: too small, kernel=${config.kernel} decompresses to more than the ${Math.floor(Math.max(0, room) / MIB)} MiB left for it`
          : `mem=${config.memoryMiB}: too small, ${what} at least ${Math.ceil((KERNEL_OFFSET_IN_RAM + span + initrdBytes) / MIB)} MiB`,
      ),
  };
}

const MIB = 1024 * 1024;

/** The manager refuses an initrd larger than half of RAM (monitor-core manager/monitor-ops.ts): say so first. */
function checkInitrdHalf(config: DaemonConfig, initrd: InitrdFile | undefined): void {
  if (initrd && initrd.size > (config.memoryMiB * MIB) / 2) {
    throw new DaemonError(`mem=${config.memoryMiB}: too small, initrd=${initrd.shown} (${Math.ceil(initrd.size / MIB)} MiB) may take at most half of RAM`);
  }
}

/**
 * coLinux told the guest about hdX/sdX aliases through a device request (CO_BLOCK_GET_ALIAS); the
 * bundled guest's init reads them from `cobd_alias=name:index,...` on the boot line (guest/README.md).
 */
export function bootLineFor(config: DaemonConfig): string {
  const aliases = config.blockDevices.flatMap((d) => d.aliases.map((a) => `${a}:${d.index}`));
  if (aliases.length === 0 || /(^| )cobd_alias=/.test(config.bootLine)) return config.bootLine;
  return [config.bootLine, `cobd_alias=${aliases.join(',')}`].filter(Boolean).join(' ');
}

function toMonitorConfig(config: DaemonConfig, host: HostChecked): MonitorConfig {
  return {
    memoryMiB: config.memoryMiB,
    bootLine: bootLineFor(config),
    console: config.console,
    blockDevices: host.blockDevices,
    netDevices: config.net.map((n) => ({ unit: n.unit, mac: n.mac, type: n.type })),
    serialPorts: config.serial.map((s) => s.unit),
    sharedDirs: host.sharedDirs,
    ...(config.firmware ? { firmwarePath: config.firmware } : {}),
  };
}
