// One monitor (a VM): its machine worker, state, owner and module slots, shadow console and
// console log. The worker is started as machine/contract.ts prescribes; everything the guest
// says comes back as FromMachine messages and is routed here (docs/colinux.md#routing).
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type pino from 'pino';
import {
  EndReason,
  MAX_RECORD_DATA,
  Module,
  MonitorState,
  Termination,
  moduleName,
  monitorStateName,
  powerActionName,
  terminationName,
  type ModuleId,
  type MonitorConfig,
  type MonitorInfo,
  type MonitorStatus,
  type RunResult,
  type TranslatorStats,
} from '@colinux/protocol';
import type { FromMachine, MachineConfig, ToMachine } from '../machine/contract.ts';
import { imageFormat } from '../machine/devices/virtio/disk-image.ts';
import { MACHINE_WORKER_YOUNG_GENERATION_MB } from '../machine/monitor-process.ts';
import { ConsoleLog } from './console-log.ts';
import { ForwardTable } from './forward-table.ts';
import type { DiskImages } from './disk-images.ts';
import { MonitorRules, isRefusal, type AttachRequest, type Refusal } from './rules.ts';
import { ShadowConsole } from './shadow-console.ts';
import type { ClientSession } from './session.ts';

/** Byte streams (console, printk, serial) are cut into records of at most the record limit; a
 *  network frame is one record and one larger than any Ethernet frame is dropped (3.10). */
function splitOutput(module: ModuleId, data: Uint8Array): Uint8Array[] {
  const isFrame = module >= Module.CONET0 && module <= Module.CONET_END;
  if (isFrame) return data.length <= MAX_RECORD_DATA ? [data] : [];
  const parts: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += MAX_RECORD_DATA) parts.push(data.subarray(at, at + MAX_RECORD_DATA));
  return parts;
}

/** How long a guest has to act on a POWEROFF request before the machine is stopped. */
export const POWEROFF_GRACE_MS = 3000;

/** How long a disk snapshot may take the worker (a flush of the old image, a header read). */
const SNAPSHOT_TIMEOUT_MS = 10_000;

/** How long a worker gets to stop by itself after 'stop' before it is terminated. */
const STOP_GRACE_MS = 1000;

export interface MonitorStats {
  instret: number;
  hostMs: number;
  droppedFrames: number;
  droppedToClients: number;
  jit: TranslatorStats;
}

export class Monitor {
  readonly id: number;
  readonly config: MonitorConfig;
  readonly createdAt = Date.now();
  readonly shadow: ShadowConsole;
  readonly consoleLog: ConsoleLog;
  /** Owner, attachments and state: every change to them happens in the model (rules.ts). */
  readonly rules: MonitorRules<ClientSession>;
  readonly stats: MonitorStats = {
    instret: 0,
    hostMs: 0,
    droppedFrames: 0,
    droppedToClients: 0,
    jit: { entries: 0, insns: 0, translated: 0, dropped: 0, batches: 0, codeWrites: 0, regions: 0, lookups: 0, decodeMisses: 0, flushes: 0, compileMs: 0 },
  };
  /** Initrd being received in chunks: allocated once its total size passed the bounds check. */
  initrd: { data: Uint8Array; received: number } | undefined;
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private wake: Int32Array | undefined;
  private stateWaiters: Array<() => void> = [];
  private readonly log: pino.Logger;
  private closed = false;
  private lastMachineError: string | undefined;
  private powerOffTimer: NodeJS.Timeout | undefined;
  private workerExit: Promise<void> = Promise.resolve();
  private readonly disks: DiskImages;
  /** Run-time port forwards by network unit, in the runtime dir (control.ts). */
  readonly forwards: ForwardTable;
  /** Disk snapshots waiting for the worker's answer, by unit (undefined: done). */
  private readonly snapshotting = new Map<number, (error: string | undefined) => void>();
  /** The worker's answer to `suspend` or `restore` being waited for (suspend.ts). */
  private stateAnswer: ((msg: FromMachine) => void) | undefined;
  /** Set by close(): resolves once the last worker has exited and the disk images are closed. */
  private released: Promise<void> | undefined;

