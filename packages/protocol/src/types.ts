// Shapes shared by the client, the manager and the daemon (the fixed client API).
import type { ManagerState, ModuleId, MonitorState, Termination } from './codes.ts';

/** What CREATE carries; the daemon builds it from the coLinux command line. */
export interface MonitorConfig {
  memoryMiB: number;
  bootLine: string;
  console: { cols: number; rows: number; scrollback: number };
  blockDevices: Array<{ index: number; path: string; readOnly: boolean; aliases: string[] }>;
  netDevices: Array<{ unit: number; mac: string; type: 'slirp' | 'tuntap' | 'pcap-bridge' }>;
  serialPorts: number[];
  sharedDirs: Array<{ unit: number; path: string; readOnly: boolean }>;
  firmwarePath?: string;
}

export interface MonitorInfo {
  id: number;
  state: MonitorState;
  memoryMiB: number;
  ownerPid?: number;
  createdAt: number;
}

export interface ManagerStatus {
  protocolVersion: number;
  state: ManagerState;
  monitorCount: number;
  pid: number;
  startedAt: number;
  rssBytes: number;
  monitors: MonitorInfo[];
}

/** INFO: memory accounting (coLinux's hostmem_usage_limit / hostmem_used), in bytes. */
export interface ManagerInfo {
  hostmemLimit: number;
  hostmemUsed: number;
}

/** One co_message_t record as delivered to a client. */
export interface Message {
  from: ModuleId;
  to: ModuleId;
  data: Uint8Array;
}

/** RUN / GET_STATE answer; `reason` (and `text` for PANIC/BUG) when TERMINATED. */
export interface RunResult {
  state: MonitorState;
  reason?: Termination;
  text?: string;
}

/** GET_CONSOLE answer in full: geometry plus the ANSI repaint of the shadow screen. */
export interface ConsoleScreen {
  cols: number;
  rows: number;
  scrollback: number;
  cursorX: number;
  cursorY: number;
  data: Uint8Array;
}
