// runHelper: the life of every helper program (docs/colinux.md "Shared conventions"), written
// once: the command line `-i <id> -u <unit> [--force]` with coLinux's error texts plus the
// helper's own options; the logger; connect, open the host side, ATTACH base+unit, with one error
// line for each failure; the guest's messages; the end of the attachment and signals; the exit
// status (docs/README.md "Command lines": 0 when the monitor ends, the unit is taken over or a
// signal stops it, 1 when the work fails, 2 for a bad command line).
import { Command, CommanderError } from 'commander';
import { ManagerError, Module, isModuleId, type ModuleId } from '@colinux/protocol';
import { ManagerClient, type EndCause } from './client.ts';
import { endStatus, ExitStatus } from './cli.ts';
import { createLogger, type Logger } from './log.ts';

export class UsageError extends Error {}

/** What a missing or bad -i/-u is called. The defaults are coLinux's (daemon-base/main.cpp); the
 *  slirp daemon (slirp/co_main.c) and the serial helper keep their own wording. */
export interface UnitWords {
  noInstance: string;
  noUnit: string;
  badInstance(value: string): string;
  badUnit(value: string): string;
}

const COLINUX_WORDS: UnitWords = {
  noInstance: 'coLinux instance not specified',
  noUnit: 'device index not specified',
  badInstance: (v) => `invalid instance id: -i ${v}`,
  badUnit: (v) => `invalid unit index: -u ${v}`,
};

/** A monitor id is a colinux-daemon's PID: 1 ..  2^32 - 1. */
const MAX_MONITOR_ID = 0xffff_ffff;
/** How long a finished helper may take to flush its output before it exits regardless (host
 *  sockets and timers must not keep it alive). */
const EXIT_GRACE_MS = 500;

export interface HelperArgs<O> {
  id: number;
  unit: number;
  force: boolean;
  options: O;
}

/** What a helper is given while it runs. */
export interface HelperContext<O> {
  readonly args: HelperArgs<O>;
  readonly log: Logger;
  readonly client: ManagerClient;
  /** The module attached: base + unit. */
  readonly module: ModuleId;
  /** Ends the helper with this exit status; `why` goes into the last log record. */
  stop(code: number, why: string): void;
}

/** A helper's command line. */
export interface HelperCommandLine<O> {
  /** The program's name (help, --version). */
  name: string;
  description: string;
  /** The module attached is base + unit, unit < count; -u may be left out when defaultUnit is set. */
  modules: { base: ModuleId; count: number; unitHelp: string; defaultUnit?: number };
  words?: Partial<UnitWords>;
  /** The helper's own options (commander), and their values parsed (throw UsageError). */
  options?: { add(cmd: Command): Command; parse(values: Record<string, unknown>): O };
}

export interface HelperSpec<O, R> extends HelperCommandLine<O> {
  /** What its error lines and log records start with (coLinux's conet-* names); default name. */
  prefix?: string;
  /** The log level from the options (-v); default info. */
  logLevel?(options: O): string;
  /** The helper may put the terminal in raw mode: readable log lines end in CR LF. */
  rawTerminal?: boolean;
  /** Opens the host side, connected but before ATTACH, so a failure leaves the unit to whoever
   *  holds it. A thrown error's message becomes the error line. */
  open(ctx: HelperContext<O>): Promise<R> | R;
  /** After ATTACH: start moving data, bind ports, log "running". */
  started?(r: R, ctx: HelperContext<O>): Promise<void> | void;
  /** One message from the guest to the attached module. */
  onGuest(r: R, data: Uint8Array): void;
  /** Fields of the last log record (counters). */
  stats?(r: R): Record<string, unknown>;
  close(r: R): Promise<void> | void;
}

/** The command line: the shared -i/-u/--force and the helper's options, or the help text. */
export function parseHelperArgs<O>(spec: HelperCommandLine<O>, argv: readonly string[]): HelperArgs<O> | { help: string } {
  const words = { ...COLINUX_WORDS, ...spec.words };
  const last = spec.modules.count - 1;
  let cmd = new Command(spec.name)
    .description(spec.description)
    .option('-i, --id <id>', 'monitor id (the PID colinux-daemon printed) to attach to')
    .option(
      '-u, --unit <unit>',
      `${spec.modules.unitHelp} (0..${last}${spec.modules.defaultUnit === undefined ? '' : `, default ${spec.modules.defaultUnit}`})`,
    )
    .option('--force', 'take the unit over from a helper already attached');
  if (spec.options) cmd = spec.options.add(cmd);
  cmd
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption('-h, --help', 'this help');
  try {
    cmd.parse(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && (e.code === 'commander.helpDisplayed' || e.code === 'commander.help')) return { help: cmd.helpInformation() };
    throw new UsageError((e as Error).message.replace(/^error: /, ''));
  }
  const values = cmd.opts<Record<string, unknown>>();
  const id = values.id;
  const unit = values.unit ?? spec.modules.defaultUnit;
  if (id === undefined) throw new UsageError(words.noInstance);
  if (unit === undefined) throw new UsageError(words.noUnit);
  if (typeof id !== 'string' || !/^\d{1,10}$/.test(id) || Number(id) === 0 || Number(id) > MAX_MONITOR_ID) throw new UsageError(words.badInstance(String(id)));
  if (!/^\d{1,3}$/.test(String(unit)) || Number(unit) > last) throw new UsageError(words.badUnit(String(unit)));
  const options = spec.options ? spec.options.parse(values) : (undefined as O);
  return { id: Number(id), unit: Number(unit), force: values.force === true, options };
}