  /** `disks`: the images, already opened and locked (CREATE); the monitor closes them. */
  constructor(id: number, config: MonitorConfig, runtimeDir: string, log: pino.Logger, disks: DiskImages, owner: ClientSession, watcherLimit: number) {
    this.id = id;
    this.config = config;
    this.rules = new MonitorRules(id, owner, watcherLimit);
    owner.monitorId = id;
    this.disks = disks;
    this.log = log.child({ monitor: id });
    this.shadow = new ShadowConsole(config.console.cols, config.console.rows, config.console.scrollback);
    this.consoleLog = new ConsoleLog(runtimeDir, id);
    this.forwards = new ForwardTable(runtimeDir, id, this.log);
    this.startMachine();
  }

  get state(): MonitorState {
    return this.rules.state;
  }

  get owner(): ClientSession | undefined {
    return this.rules.owner;
  }

  info(): MonitorInfo {
    const m: MonitorInfo = { id: this.id, state: this.state, memoryMiB: this.config.memoryMiB, createdAt: this.createdAt };
    if (this.owner) m.ownerPid = this.id;
    return m;
  }

  /** The control request MONITOR_STATUS (manager/control.ts). */
  status(): MonitorStatus {
    const s: MonitorStatus = {
      id: this.id,
      state: this.state,
      text: this.rules.text,
      memoryMiB: this.config.memoryMiB,
      createdAt: this.createdAt,
      bootLine: this.config.bootLine,
      instructions: this.stats.instret,
      hostMs: this.stats.hostMs,
      droppedFrames: this.stats.droppedFrames,
      droppedToClients: this.stats.droppedToClients,
      jit: { ...this.stats.jit },
      modules: this.rules.modules(),
      disks: this.disks.devices.map((d) => ({ unit: d.index, path: d.path, readOnly: d.readOnly, format: imageFormat(d.path) })),
      nets: this.config.netDevices.map((n) => ({ unit: n.unit, mac: n.mac, type: n.type })),
    };
    if (this.state === MonitorState.TERMINATED) s.reason = this.rules.reason;
    if (this.owner) s.ownerPid = this.id;
    return s;
  }

  runResult(): RunResult {
    return this.rules.runResult();
  }

