// Numeric ids and codes of the coLinux 0.7.9 manager protocol (docs/colinux.md#manager-protocol).
// The values are coLinux's own so that logs, docs and the original source read the same way.
// Each table is a frozen object of names and a union type of its values under the same name
// (`Rc.OK` is a value, `Rc` the type of any co_rc_t), so a code is never a plain number.
// coLinux's enums this project does not use (the console channel's operations, keyboard modes)
// are described in docs/colinux.md and not repeated here.

/** The values of a frozen code table. */
type ValueOf<T> = T[keyof T];
/** 0 | 1 | … | N-1. */
type Below<N extends number, Acc extends number[] = []> = Acc['length'] extends N ? Acc[number] : Below<N, [...Acc, Acc['length']]>;

/** Version of OUR wire protocol (frames, bodies); carried by STATUS in both directions. */
export const PROTOCOL_VERSION = 1;
/** coLinux's CO_LINUX_PERIPHERY_API_VERSION, reported by --status-driver for orientation. */
export const PERIPHERY_API_VERSION = 22;

/** co_module_t (docs/colinux.md#module-ids): implicit C enum numbering of include/linux/cooperative.h. */
export const Module = Object.freeze({
  LINUX: 0,
  MONITOR: 1,
  DAEMON: 2,
  IDLE: 3,
  KERNEL_SWITCH: 4,
  USER_SWITCH: 5,
  CONSOLE: 6,
  PRINTK: 7,
  CONET0: 8,
  CONET_END: 23,
  COBD0: 24,
  COBD_END: 55,
  COFS0: 56,
  COFS_END: 87,
  SERIAL0: 88,
  SERIAL_END: 119,
  COSCSI0: 120,
  COSCSI_END: 151,
  COVIDEO0: 152,
  COVIDEO_END: 153,
  COAUDIO0: 154,
  COAUDIO_END: 155,
  MODULES_MAX: 156,
} as const);
/** A co_module_t: 0 .. MODULES_MAX-1. */
export type ModuleId = Below<typeof Module.MODULES_MAX>;

export function isModuleId(n: number): n is ModuleId {
  return Number.isInteger(n) && n >= 0 && n < Module.MODULES_MAX;
}

function moduleIn(first: ModuleId, last: ModuleId, unit: number, what: string): ModuleId {
  const id = first + unit;
  if (!Number.isInteger(unit) || unit < 0 || id > last || !isModuleId(id)) throw new RangeError(`${what} unit ${unit} outside 0..${last - first}`);
  return id;
}
/** CONET0+unit: network unit `unit` (0..15). */
export function netModule(unit: number): ModuleId {
  return moduleIn(Module.CONET0, Module.CONET_END, unit, 'network');
}
/** SERIAL0+unit: serial port `unit` (0..31). */
export function serialModule(unit: number): ModuleId {
  return moduleIn(Module.SERIAL0, Module.SERIAL_END, unit, 'serial');
}

/** Readable module names, as coLinux's module_repr.c (without its off-by-one range bug). */
export function moduleName(id: number): string {
  if (id === Module.LINUX) return 'linux';
  if (id === Module.MONITOR) return 'monitor';
  if (id === Module.DAEMON) return 'daemon';
  if (id === Module.IDLE) return 'idle';
  if (id === Module.KERNEL_SWITCH) return 'kernel';
  if (id === Module.USER_SWITCH) return 'user';
  if (id === Module.CONSOLE) return 'console';
  if (id === Module.PRINTK) return 'printk';
  if (id >= Module.CONET0 && id <= Module.CONET_END) return `net${id - Module.CONET0}`;
  if (id >= Module.COBD0 && id <= Module.COBD_END) return `cobd${id - Module.COBD0}`;
  if (id >= Module.COFS0 && id <= Module.COFS_END) return `cofs${id - Module.COFS0}`;
  if (id >= Module.SERIAL0 && id <= Module.SERIAL_END) return `serial${id - Module.SERIAL0}`;
  if (id >= Module.COSCSI0 && id <= Module.COSCSI_END) return `scsi${id - Module.COSCSI0}`;
  return `unknown${id}`;
}

/** Modules a user-space client may ATTACH: the ones whose traffic goes to a helper process. */
export function isAttachableModule(id: number): id is ModuleId {
  return id === Module.CONSOLE || id === Module.PRINTK || (id >= Module.CONET0 && id <= Module.CONET_END) || (id >= Module.SERIAL0 && id <= Module.SERIAL_END);
}