/** Runs a helper; resolves to its exit status. */
export async function runHelper<O, R>(
  spec: HelperSpec<O, R>,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const prefix = spec.prefix ?? spec.name;
  const fail = (line: string, status: number): number => {
    process.stderr.write(`${prefix}: ${line}\n`);
    return status;
  };
  let args: HelperArgs<O>;
  try {
    const parsed = parseHelperArgs(spec, argv);
    if ('help' in parsed) {
      process.stdout.write(parsed.help);
      return ExitStatus.OK;
    }
    args = parsed;
  } catch (e) {
    return fail((e as Error).message, ExitStatus.USAGE);
  }
  const where = `monitor ${args.id} unit ${args.unit}`;
  const log = createLogger({ name: prefix, bindings: { unit: args.unit }, level: spec.logLevel?.(args.options), env, rawTerminal: spec.rawTerminal });
  const module = spec.modules.base + args.unit;
  if (!isModuleId(module)) return fail(`${where}: module ${module} does not exist`, ExitStatus.USAGE);

  let client: ManagerClient;
  try {
    client = await ManagerClient.connect({ env });
  } catch (e) {
    return fail(`${where}: cannot reach the manager: ${(e as Error).message}`, ExitStatus.FAILURE);
  }
  /** How the helper ended; reason: the end of the attachment, when that ended it. */
  interface End {
    code: number;
    why: string;
    reason?: EndCause;
  }
  let stop!: (end: End) => void;
  const done = new Promise<End>((resolve) => {
    let stopped = false;
    stop = (end) => {
      if (stopped) return;
      stopped = true;
      resolve(end);
    };
  });
  const ctx: HelperContext<O> = { args, log, client, module, stop: (code, why) => stop({ code, why }) };

  let r: R;
  try {
    r = await spec.open(ctx);
  } catch (e) {
    await client.close();
    return fail((e as Error).message, ExitStatus.FAILURE);
  }
  client.on('message', (m) => {
    if (m.from === Module.LINUX && m.to === module) spec.onGuest(r, m.data);
  });
  // Listening before ATTACH: a helper taken over right away gets its END in the same read as the
  // ATTACH answer, dispatched before `attach` resumes.
  client.on('end', (cause: EndCause, detail?: string) => stop(endOfAttachment(cause, detail)));
  try {
    await client.attach(args.id, [module], { force: args.force });
  } catch (e) {
    await spec.close(r);
    await client.close();
    return fail(`${where}: ${e instanceof ManagerError ? e.message : `cannot reach the manager: ${(e as Error).message}`}`, ExitStatus.FAILURE);
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals): void => stop({ code: ExitStatus.OK, why: signal });
  for (const s of signals) process.once(s, onSignal);

  try {
    await spec.started?.(r, ctx);
  } catch (e) {
    fail((e as Error).message, ExitStatus.FAILURE);
    stop({ code: ExitStatus.FAILURE, why: (e as Error).message });
  }
  const { code, why, reason } = await done;
  for (const s of signals) process.off(s, onSignal);
  log.info({ why, reason, ...spec.stats?.(r) }, 'exiting');
  await spec.close(r);
  await client.close();
  return code;
}

/** The exit status and the words for the end of an attachment. */
function endOfAttachment(reason: EndCause, detail: string | undefined): { code: number; why: string; reason: EndCause } {
  const why =
    reason === 'taken-over'
      ? `unit taken over by another helper${detail ? ` (${detail})` : ''}`
      : reason === 'monitor-closed'
        ? 'monitor closed'
        : `lost the manager: ${detail ?? 'disconnected'}`;
  return { code: endStatus(reason), why, reason };
}

/** A helper as the process's program: runs it and exits with its status, after EXIT_GRACE_MS at
 *  the latest. */
export async function helperMain<O, R>(spec: HelperSpec<O, R>, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const code = await runHelper(spec, argv);
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
