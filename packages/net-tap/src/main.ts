// colinux-net-daemon -i <id> -u <unit> [-n <ifname>] [--force] (docs/colinux.md#network-helpers,
// Linux host): creates TAP interface <ifname> (default conet-host-<id>-<unit>) with
// IFF_TAP|IFF_NO_PI, attaches CONET0+unit and shuttles frames both ways. Exits 0 when the
// monitor ends or another helper takes the unit over.
import { Command, CommanderError } from 'commander';
import { pino } from 'pino';
import { ManagerError, Module } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { ExitStatus } from '@colinux/client/cli';
import { TapDevice, forEachFrame } from './tap-device.ts';

const NAME = 'conet-tap-daemon';

export interface TapArgs { id: number; unit: number; name: string; force: boolean }

export function parseTapArgs(argv: readonly string[]): TapArgs | { help: string } {
  const cmd = new Command('colinux-net-daemon')
    .description('TAP networking for a coLinux guest network unit')
    .option('-i, --id <id>', 'monitor id (the colinux-daemon pid) to attach to')
    .option('-u, --unit <unit>', 'network unit: attaches CONET0+unit (0..15)')
    .option('-n, --name <ifname>', 'TAP interface name (default conet-host-<id>-<unit>)')
    .option('--force', 'take the unit over from a helper already attached')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption('-h, --help', 'this help');
  try {
    cmd.parse(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') return { help: cmd.helpInformation() };
    throw new Error((e as Error).message.replace(/^error: /, ''));
  }
  const o = cmd.opts<Record<string, string | boolean | undefined>>();
  if (o.id === undefined && o.unit === undefined) return { help: cmd.helpInformation() };
  if (o.id === undefined) throw new Error('coLinux instance not specified');
  if (o.unit === undefined) throw new Error('device index not specified');
  if (!/^\d+$/.test(String(o.unit)) || Number(o.unit) >= 16) throw new Error(`invalid unit index: -u ${String(o.unit)}`);
  if (!/^\d+$/.test(String(o.id))) throw new Error(`invalid instance id: -i ${String(o.id)}`);
  const id = Number(o.id); const unit = Number(o.unit);
  return { id, unit, name: typeof o.name === 'string' ? o.name : `conet-host-${id}-${unit}`, force: o.force === true };
}

export async function runTapDaemon(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: TapArgs;
  try {
    const parsed = parseTapArgs(argv);
    if ('help' in parsed) { process.stdout.write(parsed.help); return 0; }
    args = parsed;
  } catch (e) {
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
    return ExitStatus.USAGE;
  }
  const log = pino({ name: NAME, base: { name: NAME, pid: process.pid, unit: args.unit } }, pino.destination({ fd: 2, sync: true }));
  const module = Module.CONET0 + args.unit;
  log.info({ ifname: args.name }, `creating network ${args.name}`);
  let tap: TapDevice;
  try {
    tap = TapDevice.open(args.name);
  } catch (e) {
    process.stderr.write(`${NAME}: unit ${args.unit}: ${(e as Error).message}\n`);
    return 1;
  }
  log.info({ ifname: tap.name }, `TAP interface ${tap.name} created`);

  let client: ManagerClient | undefined;
  try {
    client = await ManagerClient.connect({ env });
    await client.attach(args.id, [module], { force: args.force });
  } catch (e) {
    await client?.close();
    await tap.close();
    const why = e instanceof ManagerError ? e.message : `cannot reach the manager: ${(e as Error).message}`;
    process.stderr.write(`${NAME}: monitor ${args.id} unit ${args.unit}: ${why}\n`);
    return 1;
  }
  const c = client;
  let toGuest = 0; let fromGuest = 0;
  tap.startReading((batch) => forEachFrame(batch, (f) => { toGuest++; c.send(module, f); }));
  c.on('message', (m) => { if (m.from === Module.LINUX) { fromGuest++; tap.write(m.data); } });
  log.info({ monitor: args.id, module, ifname: tap.name }, 'running');
  const code = await new Promise<number>((resolve) => {
    c.on('end', (reason) => { log.info({ reason, toGuest, fromGuest, droppedWrites: tap.droppedWrites }, 'monitor ended'); resolve(0); });
    process.once('SIGTERM', () => resolve(0));
    process.once('SIGINT', () => resolve(0));
  });
  await tap.close();
  await c.close();
  return code;
}

if (import.meta.main || process.argv[1]?.endsWith('colinux-net-daemon.js')) {
  process.exit(await runTapDaemon(process.argv.slice(2)));
}
