// The one logger factory of every program (daemon, manager, helpers): pino records on stderr, as
// JSON lines when stderr is not a terminal (programs, files, the daemon that forwards its
// helpers' lines) and as one readable line per record on a terminal. COLINUX_LOG_LEVEL overrides
// the program's level.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The program's name: `name` of every record, and the start of every readable line. */
  name: string;
  /** Fields on every record besides name and pid (a helper's unit, a worker's monitor). */
  bindings?: Record<string, unknown>;
  /** The level unless COLINUX_LOG_LEVEL says otherwise; default info. */
  level?: string;
  env?: NodeJS.ProcessEnv;
  /** Where readable lines go on a terminal; default stderr (the daemon passes its terminal gate). */
  write?: (text: string) => void;
  /** Readable lines end in CR LF: the program may have put the terminal in raw mode. */
  rawTerminal?: boolean;
  /** Every record at every level, as a JSON line, besides stderr (the manager's DEBUG_READER). */
  tee?: (line: string) => void;
  /** false: nothing on stderr, only the tee. */
  stderr?: boolean;
}

export function createLogger(o: LoggerOptions): Logger {
  const env = o.env ?? process.env;
  const level = env.COLINUX_LOG_LEVEL ?? o.level ?? 'info';
  const base = { name: o.name, pid: process.pid, ...o.bindings };
  const toStderr = o.stderr === false ? undefined : process.stderr.isTTY ? readable(o) : pino.destination({ fd: 2, sync: true });
  if (!o.tee) return pino({ name: o.name, level, base }, toStderr ?? { write: () => undefined });
  const tee = o.tee;
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: { write: (line: string) => tee(line.endsWith('\n') ? line.slice(0, -1) : line) } }];
  if (toStderr) streams.push({ level: level as pino.Level, stream: toStderr });
  return pino({ name: o.name, level: 'trace', base }, pino.multistream(streams));
}

/** A stream that turns each JSON record into readableLogLine's text. */
function readable(o: LoggerOptions): Writable {
  const write = o.write ?? ((text: string) => void process.stderr.write(text));
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      const line = readableLogLine(text);
      write(line === undefined ? text : o.rawTerminal ? `${line.slice(0, -1)}\r\n` : line);
      done();
    },
  });
}

/** `name: [warning: ]msg (key=value ...)` for one pino JSON line; undefined when it is not one. */
export function readableLogLine(line: string): string | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null || typeof record.level !== 'number') return undefined;
  const { msg, level, time: _t, name, pid: _p, hostname: _h, ...rest } = record;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const tag = (level as number) >= LEVEL_ERROR ? 'error: ' : (level as number) >= LEVEL_WARN ? 'warning: ' : '';
  const text = typeof msg === 'string' && typeof name === 'string' && msg.startsWith(`${name}: `) ? msg.slice(name.length + 2) : String(msg ?? '');
  return `${String(name ?? '?')}: ${tag}${text}${extra ? ` (${extra})` : ''}\n`;
}

/** pino's levels for `warn` and `error` (and above: `fatal`). */
const LEVEL_WARN = 40;
const LEVEL_ERROR = 50;

/** The message of a pino JSON line at error level or above; undefined for anything else. */
export function errorLogMessage(line: string): string | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { level, msg } = record as { level?: unknown; msg?: unknown };
  return typeof level === 'number' && level >= LEVEL_ERROR && typeof msg === 'string' ? msg : undefined;
}