/** co_rc_t codes (docs/colinux.md#codes-and-states): CO_RC_<NAME> = -n. */
export const Rc = Object.freeze({
  OK: 0,
  ERROR: -1,
  PAE_ENABLED: -2,
  VERSION_MISMATCHED: -3,
  OUT_OF_MEMORY: -4,
  OUT_OF_PAGES: -5,
  NOT_FOUND: -6,
  CANT_OPEN_VMLINUX_FILE: -7,
  CANT_STAT_VMLINUX_FILE: -8,
  ERROR_READING_VMLINUX_FILE: -9,
  ERROR_INSTALLING_DRIVER: -10,
  ERROR_REMOVING_DRIVER: -11,
  ERROR_STARTING_DRIVER: -12,
  ERROR_STOPPING_DRIVER: -13,
  ERROR_ACCESSING_DRIVER: -14,
  TRANSFER_OFF_BOUNDS: -15,
  MONITOR_NOT_LOADED: -16,
  BROKEN_PIPE: -17,
  TIMEOUT: -18,
  ACCESS_DENIED: -19,
  COMPILER_MISMATCHED: -20,
  INVALID_PARAMETER: -21,
  HOSTMEM_USE_LIMIT_REACHED: -22,
  INSTANCE_TERMINATED: -23,
} as const);
export type Rc = ValueOf<typeof Rc>;

const rcNames = new Map<number, string>(Object.entries(Rc).map(([name, value]) => [value, name]));
export function isRc(n: number): n is Rc {
  return rcNames.has(n);
}
/** `CO_RC_ERROR_<NAME>`-style text for a code; unknown codes are shown with their number. */
export function rcName(rc: number): string {
  return rcNames.get(rc) ?? `RC_${rc}`;
}

/** co_manager_state_t. */
export const ManagerState = Object.freeze({
  NOT_INITIALIZED: 0,
  INITIALIZED_DEBUG: 1,
  INITIALIZED_ARCH: 2,
  INITIALIZED_OSDEP: 3,
  INITIALIZED: 4,
} as const);
export type ManagerState = ValueOf<typeof ManagerState>;

/** co_monitor_state_t. Note RUNNING=2 < STARTED=3, as in coLinux. */
export const MonitorState = Object.freeze({
  EMPTY: 0,
  INITIALIZED: 1,
  RUNNING: 2,
  STARTED: 3,
  TERMINATED: 4,
} as const);
export type MonitorState = ValueOf<typeof MonitorState>;

const monitorStateNames = new Map<number, string>(Object.entries(MonitorState).map(([n, v]) => [v, n]));
export function monitorStateName(state: number): string {
  return monitorStateNames.get(state) ?? `STATE_${state}`;
}

/** co_termination_reason_t. */
export const Termination = Object.freeze({
  END: 0,
  REBOOT: 1,
  POWEROFF: 2,
  PANIC: 3,
  HALT: 4,
  FORCED_OFF: 5,
  FORCED_END: 6,
  INVALID_OPERATION: 7,
  STACK_OVERFLOW: 8,
  BUG: 9,
  VMXE: 10,
} as const);
export type Termination = ValueOf<typeof Termination>;

const terminationNames = new Map<number, string>(Object.entries(Termination).map(([n, v]) => [v, n]));
export function terminationName(reason: number): string {
  return terminationNames.get(reason) ?? `REASON_${reason}`;
}

/** co_manager_ioctl_t. SHUTDOWN is our addition (stops the manager for --remove-driver). */
export const ManagerIoctl = Object.freeze({
  BASE: 0x10,
  CREATE: 0x11,
  MONITOR: 0x12,
  STATUS: 0x13,
  DEBUG: 0x14,
  DEBUG_READER: 0x15,
  DEBUG_LEVELS: 0x16,
  INFO: 0x17,
  ATTACH: 0x18,
  MONITOR_LIST: 0x19,
  SHUTDOWN: 0x1f,
} as const);
export type ManagerIoctl = ValueOf<typeof ManagerIoctl>;

/** co_monitor_ioctl_op_t (operations under MANAGER_IOCTL_MONITOR). */
export const MonitorOp = Object.freeze({
  CLOSE: 0,
  LOAD_SECTION: 1,
  START: 2,
  RUN: 3,
  STATUS: 4,
  LOAD_INITRD: 5,
  GET_CONSOLE: 6,
  GET_STATE: 7,
  RESET: 8,
  VIDEO_ATTACH: 9,
  VIDEO_DETACH: 10,
  CONET_BIND_ADAPTER: 11,
  CONET_UNBIND_ADAPTER: 12,
} as const);
export type MonitorOp = ValueOf<typeof MonitorOp>;

