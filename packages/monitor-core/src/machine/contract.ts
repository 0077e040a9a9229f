// The seam between the manager (main thread: protocol, routing, shadow console) and one monitor's
// machine (its own worker thread: CPU, RAM, devices, SBI). Both sides import these types; neither
// reaches into the other. Messages go over a MessageChannel; the manager also bumps `wake` so a
// worker sleeping in Atomics.wait (idle guest) notices them at once.

import type { MessagePort } from 'node:worker_threads';
import type { ModuleId, PowerActionName, Termination } from '@colinux/protocol';
import type { BackingFile } from './devices/virtio/block.ts';
import type { Plain } from './devices/mmio-device.ts';

/** How the machine is built. Sent as `workerData` when the worker starts. */
export interface MachineConfig {
  monitorId: number;
  /** Guest RAM in MiB (`mem=`). */
  memoryMiB: number;
  /** The coLinux boot line (every token the daemon did not consume), goes to /chosen/bootargs. */
  bootLine: string;
  /** `cocon=` geometry; the guest console is virtio-console port hvc0. */
  console: { cols: number; rows: number };
  /** cobdN / hdX / sdX, each a virtio-blk device whose serial id is `cobd<index>`. `fd`: the
   *  image opened and locked by the manager, which closes it once this worker has exited
   *  (manager/disk-images.ts); without it the device opens and locks `path` itself. */
  blockDevices: Array<{ index: number; path: string; readOnly: boolean; aliases: string[]; fd?: number; backing?: BackingFile }>;
  /** ethN: a virtio-net device whose frames go to and from module CONET0+unit. */
  netDevices: Array<{ unit: number; mac: string }>;
  /** ttysN: 16550A UART N, bytes to and from module SERIAL0+unit. */
  serialPorts: number[];
  /** cofsN: virtio-9p export of a host directory, mount tag `cofs<unit>`. */
  sharedDirs: Array<{ unit: number; path: string; readOnly: boolean }>;
  /** `firmware=`: an M-mode firmware ELF or binary (e.g. OpenSBI fw_jump) loaded at 0x8000_0000;
   *  the kernel then goes to 0x8020_0000 and the built-in SBI is off. */
  firmwarePath?: string;
  /** Int32Array over this: [0] is bumped and notified by the manager after each post. */
  wake: SharedArrayBuffer;
  /** Output flow control (optional): Int32Array over this, [0] = bytes of `output` posted and
   *  not yet handled. The worker adds each message's size as it posts it, the manager subtracts
   *  it after routing and notifies [0]; beyond OUTPUT_BACKLOG_MAX the worker runs no guest code
   *  until the manager catches up, so a guest flooding its console (`yes`) waits, as on a slow
   *  terminal, instead of queueing messages without bound (coLinux slept the VM likewise when a
   *  client fell > 1024 messages behind). Without it, output is never held back. */
  backlog?: SharedArrayBuffer;
  /** The port the worker receives `ToMachine` on and posts `FromMachine` to. */
  port: MessagePort;
}

/** A suspended machine's state (snapshot.ts captureMachine). */
export interface MachineSnapshot {
  cpu: Uint8Array;
  devices: Plain;
  rom: Uint8Array;
  /** The RAM section (bundle/ram.ts), in one buffer of its own (moved to the manager). */
  ram: Uint8Array;
  ramPages: number;
  /** Timebase ticks at the suspend (memory-map.ts TIMEBASE_HZ), and the host's wall clock then (ms). */
  mtime: number;
  wallMs: number;
}

/** What a machine resumes from (snapshot.ts restoreMachine). */
export interface RestoreInput {
  cpu: Uint8Array;
  devices: Plain;
  rom: Uint8Array;
  /** The RAM section (bundle/ram.ts). */
  ram: Uint8Array;
  /** The timebase and the wall clock (ms) at the suspend: the timebase continues from `mtime`
   *  plus the wall-clock time since `wallMs`, taken as the state is put in place (docs/suspend.md "Clock"). */
  mtime: number;
  wallMs: number;
}

/** Output bytes the manager may have unhandled before the worker pauses the guest (`backlog`). */
export const OUTPUT_BACKLOG_MAX = 4 * 1024 * 1024;

