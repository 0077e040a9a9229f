import { unlinkSync, writeFileSync } from 'node:fs';
import type { Logger } from '@colinux/client/log';
import { Calls, ManagerError, Module, MonitorState, PowerAction, Termination, terminationName, type ModuleId } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { collectGarbage } from '@colinux/monitor-core/collect-garbage';
import { DaemonError, ExitCode } from '../errors.ts';
import type { KernelPlan } from '../kernel/image.ts';
import { streamInitrd, type InitrdFile } from '../kernel/initrd.ts';
import type { HelperSpec } from '../launch/commands.ts';
import { Supervisor } from '../launch/supervisor.ts';
import { readableLogLine } from '@colinux/client/log';
import { PrintkFilter } from './printk.ts';
import type { SavedDaemon } from '@colinux/monitor-core/bundle';
import type { TerminalGate } from './terminal-gate.ts';

export interface SessionOptions {
  id: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
  owner: ManagerClient;
  /** The kernel read and checked at start; the session drops it once loaded (none when resuming). */
  kernel?: KernelPlan;
  /** Reads kernel= again for a reboot, as coLinux reloads it (docs/colinux.md#run-loop). */
  reloadKernel: () => KernelPlan;
  initrd?: InitrdFile;
  helpers: HelperSpec[];
  /** What the daemon answers when asked to suspend (suspend-config.ts). */
  saved: SavedDaemon;
  /** resume=: the bundle the monitor takes its state from instead of booting (docs/suspend.md). */
  resumeFrom?: string;
  pidFile?: string;
  quietKernel: boolean;
  shutdownTimeoutMs: number;
  out: (text: string) => void;
  /** The daemon's stderr, held back while the console owns the terminal. */
  gate: TerminalGate;
}

const HELPER_GRACE_MS = 5000;
const RESEND_SHUTDOWN_MS = 3000;

/**
 * coLinux's run phase (docs/colinux.md#launching, #run-loop): PID line, PRINTK connection, pid file, helpers,
 * then START and the RUN loop; REBOOT resets and reloads with every helper still attached.
 */
export class DaemonSession {
  private readonly o: Omit<SessionOptions, 'kernel'>;
  /** Held only until it is loaded: the daemon runs for the guest's life, the kernel is megabytes. */
  private kernel?: KernelPlan;
  private entryOffset = 0;
  private printk?: ManagerClient;
  private supervisor?: Supervisor;
  private consoleOnTerminal = false;
  private shutdownRequested = false;
  private hardOff = false;
  private hardOffTimer?: NodeJS.Timeout;
  private resendTimer?: NodeJS.Timeout;
  private lost?: string;
  /** The bundle the manager is writing, once the daemon agreed to a suspend. */
  private suspendingTo?: string;
  /** How long the manager took to put the bundle's state in place (RESUME's answer). */
  private resumeMs = 0;
  private readonly printkFilter = new PrintkFilter();

  constructor(o: SessionOptions) {
    const { kernel, ...rest } = o;
    this.o = rest;
    this.kernel = kernel;
  }

  async loadImage(): Promise<void> {
    const kernel = this.kernel ?? this.o.reloadKernel();
    this.kernel = undefined;
    this.entryOffset = kernel.entryOffset;
    const { owner, initrd } = this.o;
    await Promise.all(kernel.pieces.map((p) => owner.loadSection(p.offset, p.size, p.data)));
    if (initrd) await streamInitrd(owner, initrd);
    // The kernel and the frames that carried it (about 20 MB for the bundled guest) are garbage
    // once this function has returned; a quiet daemon would otherwise hold them for its whole life.
    setImmediate(collectGarbage);
  }

  /** resume=: the new monitor takes over the bundle's machine state instead of loading a kernel. */
  async resume(file: string): Promise<void> {
    try {
      this.resumeMs = (JSON.parse(await this.o.owner.resume(file)) as { ms: number }).ms;
    } catch (err) {
      throw new DaemonError(
        `colinux: cannot resume: ${err instanceof ManagerError ? err.message.replace(/ \([A-Z_0-9]+\)$/, '').replace(/^RESUME: /, '') : (err as Error).message}`,
      );
    }
  }

