// colinux-ctl: control running monitors from scripts (docs/ctl.md). Every command answers with a
// human table, or with --json one JSON document on stdout; exit 0 done, 1 refused (the co_rc_t
// name on stderr and in the JSON), 2 bad command line.
import { Command } from 'commander';
import type { PowerActionName } from '@colinux/protocol';
import type { TransportName } from '@colinux/client';
import { ExitStatus, usageErrorsOneLine } from '@colinux/client/cli';
import { Refused, commands, type Output } from './commands.ts';
import { resume, suspend } from './suspend.ts';

const NAME = 'colinux-ctl';
/** cobd0..cobd31, as coLinux. */
const MAX_COBD = 31;
/** eth0..eth15 (CONET0..CONET_END). */
const MAX_NET = 15;

const program = usageErrorsOneLine(new Command(NAME), NAME)
  .description('control running coLinux monitors: list, status, console log, power requests, SysRq, disk snapshots, port forwards')
  .option('--json', 'answer with one JSON document on stdout (field names: docs/ctl.md)')
  .option('--transport <name>', "'node-ipc' (default) or 'net'")
  .showHelpAfterError(false);

function usage(line: string): never {
  process.stderr.write(`${NAME}: ${line}\n`);
  process.exit(ExitStatus.USAGE);
}

function monitorId(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) === 0 || Number(text) > 0xffffffff)
    usage(`monitor id '${text}' must be a process id (a number, as colinux-ctl list shows)`);
  return Number(text);
}

function output(): Output {
  const o = program.opts<{ json?: boolean; transport?: TransportName }>();
  return { json: Boolean(o.json), transport: o.transport, write: (s) => process.stdout.write(s) };
}

/** Runs a command; a refusal is one stderr line (and the JSON error document) with status 1. */
async function run(what: string, fn: (out: Output) => Promise<void>): Promise<void> {
  const out = output();
  try {
    await fn(out);
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    if (out.json) out.write(`${JSON.stringify({ error: { rc: err.rcName, code: err.rc, message: err.detail } })}\n`);
    process.stderr.write(`${NAME}: ${what}: ${err.detail} (${err.rcName})\n`);
    process.exitCode = ExitStatus.FAILURE;
  }
}

program
  .command('list')
  .description('the monitors the manager runs, most recent first')
  .action(() => run('list', (out) => commands.list(out)));

program
  .command('status')
  .argument('<id>', 'monitor id')
  .description('state, owner, memory, modules, disks and network of one monitor')
  .action((id: string) => run(`status ${id}`, (out) => commands.status(out, monitorId(id))));

program
  .command('console-log')
  .argument('<id>', 'monitor id')
  .option('-f, --follow', 'keep printing new output until the monitor ends')
  .description("the guest console from the first byte of boot (the manager's console log)")
  .action((id: string, o: { follow?: boolean }) => run(`console-log ${id}`, (out) => commands.consoleLog(out, monitorId(id), Boolean(o.follow))));

program
  .command('sysrq')
  .argument('<id>', 'monitor id')
  .argument('<key>', 'one SysRq key, e.g. h (help), s (sync), b (reboot)')
  .description('magic SysRq <key> in the guest kernel')
  .action((id: string, key: string) => {
    if (!/^[\x21-\x7e]$/.test(key)) usage(`sysrq key '${key}' must be one printable character (Documentation/admin-guide/sysrq.rst)`);
    return run(`sysrq ${id}`, (out) => commands.sysrq(out, monitorId(id), key));
  });

const POWER_HELP: Record<PowerActionName, string> = {
  'ctrl-alt-del': 'send Ctrl-Alt-Del to the guest (its init decides: the bundled guest reboots)',
  shutdown: 'ask the guest to shut down (sync, unmount, power off)',
  reboot: 'ask the guest to reboot',
  poweroff: 'ask the guest to power off; the machine is stopped if it has not after 3 s',
};
for (const [action, what] of Object.entries(POWER_HELP) as Array<[PowerActionName, string]>) {
  program
    .command(action)
    .argument('<id>', 'monitor id')
    .description(what)
    .action((id: string) => run(`${action} ${id}`, (out) => commands.power(out, monitorId(id), action)));
}