/** Manager → machine. */
export type ToMachine =
  /** One allocatable ELF section: `offset` from the kernel image's load address (0x8020_0000);
   *  `data` absent means zero-fill of `size` bytes. */
  | { type: 'load-section'; offset: number; size: number; data?: Uint8Array }
  | { type: 'load-initrd'; data: Uint8Array }
  /** Begin executing; `entryOffset` = ELF entry − image start. */
  | { type: 'start'; entryOffset: number }
  /** Back to power-on state: RAM cleared, devices reset, configuration kept (REBOOT path). */
  | { type: 'reset' }
  /** Bytes for the guest from a module: CONSOLE keystrokes, CONET0+n frames, SERIAL0+n bytes. */
  | { type: 'message'; module: ModuleId; data: Uint8Array }
  /** A graceful request to the guest (the init on hvc1 turns it into sync+poweroff/reboot). */
  | { type: 'power'; action: PowerActionName }
  /** Stop immediately (hard power off); the worker posts `terminated` and exits. */
  | { type: 'stop'; reason: Termination }
  /** cobd<index> continues on the new qcow2 overlay `fd` at `path` (the manager made, opened and
   *  locked it); answered by `disk-snapshot`. */
  | { type: 'disk-snapshot'; index: number; fd: number; path: string }
  /** Suspend (docs/suspend.md): stop between instructions, flush the disks, answer `suspended`
   *  with the state; the guest then stays stopped until `stop`, or `thaw` (the bundle could not
   *  be written) lets it run on. */
  | { type: 'suspend' }
  | { type: 'thaw' }
  /** Resume: take over a suspended machine's state (this machine was built from the same
   *  configuration and nothing was loaded); answered by `restored`. `name` is the bundle, for errors. */
  | { type: 'restore'; state: RestoreInput; name: string };

/** Machine → manager. */
/** Counters the worker posts every second (`stats`); jit* are the translator's (docs/cpu-core.md,
 *  `jitStats`): calls from the interpreter into translated code, instructions run there, blocks
 *  translated, cache entries of compiled code given up, batches compiled, and the host's compile
 *  time. */
export interface MachineStats {
  instret: number;
  hostMs: number;
  droppedFrames: number;
  jitEntries: number;
  jitInsns: number;
  jitTranslated: number;
  jitDropped: number;
  jitBatches: number;
  /** Writes to guest pages holding translated code (each dropped that page's blocks). */
  jitCodeWrites: number;
  /** Regions translated (each one wasm function for several of the blocks counted above). */
  jitRegions: number;
  /** Block starts the interpreter looked up in the block cache (jitEntries of them were found
   *  compiled), and misses of the decoded-instruction cache. */
  jitLookups: number;
  decodeMisses: number;
  /** Writes to pages holding translated code that dropped nothing (same bytes, or beside the
   *  code); each left translated code for the interpreter if it came from there. */
  codePageDataWrites: number;
  /** Times every translation was dropped because the function table was full. */
  jitFlushes: number;
  /** Host milliseconds spent compiling translated code. */
  jitCompileMs: number;
}

export type FromMachine =
  /** Guest output for a module: CONSOLE bytes (hvc0), PRINTK (kernel log lines via the SBI
   *  console), CONET0+n frames, SERIAL0+n bytes. */
  | { type: 'output'; module: ModuleId; data: Uint8Array }
  /** The guest ended; `reason` is a coLinux termination reason (POWEROFF, REBOOT, HALT, PANIC…). */
  | { type: 'terminated'; reason: Termination; text?: string }
  /** Counters for INFO / --status-driver. */
  | ({ type: 'stats' } & MachineStats)
  | { type: 'error'; message: string }
  /** Answer to `disk-snapshot`: done, or why not. */
  | { type: 'disk-snapshot'; index: number; error?: string }
  /** Answer to `suspend`: the state (its `ram` one transferred buffer), or why not. */
  | { type: 'suspended'; state?: MachineSnapshot; error?: string }
  /** Answer to `restore`: running from the restored state, or why not (one line). */
  | { type: 'restored'; error?: string };
