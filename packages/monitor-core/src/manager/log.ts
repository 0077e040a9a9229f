// The manager's structured log: pino JSON to stderr (pretty only on a TTY is left to pino-pretty
// users) and a fan-out to DEBUG_READER clients, the way coLinux's driver kept a debug log that
// colinux-debug-daemon read through CO_MANAGER_IOCTL_DEBUG_READER.
import pino from 'pino';

export type LogListener = (line: string) => void;

export interface ManagerLog {
  log: pino.Logger;
  /** Each JSON line written from now on; returns the unsubscribe function. */
  subscribe(fn: LogListener): () => void;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** On a terminal, one readable line per record instead of JSON (STYLE: JSON unless a TTY). */
const readableStderr = {
  write(line: string): void {
    try {
      const { level, time, msg, pid: _pid, name: _name, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      const when = new Date(Number(time)).toISOString().slice(11, 23);
      process.stderr.write(`${when} ${LEVELS[Number(level)] ?? level} ${String(msg ?? '')}${extra ? ` ${extra}` : ''}\n`);
    } catch {
      process.stderr.write(line);
    }
  },
};

export function createManagerLog(opts: { level?: string; toStderr?: boolean } = {}): ManagerLog {
  const listeners = new Set<LogListener>();
  const fanOut = {
    write(line: string): void {
      const trimmed = line.endsWith('\n') ? line.slice(0, -1) : line;
      for (const fn of listeners) fn(trimmed);
    },
  };
  const level = opts.level ?? process.env.COLINUX_LOG_LEVEL ?? 'info';
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: fanOut }];
  if (opts.toStderr !== false) streams.push({ level: level as pino.Level, stream: process.stderr.isTTY ? readableStderr : process.stderr });
  const log = pino({ name: 'colinux-monitor-core', level: 'trace', base: { pid: process.pid } }, pino.multistream(streams));
  return {
    log,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
