import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';

/**
 * pino logger on stderr: JSON lines when stderr is not a terminal (CI, files, other programs), and
 * one readable line per record on a terminal, written through `write` (the daemon passes its
 * TerminalGate, run/terminal-gate.ts). Level from -v: 0 -> info, 1..2 -> debug, 3+ -> trace;
 * COLINUX_LOG_LEVEL overrides.
 */
export function createLogger(name: string, verbose = 0, env: NodeJS.ProcessEnv = process.env, write: (text: string) => void = (t) => void process.stderr.write(t)): Logger {
  const level = env.COLINUX_LOG_LEVEL ?? (verbose >= 3 ? 'trace' : verbose >= 1 ? 'debug' : 'info');
  if (!process.stderr.isTTY) return pino({ name, level, base: { name, pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  const human = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      write(readableLogLine(text) ?? text);
      done();
    },
  });
  return pino({ name, level, base: { name } }, human);
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
  const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  const tag = (level as number) >= 50 ? 'error: ' : (level as number) >= 40 ? 'warning: ' : '';
  const text = typeof msg === 'string' && typeof name === 'string' && msg.startsWith(`${name}: `) ? msg.slice(name.length + 2) : String(msg ?? '');
  return `${String(name ?? '?')}: ${tag}${text}${extra ? ` (${extra})` : ''}\n`;
}

/** pino's level for `error` (and above: `fatal`). */
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
