// Numeric ids and codes of the coLinux 0.7.9 manager protocol (docs/colinux.md#manager-protocol).
// The values are coLinux's own so that logs, docs and the original source read the same way.

/** Version of OUR wire protocol (frames, bodies); carried by STATUS in both directions. */
export const PROTOCOL_VERSION = 1;
/** coLinux's CO_LINUX_PERIPHERY_API_VERSION, reported by --status-driver for orientation. */
export const PERIPHERY_API_VERSION = 22;
/** coLinux's CO_LINUX_API_VERSION. */
export const LINUX_API_VERSION = 14;

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
export type ModuleId = number;

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
export function isAttachableModule(id: number): boolean {
  return (
    id === Module.CONSOLE ||
    id === Module.PRINTK ||
    (id >= Module.CONET0 && id <= Module.CONET_END) ||
    (id >= Module.SERIAL0 && id <= Module.SERIAL_END)
  );
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

const rcNames = new Map<number, string>(Object.entries(Rc).map(([name, value]) => [value, name]));
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

/** co_monitor_state_t. Note RUNNING=2 < STARTED=3, as in coLinux. */
export const MonitorState = Object.freeze({
  EMPTY: 0,
  INITIALIZED: 1,
  RUNNING: 2,
  STARTED: 3,
  TERMINATED: 4,
} as const);

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

/** co_linux_message_power_type_t (docs/colinux.md#power). REBOOT (3) is our addition: a graceful reboot. */
export const PowerAction = Object.freeze({
  CTRL_ALT_DEL: 0,
  SHUTDOWN: 1,
  POWEROFF: 2,
  REBOOT: 3,
} as const);

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

/** co_priority_t: informational only, never acted on (as in coLinux). */
export const Priority = Object.freeze({ DISCARDABLE: 0, IMPORTANT: 1 } as const);
/** co_message_type_t. */
export const MessageType = Object.freeze({ STRING: 0, OTHER: 1 } as const);

/** Why the manager ended a client's attachment (END frame code). */
export const EndReason = Object.freeze({ MONITOR_CLOSED: 1, TAKEN_OVER: 2 } as const);

/** co_operation_console_t (docs/colinux.md#console-channel). Our guest console is a terminal on hvc0, so these
 *  ops are not on the wire; they are kept for logs and for anyone porting a coLinux console. */
export const ConsoleOp = Object.freeze({
  STARTUP: 0,
  INIT: 1,
  DEINIT: 2,
  CLEAR: 3,
  PUTC: 4,
  PUTCS: 5,
  CURSOR_DRAW: 6,
  CURSOR_ERASE: 7,
  CURSOR_MOVE: 8,
  SCROLL_UP: 9,
  SCROLL_DOWN: 10,
  BMOVE: 11,
  SWITCH: 12,
  BLANK: 13,
  FONT_OP: 14,
  SET_PALETTE: 15,
  SCROLLDELTA: 16,
  SET_ORIGIN: 17,
  SAVE_SCREEN: 18,
  INVERT_REGION: 19,
  CONFIG: 20,
  INIT_SCROLLBUFFER: 21,
} as const);

/** co_scan_code_t modes (docs/colinux.md#console-channel). */
export const KeyboardMode = Object.freeze({ SCANCODE_RAW: 0, SCANCODE_ASCII: 1 } as const);