const disk = program.command('disk').description('disk operations: snapshot, reset');
disk
  .command('snapshot')
  .argument('<id>', 'monitor id')
  .argument('<unit>', 'the disk: N or cobdN')
  .argument('[file]', 'the new overlay (.qcow2); default: beside the current image, named after it and the time')
  .description('cobdN continues on a new qcow2 overlay; the image so far becomes its read-only backing file')
  .action((id: string, unit: string, file: string | undefined) => {
    const m = /^(?:cobd)?(\d+)$/.exec(unit);
    if (!m || Number(m[1]) > MAX_COBD) usage(`disk unit '${unit}' must be 0..${MAX_COBD} or cobd0..cobd${MAX_COBD}`);
    return run(`disk snapshot ${id}`, (out) => commands.diskSnapshot(out, monitorId(id), Number(m![1]), file));
  });

const forward = program.command('forward').description('run-time port forwards of a slirp network unit: list, add, remove');
const unitOption = '--unit <n>';
function netUnit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > MAX_NET) usage(`--unit '${text}' must be 0..${MAX_NET}`);
  return Number(text);
}
/** The helper's redirection text; tcp6/udp6 go to the guest's IPv6 address (slirp.md). */
function forwardSpec(proto: string, ports: string, v6: boolean): string {
  if (!/^(tcp|udp)$/.test(proto)) usage(`protocol '${proto}' must be tcp or udp`);
  if (!/^(?:(?:\[[0-9a-fA-F:.]+\]|\d+\.\d+\.\d+\.\d+):)?\d+:\d+$/.test(ports))
    usage(`'${ports}' must be [bind:]hostport:guestport (bind: an IPv4 address or [IPv6])`);
  return `${proto}${v6 ? '6' : ''}:${ports}`;
}
forward
  .command('list')
  .argument('<id>', 'monitor id')
  .option(unitOption, 'network unit (ethN)', '0')
  .description("the forwards the unit's slirp helper listens on")
  .action((id: string, o: { unit: string }) => run(`forward list ${id}`, (out) => commands.forwardList(out, monitorId(id), netUnit(o.unit))));
for (const op of ['add', 'remove'] as const) {
  forward
    .command(op)
    .argument('<id>', 'monitor id')
    .argument('<proto>', 'tcp or udp')
    .argument('<ports>', '[bind:]hostport:guestport (bind defaults to 127.0.0.1)')
    .option(unitOption, 'network unit (ethN)', '0')
    .option('--v6', "to the guest's IPv6 address (its SLAAC address in fd00::/64)")
    .description(op === 'add' ? 'listen on a host port and forward to the guest port' : 'stop listening on that host port')
    .action((id: string, proto: string, ports: string, o: { unit: string; v6?: boolean }) =>
      run(`forward ${op} ${id}`, (out) => commands.forwardChange(out, monitorId(id), netUnit(o.unit), op, forwardSpec(proto, ports, o.v6 === true))),
    );
}

program
  .command('suspend')
  .argument('<id>', 'monitor id')
  .argument('<file>', 'the bundle to write (docs/suspend.md)')
  .description('stop the guest, flush its disks and write its whole state to one file; the VM then ends')
  .action((id: string, file: string) => run(`suspend ${id}`, (out) => suspend(out, monitorId(id), file)));

program
  .command('resume')
  .argument('<file>', 'a bundle colinux-ctl suspend wrote')
  .argument('[overrides...]', 'key=value tokens overriding the saved configuration (e.g. ttys0=<path>)')
  .option('--force', 'resume even if a disk changed since the suspend')
  .description('start a colinux-daemon in the background that resumes the bundle; prints the new monitor id')
  .action((file: string, overrides: string[], o: { force?: boolean }) => {
    for (const t of overrides) if (!/^[A-Za-z_][\w.-]*=/.test(t)) usage(`override '${t}' must be key=value`);
    return run(`resume ${file}`, (out) => resume(out, file, overrides, o.force === true));
  });

disk
  .command('reset')
  .argument('<overlay>', 'a qcow2 overlay of a powered-off VM')
  .description('discard everything written to the overlay since it was made (it keeps its backing file); refused while a VM uses it')
  .action((file: string) => run(`disk reset ${file}`, (out) => commands.diskReset(out, file)));

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`${NAME}: unexpected error: ${err.stack ?? err.message}\n`);
  process.exit(ExitStatus.FAILURE);
});