  /** Everything after the image is loaded; resolves with the process exit status. */
  async run(): Promise<number> {
    const { id, out, log, owner } = this.o;
    out(`PID: ${id}\n`);
    // colinux-ctl suspend: the manager asks the owner; agreeing means answering with the configuration.
    owner.serveCalls(Calls.SUSPEND, async (file) => {
      this.suspendingTo = file;
      log.info({ file: this.suspendingTo }, 'suspend requested');
      return JSON.stringify(this.o.saved);
    });
    owner.on('end', (cause: string, detail?: string) => {
      if (cause === 'disconnected') this.lost = detail ?? 'the monitor closed the connection';
    });
    await this.attachPrintk();
    if (this.o.pidFile) {
      try {
        writeFileSync(this.o.pidFile, `${id}\n`);
      } catch (err) {
        throw new DaemonError(`colinux: error creating PID file '${this.o.pidFile}': ${(err as Error).message}`);
      }
    }
    this.supervisor = new Supervisor({
      log,
      env: this.o.env,
      probe: (module) => this.probe(module),
      onConsole: (attached) => {
        this.consoleOnTerminal = attached;
        this.o.gate.hold(attached);
      },
      forward: (line) => this.o.gate.out(process.stderr.isTTY ? (readableLogLine(line) ?? `${line}\n`) : `${line}\n`),
      // A redirection port in use, an execN program that does not exist: the boot goes on, so
      // the line goes where the user looks, next to "colinux: booting", not into a log.
      onError: (label, text) => this.say(`colinux: ${label}: error: ${text}`),
    });
    for (const spec of this.o.helpers) {
      const ok = this.supervisor.launch(spec);
      if (!ok && spec.kind === 'console') throw new DaemonError('colinux: error launching console (use -d to run without one)');
    }
    out(this.o.resumeFrom ? `colinux: resumed from ${this.o.resumeFrom} in ${this.resumeMs} ms\n` : 'colinux: booting\n');
    return await this.runLoop();
  }

  private async attachPrintk(): Promise<void> {
    const c = await ManagerClient.connect({ env: this.o.env });
    this.printk = c;
    await c.attach(this.o.id, [Module.PRINTK]);
    c.on('message', (m: { from: number; data: Uint8Array }) => {
      const text = this.printkFilter.push(m.data);
      if (!this.o.quietKernel && !this.consoleOnTerminal && text) this.o.out(text);
    });
  }

  /** Whether a module is held by another connection: a short-lived ATTACH without force. */
  private async probe(module: ModuleId): Promise<'held' | 'free' | 'gone'> {
    let c: ManagerClient | undefined;
    try {
      c = await ManagerClient.connect({ env: this.o.env, timeoutMs: 2000 });
      await c.attach(this.o.id, [module]);
      return 'free';
    } catch (err) {
      if (err instanceof ManagerError) {
        const monitors = await c?.list().catch(() => []);
        return monitors?.some((m) => m.id === this.o.id) ? 'held' : 'gone';
      }
      return 'gone';
    } finally {
      await c?.close();
    }
  }

  /** SIGINT/SIGTERM: a graceful request first (docs/colinux.md#power), a hard power off after the timeout. */
  requestShutdown(signal: string): void {
    if (this.shutdownRequested) {
      this.powerOffHard(`second ${signal}`);
      return;
    }
    this.shutdownRequested = true;
    this.o.log.info({ signal, timeoutMs: this.o.shutdownTimeoutMs }, 'shutdown requested');
    this.say('colinux: Linux VM goes shutdown, please wait!');
    this.sendShutdown();
    // A guest still booting has nobody listening for power requests yet (the bundled guest's init
    // reads them from hvc1), so the request is repeated until the guest ends or the timeout hits.
    this.resendTimer = setInterval(() => this.sendShutdown(), RESEND_SHUTDOWN_MS);
    this.resendTimer.unref();
    this.hardOffTimer = setTimeout(() => this.powerOffHard(`no shutdown within ${this.o.shutdownTimeoutMs / 1000} s`), this.o.shutdownTimeoutMs);
    this.hardOffTimer.unref();
  }

  private sendShutdown(): void {
    try {
      this.o.owner.power(PowerAction.SHUTDOWN);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not send the shutdown request');
    }
  }

  private powerOffHard(why: string): void {
    if (this.hardOff) return;
    this.hardOff = true;
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.say(`colinux: powering off hard (${why}).`);
    this.o.owner.closeMonitor().catch(() => undefined);
  }