  /** Resolves on the next state change or after `ms`. */
  waitForStateChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        // a RUN long-poll times out every few seconds for as long as the guest runs: unlist it
        this.stateWaiters = this.stateWaiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stateWaiters.push(done);
    });
  }

  /** `transfer`: buffers handed to the worker instead of copied (structured clone copies twice,
   *  into a serialization buffer and out of it, and the freed copies stay in the allocator). */
  post(msg: ToMachine, transfer: ArrayBuffer[] = []): void {
    if (!this.port || !this.wake) return;
    this.port.postMessage(msg, transfer);
    // The worker may sleep in Atomics.wait while the guest idles (WFI): wake it (contract.ts).
    Atomics.add(this.wake, 0, 1);
    Atomics.notify(this.wake, 0);
  }

  /** `disk snapshot` (qcow2.md): cobd<unit> continues on a new overlay; resolves with its path. */
  async snapshotDisk(unit: number, file: string | undefined): Promise<string> {
    if (this.state !== MonitorState.RUNNING && this.state !== MonitorState.STARTED)
      throw new Error(`monitor ${this.id} is ${monitorStateName(this.state)}, not running`);
    if (this.snapshotting.has(unit)) throw new Error(`a snapshot of cobd${unit} is already being made`);
    const overlay = this.disks.prepareSnapshot(unit, file);
    const answered = new Promise<string | undefined>((resolve) => this.snapshotting.set(unit, resolve));
    const timer = setTimeout(() => this.snapshotting.get(unit)?.('the machine did not answer'), SNAPSHOT_TIMEOUT_MS);
    this.post({ type: 'disk-snapshot', index: unit, fd: overlay.fd, path: overlay.path });
    const error = await answered;
    clearTimeout(timer);
    this.snapshotting.delete(unit);
    if (error !== undefined) {
      // After a timeout the worker may still take the overlay; it is then the manager's to close
      // with the rest (kept in the chain), never closed under a running worker.
      if (error === 'the machine did not answer') this.disks.commitSnapshot(unit, overlay.fd, overlay.path);
      else this.disks.abortSnapshot(overlay.fd, overlay.path);
      throw new Error(`cobd${unit}: ${error}`);
    }
    this.disks.commitSnapshot(unit, overlay.fd, overlay.path);
    this.log.info({ unit, overlay: overlay.path }, 'disk snapshot');
    return overlay.path;
  }

  /** Posts `suspend` or `restore` and resolves with the worker's answer (suspend.ts). */
  askMachine(msg: ToMachine, transfer: ArrayBuffer[] = []): Promise<FromMachine> {
    if (this.stateAnswer) return Promise.reject(new Error(`monitor ${this.id} is already being suspended or resumed`));
    return new Promise((resolve) => {
      this.stateAnswer = (answer) => {
        this.stateAnswer = undefined;
        resolve(answer);
      };
      this.post(msg, transfer);
    });
  }

  /** The disk images as the worker has them (suspend.ts names them in the bundle). */
  get images(): DiskImages {
    return this.disks;
  }

  /** Suspended: the guest ends here; the owner closes the monitor (docs/suspend.md). */
  suspended(file: string): void {
    this.terminated(Termination.POWEROFF, `suspended to ${file}`);
  }

  power(action: number): boolean {
    const name = powerActionName(action);
    if (!name) return false;
    this.post({ type: 'power', action: name });
    if (name === 'poweroff') this.armHardPowerOff();
    return true;
  }

  /** coLinux's POWER_OFF was immediate; ours asks the guest first (docs/protocol.md)
   *  and pulls the plug if it has not powered off after POWEROFF_GRACE_MS. */
  private armHardPowerOff(): void {
    if (this.powerOffTimer || this.state === MonitorState.TERMINATED) return;
    this.powerOffTimer = setTimeout(() => {
      this.powerOffTimer = undefined;
      if (this.closed || this.state === MonitorState.TERMINATED) return;
      this.log.warn({ graceMs: POWEROFF_GRACE_MS }, 'guest ignored the power-off request: hard power off');
      this.terminated(Termination.POWEROFF, `hard power off: the guest did not power off within ${POWEROFF_GRACE_MS} ms`);
      this.stopMachine();
    }, POWEROFF_GRACE_MS);
    this.powerOffTimer.unref();
  }

  /** RESET (docs/colinux.md#monitor-operations): back to INITIALIZED; attachments and the shadow console are kept. */
  reset(): void {
    this.initrd = undefined;
    if (this.worker && this.state === MonitorState.TERMINATED) {
      this.post({ type: 'reset' });
    } else {
      // A running or failed machine: replace the worker so the reset is certain.
      this.stopMachine();
      this.startMachine();
    }
    this.rules.reset();
    this.wakeWaiters();
  }

  // ---- routing (docs/colinux.md#routing) ---------------------------------------------
  /** Guest output to `module`: shadow console first (never dropped), then holder and watchers. */
  route(module: ModuleId, data: Uint8Array): void {
    if (module === Module.CONSOLE) {
      this.shadow.write(data);
      this.consoleLog.write(data);
    }
    const recipients = this.rules.recipients(module);
    if (recipients.length === 0) return; // nobody attached: dropped, as in coLinux (3.6.1)
    const parts = splitOutput(module, data);
    if (parts.length === 0) {
      this.stats.droppedToClients++;
      return;
    }
    for (const r of recipients) if (!r.deliver(module, parts)) this.stats.droppedToClients += parts.length;
  }

  /** ATTACH (rules.ts): a displaced holder is told it was taken over. */
  attach(session: ClientSession, req: AttachRequest): Refusal | undefined {
    const done = this.rules.attach(session, req);
    if (isRefusal(done)) return done;
    session.monitorId = this.id;
    for (const { module, from } of done.takenOver) {
      from.end(EndReason.TAKEN_OVER, `module ${moduleName(module)} of monitor ${this.id} was taken over by another client`);
      this.log.info({ module: moduleName(module), from: from.id, to: session.id }, 'module taken over');
    }
    return undefined;
  }

  /** A non-owner connection leaves (CLOSE op or disconnect): coLinux 3.6.4. */
  detach(session: ClientSession): void {
    this.rules.detach(session);
    session.monitorId = undefined;
  }

  /** The owner is gone: end-of-monitor to every attached client, machine stopped (3.6.6). */
  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info({ why }, 'monitor closed');
    const owner = this.rules.owner;
    if (owner) owner.monitorId = undefined;
    for (const s of this.rules.end()) {
      s.end(EndReason.MONITOR_CLOSED, `monitor ${this.id} closed: ${why}`);
      s.monitorId = undefined;
    }
    clearTimeout(this.powerOffTimer);
    this.stopMachine();
    this.released = this.workerExit.then(() => this.disks.close());
    this.consoleLog.close();
    this.forwards.discard();
    this.shadow.dispose();
    this.wakeWaiters();
  }

  /** Resolves once the machine worker has exited and, after close(), the disk images (and their
   *  locks) are released. */
  machineExited(): Promise<void> {
    return this.released ?? this.workerExit;
  }

  // ---- the machine worker ----------------------------------------------------------------
  private machineConfig(port: MessagePort, wake: SharedArrayBuffer, backlog: SharedArrayBuffer): MachineConfig {
    const c = this.config;
    const mc: MachineConfig = {
      monitorId: this.id,
      memoryMiB: c.memoryMiB,
      bootLine: c.bootLine,
      console: { cols: c.console.cols, rows: c.console.rows },
      blockDevices: this.disks.devices,
      netDevices: c.netDevices.map((n) => ({ unit: n.unit, mac: n.mac })),
      serialPorts: c.serialPorts,
      sharedDirs: c.sharedDirs,
      wake,
      backlog,
      port,
    };
    if (c.firmwarePath !== undefined) mc.firmwarePath = c.firmwarePath;
    return mc;
  }

  private startMachine(): void {
    const channel = new MessageChannel();
    const wakeBuffer = new SharedArrayBuffer(4);
    const backlogBuffer = new SharedArrayBuffer(4);
    const backlog = new Int32Array(backlogBuffer);
    const workerPort = channel.port2;
    let worker: Worker;
    try {
      worker = new Worker(new URL('../machine/worker.ts', import.meta.url), {
        workerData: { ...this.machineConfig(workerPort, wakeBuffer, backlogBuffer) },
        transferList: [workerPort],
        resourceLimits: { maxYoungGenerationSizeMb: MACHINE_WORKER_YOUNG_GENERATION_MB },
      });
    } catch (err) {
      channel.port1.close();
      this.machineFailed(undefined, `machine could not start: ${(err as Error).message}`);
      return;
    }
    this.worker = worker;
    this.workerExit = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.port = channel.port1;
    this.wake = new Int32Array(wakeBuffer);
    channel.port1.on('message', (msg: FromMachine) => {
      this.fromMachine(msg);
      if (msg.type === 'output') {
        // Handled: the worker may run the guest again (contract.ts `backlog`).
        Atomics.sub(backlog, 0, msg.data.length);
        Atomics.notify(backlog, 0);
      }
    });
    worker.on('error', (err) => {
      if (this.worker === worker) this.machineFailed(worker, `machine failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      // A worker may exit after posting 'terminated' (contract.ts 'stop'); otherwise it failed.
      if (this.state === MonitorState.TERMINATED) this.dropWorker();
      else
        this.machineFailed(worker, `machine exited (code ${code}) without terminating the guest${this.lastMachineError ? `: ${this.lastMachineError}` : ''}`);
    });
  }

  private stopMachine(): void {
    const worker = this.worker;
    if (!worker) return;
    this.post({ type: 'stop', reason: Termination.FORCED_OFF });
    this.dropWorker();
    const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
    timer.unref();
    worker.once('exit', () => clearTimeout(timer));
  }

  private dropWorker(): void {
    this.worker = undefined;
    this.port?.close();
    this.port = undefined;
    this.wake = undefined;
  }

  /** The machine cannot go on: the guest counts as terminated (FORCED_END, text = why). */
  private machineFailed(worker: Worker | undefined, text: string): void {
    this.log.error({ err: text }, 'machine failed');
    if (worker) {
      this.dropWorker();
      void worker.terminate();
    }
    if (this.closed) return;
    if (this.state !== MonitorState.TERMINATED) this.terminated(Termination.FORCED_END, text);
  }

  private fromMachine(msg: FromMachine): void {
    try {
      this.handleMachineMessage(msg);
    } catch (err) {
      // Whatever the machine posts, the manager and the other monitors keep running.
      this.log.error({ err }, 'cannot handle a machine message');
    }
  }

  private handleMachineMessage(msg: FromMachine): void {
    switch (msg.type) {
      case 'output':
        this.route(msg.module, msg.data);
        return;
      case 'terminated':
        this.terminated(msg.reason, msg.text ?? '');
        return;
      case 'disk-snapshot':
        this.snapshotting.get(msg.index)?.(msg.error);
        return;
      case 'suspended':
      case 'restored':
        this.stateAnswer?.(msg);
        return;
      case 'stats':
        this.stats.instret = msg.instret;
        this.stats.hostMs = msg.hostMs;
        this.stats.droppedFrames = msg.droppedFrames;
        this.stats.jit = {
          entries: msg.jitEntries,
          insns: msg.jitInsns,
          translated: msg.jitTranslated,
          dropped: msg.jitDropped,
          batches: msg.jitBatches,
          codeWrites: msg.jitCodeWrites,
          regions: msg.jitRegions,
          lookups: msg.jitLookups,
          decodeMisses: msg.decodeMisses,
          flushes: msg.jitFlushes,
          compileMs: msg.jitCompileMs,
        };
        return;
      case 'error':
        this.lastMachineError = msg.message;
        this.log.error({ err: msg.message }, 'machine reported an error');
        // Before the guest runs, an error means a load or start failed (a section off RAM, a
        // bad firmware): booting on would run a half-loaded image, so the guest counts as ended
        // and the owner's next op or RUN says why. Later errors (a bad frame) are only logged.
        if (this.state === MonitorState.INITIALIZED || this.state === MonitorState.STARTED) this.terminated(Termination.FORCED_END, `machine: ${msg.message}`);
        return;
    }
  }

  private terminated(reason: Termination, text: string): void {
    if (!this.rules.terminated(reason, text)) return;
    clearTimeout(this.powerOffTimer);
    this.powerOffTimer = undefined;
    this.log.info({ reason: terminationName(reason), text }, 'guest terminated');
    this.wakeWaiters();
  }

  /** The rules moved the state (START, RUN): RUN long-polls see it. */
  stateChanged(): void {
    this.wakeWaiters();
  }

  /** The machine took over a suspended state (suspend.ts): where START would have left it. */
  resumed(): void {
    this.rules.resumed();
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    for (const fn of this.stateWaiters.splice(0)) fn();
  }
}
