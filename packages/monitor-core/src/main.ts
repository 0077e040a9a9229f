// colinux-monitor-core: serve the manager endpoint, or install/remove/query it like coLinux's
// driver (docs/colinux.md#driver-switches).
import * as nodeModule from 'node:module';
import { Command, Option } from 'commander';
import type { TransportName } from '@colinux/client';
import type { ManagerServer } from './index.ts';
import { usageErrorsOneLine } from '@colinux/client/cli';

const program = usageErrorsOneLine(
  new Command('colinux-monitor-core')
    .description('the coLinux manager: owns every monitor (VM) of this user and serves its endpoint')
    .option('--serve', 'serve the endpoint in the foreground')
    .option('--install-driver', 'start the manager detached unless it already runs')
    .option('--remove-driver', 'stop the manager (refused while monitors run)')
    .option('--status-driver', 'print the manager state, version, monitors and memory')
    .option('--transport <name>', "'node-ipc' (default) or 'net'")
    .addOption(new Option('--monitor <id>', 'run one monitor (started by the manager)').hideHelp())
    .addOption(new Option('--limits <json>', "the manager's connection limits, for a monitor it starts").hideHelp()),
  'colinux-monitor-core',
);

program.parse();
const opts = program.opts<{
  serve?: boolean;
  installDriver?: boolean;
  removeDriver?: boolean;
  statusDriver?: boolean;
  transport?: TransportName;
  monitor?: string;
  limits?: string;
}>();

async function main(): Promise<number> {
  if (opts.monitor !== undefined) return await serveMonitor(opts.monitor);
  // Loaded after the command line is parsed: -h and --help need none of the manager's code.
  const { EndpointBusyError, ManagerServer, installDriver, removeDriver, statusDriver } = await import('./index.ts');
  if (opts.installDriver) {
    console.log(await installDriver());
    return 0;
  }
  if (opts.removeDriver) {
    console.log(await removeDriver());
    return 0;
  }
  if (opts.statusDriver) {
    console.log(await statusDriver());
    return 0;
  }
  if (!opts.serve) {
    program.help();
    return 1;
  }
  let server: ManagerServer;
  try {
    server = await ManagerServer.start({ transport: opts.transport, onShutdown: () => process.exit(0) });
  } catch (err) {
    if (err instanceof EndpointBusyError) {
      console.error(`colinux-monitor-core: ${err.message}`);
      return 1;
    }
    throw err;
  }
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => {
      void server.close().then(() => process.exit(0));
    });
  }
  return -1; // keep serving
}

/** A monitor process (docs/manager.md "Monitor processes"): started by the manager, it ends with
 *  its monitor. SIGTERM (a stopping manager) closes the monitor first. */
async function serveMonitor(arg: string): Promise<number> {
  const id = Number(arg);
  if (!/^[0-9]{1,10}$/.test(arg) || id < 1 || id > 0xffffffff) {
    console.error(`colinux-monitor-core: --monitor ${arg}: not a monitor id`);
    return 1;
  }
  const [{ MonitorServer }, { parseLimits }] = await Promise.all([import('./manager/monitor-server.ts'), import('./manager/session.ts')]);
  const limits = opts.limits === undefined ? {} : parseLimits(opts.limits);
  const server = await MonitorServer.start({ id, transport: opts.transport, limits, onShutdown: () => process.exit(0) });
  // Node writes its compile cache at exit; a monitor lives long, so write what this process
  // compiled now and the next monitor process starts from it (docs/manager.md "Memory").
  nodeModule.flushCompileCache();
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => void server.requestShutdown());
  }
  return -1; // serving until the monitor ends
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    console.error(`colinux-monitor-core: ${err.message}`);
    process.exit(1);
  },
);