  private say(line: string): void {
    this.o.out(`${this.printkFilter.lineOpen && !this.o.quietKernel ? '\n' : ''}${line}\n`);
  }

  private async runLoop(): Promise<number> {
    try {
      return await this.runGuest();
    } catch (err) {
      // Closing the monitor hard makes whatever request was pending fail: that is the expected end.
      if (this.hardOff) return ExitCode.OK;
      // The monitor's process ended under us (killed, crashed): the client asked the manager why.
      if (this.lost) throw new DaemonError(`colinux: lost the monitor: ${this.lost}`);
      throw err;
    }
  }

  private async runGuest(): Promise<number> {
    const { owner } = this.o;
    let resumed = this.o.resumeFrom !== undefined;
    for (;;) {
      if (!resumed) await owner.start(this.entryOffset);
      resumed = false;
      let result;
      do result = await owner.run();
      while (result.state !== MonitorState.TERMINATED);
      if (this.suspendingTo !== undefined && result.text === `suspended to ${this.suspendingTo}`) {
        this.say(`colinux: suspended to ${this.suspendingTo}, exiting.`);
        return ExitCode.OK;
      }
      // Let the last kernel lines (the panic message) arrive before the verdict.
      await new Promise((r) => setTimeout(r, 50));
      this.say('colinux: Linux VM terminated');
      const reason = result.reason ?? Termination.END;
      switch (reason) {
        case Termination.REBOOT:
          if (this.shutdownRequested) {
            this.say('colinux: shutting down after reboot.');
            return ExitCode.OK;
          }
          this.say('colinux: rebooted.');
          await this.reboot();
          continue;
        case Termination.POWEROFF:
          this.say('colinux: powered off, exiting.');
          return ExitCode.OK;
        case Termination.HALT:
          this.say('colinux: halted, exiting.');
          return ExitCode.OK;
        case Termination.PANIC:
          this.say(`colinux: Kernel panic: ${result.text ?? ''}`);
          if ((result.text ?? '').includes('VFS: Unable to mount root fs')) {
            this.say(
              'colinux: the guest could not mount its root file system: check root= on the boot line and that the cobd<N>= image ' +
                'it names exists and holds a file system (run with -v 3 for configuration checks).',
            );
          }
          return ExitCode.ERROR;
        case Termination.BUG:
          this.say(`colinux: BUG at ${result.text ?? '?'}`);
          return ExitCode.ERROR;
        case Termination.VMXE:
          this.say('colinux: An other virtualization runs in VMX mode.');
          return ExitCode.ERROR;
        case Termination.FORCED_OFF:
          if (this.hardOff || this.shutdownRequested) return ExitCode.OK;
          this.say(`colinux: terminated with code ${reason} (${terminationName(reason)}) - abnormal exit, aborting`);
          return ExitCode.ERROR;
        default:
          this.say(`colinux: terminated with code ${reason} (${terminationName(reason)}) - abnormal exit, aborting`);
          return ExitCode.ERROR;
      }
    }
  }

  private async reboot(): Promise<void> {
    try {
      await this.o.owner.reset();
    } catch (err) {
      throw new DaemonError(`colinux: reset unsuccessful: ${(err as Error).message}`);
    }
    try {
      await this.loadImage();
    } catch (err) {
      throw new DaemonError(`colinux: error reloading vmlinux or initrd: ${(err as Error).message}`);
    }
  }

  /**
   * Final exit (docs/colinux.md#run-loop): execN programs are terminated, the PRINTK connection closed,
   * the pid file removed, then the monitor closed, which ends every helper's attachment; helpers that
   * do not exit by themselves are terminated after a grace period.
   */
  async finish(): Promise<void> {
    if (this.hardOffTimer) clearTimeout(this.hardOffTimer);
    if (this.resendTimer) clearInterval(this.resendTimer);
    this.supervisor?.beginStop();
    await this.printk?.close().catch(() => undefined);
    if (this.o.pidFile) {
      try {
        unlinkSync(this.o.pidFile);
      } catch {
        // Never written (failed before) or removed by the user: nothing to clean.
      }
    }
    if (this.o.owner.monitorId !== undefined) await this.o.owner.closeMonitor().catch(() => undefined);
    await this.o.owner.close().catch(() => undefined);
    await this.supervisor?.stopAll(HELPER_GRACE_MS);
    this.o.gate.hold(false);
  }
}
