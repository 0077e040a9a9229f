// What a monitor process's request handlers (requests.ts, monitor-ops.ts, control.ts) need from
// the server they run in (monitor-server.ts), named here so that they never import the server.
import type { ManagerStatus, MonitorConfig } from '@colinux/protocol';
import type pino from 'pino';
import type { Monitor } from './monitor.ts';
import type { ClientLimits, ClientSession } from './session.ts';

/** A monitor process stops when its owner's CREATE has not come this long after it started
 *  (monitor-server.ts); a manager that found it waiting looks again for as long (registry.ts). */
export const CREATE_WAIT_MS = 15_000;

export interface MonitorHost {
  /** The monitor id this process was started for (the owning daemon's pid). */
  readonly id: number;
  readonly env: NodeJS.ProcessEnv;
  readonly log: pino.Logger;
  readonly limits: ClientLimits;
  /** The monitor, once its owner's CREATE made it; undefined before and after. */
  readonly monitor: Monitor | undefined;
  /** STATUS of this process: its pid, memory and its one monitor. */
  status(): ManagerStatus;
  /** CREATE: opens the disk images and starts the machine with `owner` as its owner; throws one
   *  line when it cannot. */
  create(owner: ClientSession, config: MonitorConfig): Promise<Monitor>;
  /** The monitor ends (its owner closed or left): resolves once its disk images are released. */
  closeMonitor(why: string): Promise<void>;
  subscribeLog(fn: (line: string) => void): () => void;
}
