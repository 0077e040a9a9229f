// A monitor process (`colinux-monitor-core --monitor <id>`, docs/manager.md "Monitor processes"):
// one VM, started by the manager, in a session of its own so that the manager's death does not
// take it. It serves `monitor-<id>.sock`: its owner (the daemon) and its helpers talk to it
// directly after the manager's CREATE or ATTACH answer named that endpoint. It ends with its
// monitor.
import { ManagerState, PROTOCOL_VERSION, type Frame, type ManagerStatus, type MonitorConfig } from '@colinux/protocol';
import { runtimeDir } from '@colinux/client';
import { DiskImages } from './disk-images.ts';
import { EndpointServer, type EndpointOptions } from './endpoint-server.ts';
import { acquireMonitorEndpoint, type EndpointLock } from './lock.ts';
import { CREATE_WAIT_MS, type MonitorHost } from './monitor-host.ts';
import { Monitor } from './monitor.ts';
import { handleMessages, handleRequest } from './requests.ts';
import type { ClientSession } from './session.ts';

export interface MonitorServerOptions extends EndpointOptions {
  id: number;
  /** Called once the server has closed (main.ts exits the process). */
  onShutdown?: () => void;
}

/** A disk image still locked by a monitor that is ending (its process stops its machine within
 *  a second, monitor.ts STOP_GRACE_MS) is waited for this long before the CREATE is refused. */
const IMAGE_RELEASE_WAIT_MS = 2000;
const IMAGE_RETRY_MS = 100;

export class MonitorServer extends EndpointServer implements MonitorHost {
  readonly id: number;
  readonly runtimeDir: string;
  monitor: Monitor | undefined;
  private ended = false;
  private createTimer: NodeJS.Timeout | undefined;
  private readonly onShutdown: (() => void) | undefined;

  private constructor(opts: MonitorServerOptions) {
    super(opts, 'colinux-monitor');
    this.id = opts.id;
    this.runtimeDir = runtimeDir(this.env);
    this.onShutdown = opts.onShutdown;
  }

  static async start(opts: MonitorServerOptions): Promise<MonitorServer> {
    const s = new MonitorServer(opts);
    await s.serve();
    s.createTimer = setTimeout(() => {
      s.log.warn({ monitor: s.id, waitedMs: CREATE_WAIT_MS }, 'no owner created the monitor: stopping');
      void s.requestShutdown();
    }, CREATE_WAIT_MS);
    s.log.info({ monitor: s.id, endpoint: s.endpoint, transport: s.transport.name, protocolVersion: PROTOCOL_VERSION }, 'monitor process serving');
    return s;
  }

  protected acquire(): Promise<EndpointLock> {
    return acquireMonitorEndpoint(this.env, this.id, this.log);
  }

  protected handleRequest(session: ClientSession, req: Frame): Promise<void> {
    return handleRequest(this, session, req);
  }

  protected handleMessages(session: ClientSession, frame: Frame): void {
    handleMessages(this, session, frame);
  }

  protected sessionClosed(session: ClientSession): void {
    const m = this.monitor;
    if (!m || !m.rules.isBound(session)) return;
    if (m.rules.leave(session) === 'end') void this.closeMonitor('its owner disconnected');
  }

  protected get busy(): boolean {
    return this.monitor !== undefined;
  }

  status(): ManagerStatus {
    const monitors = this.monitor ? [this.monitor.info()] : [];
    return {
      protocolVersion: PROTOCOL_VERSION,
      // Once its monitor has ended the process is going away: the manager unlists it at once.
      state: this.ended ? ManagerState.NOT_INITIALIZED : ManagerState.INITIALIZED,
      monitorCount: monitors.length,
      pid: process.pid,
      startedAt: this.startedAt,
      rssBytes: process.memoryUsage.rss(),
      monitors,
    };
  }

  async create(owner: ClientSession, config: MonitorConfig): Promise<Monitor> {
    if (this.ended) throw new Error(`monitor ${this.id} has ended`);
    let disks: DiskImages;
    try {
      disks = await openDisks(this.id, config);
    } catch (err) {
      // Refused (an image in use): the process was started for this monitor only.
      this.ended = true;
      setImmediate(() => void this.requestShutdown());
      throw err;
    }
    if (this.monitor || this.ended) {
      disks.close();
      throw new Error(`monitor ${this.id} already exists`);
    }
    clearTimeout(this.createTimer);
    const monitor = new Monitor(this.id, config, this.runtimeDir, this.log, disks, owner, this.limits.watchers);
    this.monitor = monitor;
    return monitor;
  }

  /** The monitor ends; once its machine has stopped and its disk images are released, so does
   *  this process. */
  async closeMonitor(why: string): Promise<void> {
    const m = this.monitor;
    if (!m) return;
    this.monitor = undefined;
    this.ended = true;
    m.close(why);
    await m.machineExited();
    setImmediate(() => void this.requestShutdown());
  }

  protected async stopWork(): Promise<void> {
    clearTimeout(this.createTimer);
    // The machine worker flushes Node's compile cache as it exits: wait for it.
    await this.closeMonitor('the monitor process is stopping');
  }

  async requestShutdown(): Promise<void> {
    await this.close();
    this.onShutdown?.();
  }
}

/** DiskImages.open, waiting a moment for an image that a monitor which is ending still holds. */
async function openDisks(id: number, config: MonitorConfig): Promise<DiskImages> {
  const deadline = Date.now() + IMAGE_RELEASE_WAIT_MS;
  for (;;) {
    try {
      return DiskImages.open(id, config.blockDevices);
    } catch (err) {
      if (!/ is in use by /.test((err as Error).message) || Date.now() >= deadline) throw err;
      await new Promise((r) => setTimeout(r, IMAGE_RETRY_MS));
    }
  }
}
