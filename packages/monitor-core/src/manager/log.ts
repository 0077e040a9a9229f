// The manager's structured log: the project's logger (@colinux/client/log) on stderr, and every
// record also fanned out to DEBUG_READER clients, the way coLinux's driver kept a debug log that
// colinux-debug-daemon read through CO_MANAGER_IOCTL_DEBUG_READER.
import type pino from 'pino';
import { createLogger } from '@colinux/client/log';

export type LogListener = (line: string) => void;

export interface ManagerLog {
  log: pino.Logger;
  /** Each JSON line written from now on; returns the unsubscribe function. */
  subscribe(fn: LogListener): () => void;
}

export function createManagerLog(opts: { level?: string; toStderr?: boolean; name?: string } = {}): ManagerLog {
  const listeners = new Set<LogListener>();
  const log = createLogger({
    name: opts.name ?? 'colinux-monitor-core',
    level: opts.level,
    stderr: opts.toStderr !== false,
    tee: (line) => {
      for (const fn of listeners) fn(line);
    },
  });
  return {
    log,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
