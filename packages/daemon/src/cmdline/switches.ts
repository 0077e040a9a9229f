import { Command, CommanderError, Option } from 'commander';
import { DaemonError } from '../errors.ts';
import type { Token } from './tokenize.ts';

export interface Switches {
  noConsole: boolean; // -d
  quietKernel: boolean; // -k
  pidFile?: string; // -p
  consoleType: string; // -t
  verbose: number; // -v
  legacyConfig?: string; // -c (obsolete XML file, refused as coLinux does)
  installDriver: boolean;
  removeDriver: boolean;
  statusDriver: boolean;
  shutdownTimeoutS: number;
  /** --force: resume= even when a disk changed since the suspend (docs/suspend.md). */
  force: boolean;
  /** --install-service / --remove-service / --status-service <name> (service/service.ts). */
  service?: { action: 'install' | 'remove' | 'status'; name: string };
}

export type SwitchResult = { kind: 'help'; text: string } | { kind: 'run'; switches: Switches; config: Token[] };

/** Switches that take the next token as their value (docs/colinux.md#switches). */
const VALUE_SWITCHES = new Set(['-p', '-t', '-v', '-c', '--shutdown-timeout', '--install-service', '--remove-service', '--status-service']);
const SERVICE_SWITCHES = ['install', 'remove', 'status'] as const;

function buildProgram(): Command {
  const program = new Command('colinux-daemon')
    .description('Cooperative Linux daemon: boots a RISC-V Linux guest from a coLinux-style configuration')
    .usage('[switches] [@file ...] kernel=<vmlinux> [key=value ...] [kernel boot parameters ...]')
    .option('-d', 'do not launch a console')
    .option('-k', 'do not print the guest kernel messages')
    .option('-p <file>', 'write the monitor id to <file> (removed on exit)')
    .option('-t <type>', 'console flavour: runs colinux-console-<type>', 'nt')
    .addOption(new Option('-v <level>', 'verbosity: 1 boot details, 2 configuration checks, 3 errors').default('0'))
    .addOption(new Option('-c <path>', 'obsolete XML configuration file').hideHelp())
    .option('--install-driver', 'start the manager (monitor-core) now')
    .option('--remove-driver', 'stop the manager when no monitor runs')
    .option('--status-driver', 'print the manager status and its monitors')
    .option('--shutdown-timeout <seconds>', 'on SIGINT/SIGTERM, power off hard after this many seconds', '30')
    .option('--force', 'with resume=<bundle>: resume even if a disk changed since the suspend')
    .option('--install-service <name>', 'install this configuration as systemd unit colinux-<name>.service and enable it')
    .option('--remove-service <name>', 'stop, disable and remove the service <name>')
    .option('--status-service <name>', 'print the state of the service <name>')
    .helpOption('-h, --help', 'print this help')
    .addHelpText('after', CONFIG_HELP)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .allowExcessArguments(false);
  return program;
}

const CONFIG_HELP = `
Configuration (key=value tokens, on the command line or in @files; later ones override earlier ones):
  kernel=<vmlinux>            RISC-V (RV64) ELF kernel; its presence makes the arguments a configuration
  initrd=<file>               initial ramdisk
  firmware=<file>             M-mode firmware (e.g. OpenSBI fw_jump.bin) instead of the built-in SBI
  mem=<MiB>                   guest RAM
  cobd<N>=<image>             block device N (0..31), guest /dev/vdX
  hd<X>=<image>|:cobd<N>      alias (also sd<X>)
  eth<N>=slirp[,<mac>[,<redirs>]] | tuntap[,<name>[,<mac>]] | pcap-bridge[,<name>[,<mac>[,promisc|nopromisc]]]
  ttys<N>=<host device>[,<mode>]   serial port N (0..31)
  cofs<N>=<host dir>[,ro]     shared directory N (0..31), mount -t 9p cofs<N>; ,ro: read-only
  exec<N>=<program>[,<args>]  program started after the helpers, killed at the end (N 0..7)
  cocon=<cols>x<rows>[x<lines>]  console geometry
  resume=<bundle>             resume a suspended VM (colinux-ctl suspend) with its configuration;
                              key=value tokens given here override the bundle's
  anything else               appended to the kernel boot line (root=, init=, memmap=, ...)
`;

/** Splits the expanded tokens into switches (handed to commander) and configuration tokens. */
export function parseSwitches(tokens: readonly Token[]): SwitchResult {
  const switchArgs: string[] = [];
  const config: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const text = tokens[i]!.text;
    if (!text.startsWith('-') || text === '-') {
      config.push(tokens[i]!);
      continue;
    }
    const ntOnly = /^--(run-service)/.exec(text);
    if (ntOnly) {
      throw new DaemonError(
        `colinux-daemon: --${ntOnly[1]} is not available on this host (a Windows service switch); run colinux-daemon from a service manager such as systemd instead`,
      );
    }
    switchArgs.push(text);
    const next = tokens[i + 1];
    if (VALUE_SWITCHES.has(text) && next !== undefined) {
      // coLinux's rule (docs/colinux.md#switches): a switch value never starts with '-'.
      if (next.text.startsWith('-'))
        throw new DaemonError(`colinux-daemon: error, no argument passed to command line switch '${text}' (next is '${next.text}')`);
      switchArgs.push(next.text);
      i++;
    }
  }
  const program = buildProgram();
  try {
    program.parse(switchArgs, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
        return { kind: 'help', text: program.helpInformation() + CONFIG_HELP };
      }
      throw new DaemonError(`colinux-daemon: ${err.message.replace(/^error: /, '')}`);
    }
    throw err;
  }
  const o = program.opts<Record<string, string | boolean | undefined>>();
  const verbose = Number(o.v);
  if (!/^\d+$/.test(String(o.v)) || verbose > 9) {
    throw new DaemonError(`colinux-daemon: -v ${JSON.stringify(o.v)}: expected a level 0..9`);
  }
  const consoleType = String(o.t);
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(consoleType)) {
    throw new DaemonError(`colinux-daemon: -t ${JSON.stringify(consoleType)}: console type must be 1..31 of a-z 0-9 -`);
  }
  const timeout = Number(o.shutdownTimeout);
  if (!Number.isFinite(timeout) || timeout < 0 || timeout > 86400) {
    throw new DaemonError(`colinux-daemon: --shutdown-timeout ${JSON.stringify(o.shutdownTimeout)}: expected seconds 0..86400`);
  }
  const services = SERVICE_SWITCHES.filter((a) => typeof o[`${a}Service`] === 'string');
  if (services.length > 1) throw new DaemonError(`colinux-daemon: --${services[0]}-service and --${services[1]}-service cannot be combined`);
  const service = services[0] && { action: services[0], name: String(o[`${services[0]}Service`]) };
  return {
    kind: 'run',
    config,
    switches: {
      noConsole: o.d === true,
      quietKernel: o.k === true,
      pidFile: typeof o.p === 'string' ? o.p : undefined,
      consoleType,
      verbose,
      legacyConfig: typeof o.c === 'string' ? o.c : undefined,
      installDriver: o.installDriver === true,
      removeDriver: o.removeDriver === true,
      statusDriver: o.statusDriver === true,
      shutdownTimeoutS: timeout,
      force: o.force === true,
      ...(service ? { service } : {}),
    },
  };
}