/** Control requests (ours, control.ts): they start at 0x20, after coLinux's ioctls (which end at
 *  0x19) and our SHUTDOWN (0x1f), so no coLinux number is reused. */
export const ControlIoctl = Object.freeze({
  /** u32 id -> MonitorStatus. */
  MONITOR_STATUS: 0x20,
  /** u32 id, u32 PowerAction: the same graceful request the daemon's power message makes. */
  POWER: 0x21,
  /** u32 id, u32 key: the guest's magic SysRq <key> (hvc's ^O hack, drivers/tty/hvc/hvc_console.c). */
  SYSRQ: 0x22,
  /** u32 id, u32 unit, file (empty: the default name) -> file: cobd<unit> continues on a new
   *  qcow2 overlay over its image so far (docs/qcow2.md). */
  DISK_SNAPSHOT: 0x23,
  /** u32 id, u32 unit, u32 ForwardOp, spec -> text: run-time port forwards of network unit
   *  `unit`, answered by the helper holding CONET0+unit (a CALL with u32 op, spec). */
  FORWARD: 0x24,
  /** u32 id, file -> text (JSON: file, bytes, ms): suspend the monitor into the bundle `file`
   *  (docs/suspend.md). The manager first asks the owner (a CALL of this code with the file),
   *  whose answer is its configuration (JSON); a refusal there refuses the request. The guest
   *  then ends (TERMINATED, text "suspended to <file>") and the owner closes the monitor. */
  SUSPEND: 0x25,
  /** file -> text (JSON: file, ms): the owner's own monitor, just created (INITIALIZED), takes
   *  over the bundle's machine state and runs on (STARTED, like START). */
  RESUME: 0x26,
} as const);
export type ControlIoctl = ValueOf<typeof ControlIoctl>;

/** What a FORWARD request does with the run-time port forwards of a network unit. */
export const ForwardOp = Object.freeze({ LIST: 0, ADD: 1, REMOVE: 2 } as const);
export type ForwardOp = ValueOf<typeof ForwardOp>;

/** co_linux_message_power_type_t (docs/colinux.md#power). REBOOT (3) is our addition: a graceful reboot. */
export const PowerAction = Object.freeze({
  CTRL_ALT_DEL: 0,
  SHUTDOWN: 1,
  POWEROFF: 2,
  REBOOT: 3,
} as const);
export type PowerAction = ValueOf<typeof PowerAction>;
/** Each power action by the name colinux-ctl takes and the machine's guest init receives (docs/colinux.md#power). */
export const PowerActionByName = Object.freeze({
  'ctrl-alt-del': PowerAction.CTRL_ALT_DEL,
  shutdown: PowerAction.SHUTDOWN,
  poweroff: PowerAction.POWEROFF,
  reboot: PowerAction.REBOOT,
} as const);
export type PowerActionName = keyof typeof PowerActionByName;
const powerActionNames = new Map<number, PowerActionName>(Object.entries(PowerActionByName).map(([n, v]) => [v, n as PowerActionName]));
/** The name of a power action; undefined for a number that is none. */
export function powerActionName(action: number): PowerActionName | undefined {
  return powerActionNames.get(action);
}

/** co_device_t: the `device` field of co_linux_message_t. */
export const Device = Object.freeze({
  BLOCK: 0,
  CONSOLE: 1,
  KEYBOARD: 2,
  NETWORK: 3,
  TIMER: 4,
  POWER: 5,
  SERIAL: 6,
  FILESYSTEM: 7,
  MOUSE: 8,
  SCSI: 9,
  VIDEO: 10,
  AUDIO: 11,
  PCI: 12,
} as const);
export type Device = ValueOf<typeof Device>;

/** co_priority_t: informational only, never acted on (as in coLinux). */
export const Priority = Object.freeze({ DISCARDABLE: 0, IMPORTANT: 1 } as const);
export type Priority = ValueOf<typeof Priority>;
/** co_message_type_t. */
export const MessageType = Object.freeze({ STRING: 0, OTHER: 1 } as const);
export type MessageType = ValueOf<typeof MessageType>;

/** Why the manager ended a client's attachment (END frame code). */
export const EndReason = Object.freeze({ MONITOR_CLOSED: 1, TAKEN_OVER: 2 } as const);
export type EndReason = ValueOf<typeof EndReason>;
