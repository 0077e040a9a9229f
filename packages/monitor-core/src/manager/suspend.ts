// SUSPEND and RESUME (protocol control.ts, docs/suspend.md). Suspend: the owner is asked first
// (it answers with its configuration, or refuses), then the worker stops between instructions,
// flushes the disks and hands over its state; the manager adds the shadow console, the
// configuration, the forwards and each disk's identity, writes the bundle and ends the guest, and
// the owner closes the monitor. Resume: the owner created a monitor from the bundle's
// configuration; it takes over the machine state, the screen and the forwards, and runs on.
import os from 'node:os';
import { Calls, MonitorState, Rc, Requests, monitorStateName, type Frame } from '@colinux/protocol';
import {
  BUNDLE_FORMAT,
  BundleError,
  bundleState,
  readBundle,
  writeBundle,
  identifyFd,
  type BundleMeta,
  type DiskIdentity,
  type SavedDaemon,
} from '../bundle/bundle.ts';
import type { FromMachine } from '../machine/contract.ts';
import { imageFormat } from '../machine/devices/virtio/disk-image.ts';
import type { BackingFile } from '../machine/devices/virtio/block.ts';
import { TIMEBASE_HZ } from '../machine/memory-map.ts';
import type { Monitor } from './monitor.ts';
import type { MonitorHost } from './monitor-host.ts';
import type { ClientSession } from './session.ts';

/** How long the owner has to answer the suspend CALL with its configuration. */
const OWNER_CALL_MS = 10_000;
/** How long the worker may take to capture or restore (compressing 4 GiB of RAM included). */
const MACHINE_STATE_MS = 120_000;

type Answer<T extends FromMachine['type']> = Extract<FromMachine, { type: T }>;

async function ask<T extends 'suspended' | 'restored'>(
  monitor: Monitor,
  msg: Parameters<Monitor['askMachine']>[0],
  transfer: ArrayBuffer[] = [],
): Promise<Answer<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the machine did not answer')), MACHINE_STATE_MS);
  });
  try {
    return (await Promise.race([monitor.askMachine(msg, transfer), timeout])) as Answer<T>;
  } finally {
    clearTimeout(timer);
  }
}

export async function suspend(server: MonitorHost, session: ClientSession, req: Frame): Promise<void> {
  const { id, file } = Requests.SUSPEND.request.decode(req.body);
  const monitor = server.monitor?.id === id ? server.monitor : undefined;
  if (!monitor) return session.replyError(req, Rc.NOT_FOUND, `no monitor ${id}`);
  if (monitor.state !== MonitorState.RUNNING && monitor.state !== MonitorState.STARTED) {
    return session.replyError(req, Rc.ERROR, `monitor ${id} is ${monitorStateName(monitor.state)}, not running`);
  }
  // Only the owner may end its monitor (docs/manager.md): it is asked, and answers with its configuration.
  if (!monitor.owner) return session.replyError(req, Rc.ACCESS_DENIED, `monitor ${id} has no owner to agree to the suspend`);
  const answer = await monitor.owner.call(Calls.SUSPEND, file, OWNER_CALL_MS);
  if (answer.rc === undefined) return session.replyError(req, Rc.TIMEOUT, `the owner of monitor ${id} did not answer: ${answer.text}`);
  if (answer.rc < 0) return session.replyError(req, answer.rc, `the owner of monitor ${id} refused: ${answer.text}`);
  let daemon: SavedDaemon | null;
  try {
    daemon = answer.text ? (JSON.parse(answer.text) as SavedDaemon) : null;
  } catch {
    return session.replyError(req, Rc.ERROR, `the owner of monitor ${id} answered with no configuration`);
  }

  const begin = performance.now();
  const captured = await ask<'suspended'>(monitor, { type: 'suspend' });
  if (!captured.state) return session.replyError(req, Rc.ERROR, `monitor ${id}: cannot suspend: ${captured.error}`);
  const state = captured.state;
  try {
    const screen = await monitor.shadow.snapshot();
    const c = monitor.config;
    const meta: BundleMeta = {
      format: BUNDLE_FORMAT,
      createdAt: new Date(state.wallMs).toISOString(),
      wallMs: state.wallMs,
      mtime: state.mtime,
      timebaseHz: TIMEBASE_HZ,
      host: { platform: os.platform(), arch: os.arch(), node: process.version },
      monitorId: id,
      machine: {
        memoryMiB: c.memoryMiB,
        bootLine: c.bootLine,
        console: c.console,
        blockDevices: monitor.images.devices.map((d) => ({ index: d.index, path: d.path, readOnly: d.readOnly, aliases: d.aliases })),
        netDevices: c.netDevices,
        serialPorts: c.serialPorts,
        sharedDirs: c.sharedDirs,
        ...(c.firmwarePath !== undefined ? { firmwarePath: c.firmwarePath } : {}),
      },
      daemon,
      forwards: Object.fromEntries(c.netDevices.map((n) => [String(n.unit), monitor.forwards.specs(n.unit)]).filter(([, s]) => s!.length > 0)),
      disks: await Promise.all(monitor.images.devices.map((d) => diskIdentity(d))),
      ramPages: state.ramPages,
    };
    const bytes = await writeBundle(file, { meta, cpu: state.cpu, devices: state.devices, screen: screen.data, rom: state.rom, ram: state.ram });
    const ms = Math.round(performance.now() - begin);
    server.log.info({ monitor: id, client: session.id, file, bytes, ms, ramPages: state.ramPages }, 'suspended');
    monitor.suspended(file);
    session.reply(req, Rc.OK, Requests.SUSPEND.reply.encode(JSON.stringify({ id, file, bytes, ramPages: state.ramPages, ms })));
  } catch (err) {
    // The guest was only stopped: it runs on, and the owner keeps it.
    monitor.post({ type: 'thaw' });
    server.log.warn({ monitor: id, file, err: (err as Error).message }, 'suspend failed; the guest runs on');
    session.replyError(
      req,
      Rc.ERROR,
      `monitor ${id}: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; the guest runs on`,
    );
  }
}

async function diskIdentity(d: Monitor['images']['devices'][number]): Promise<DiskIdentity> {
  const backing: BackingFile[] = [];
  for (let b = d.backing; b; b = b.backing) backing.push(b);
  const top = await identifyFd(d.fd!, d.path);
  return {
    index: d.index,
    format: imageFormat(d.path),
    readOnly: d.readOnly,
    ...top,
    backing: await Promise.all(backing.map((b) => identifyFd(b.fd, b.path))),
  };
}

/** The configuration the owner created the monitor with must build the same machine. */
function mismatch(meta: BundleMeta, monitor: Monitor): string | undefined {
  const was = meta.machine;
  const now = monitor.config;
  const list = (xs: number[]) => [...xs].sort((a, b) => a - b).join(',') || 'none';
  if (was.memoryMiB !== now.memoryMiB) return `mem=${was.memoryMiB} was suspended, this configuration has mem=${now.memoryMiB}`;
  const pairs: Array<[string, number[], number[]]> = [
    ['cobd', was.blockDevices.map((d) => d.index), now.blockDevices.map((d) => d.index)],
    ['eth', was.netDevices.map((n) => n.unit), now.netDevices.map((n) => n.unit)],
    ['ttys', was.serialPorts, now.serialPorts],
    ['cofs', was.sharedDirs.map((s) => s.unit), now.sharedDirs.map((s) => s.unit)],
  ];
  for (const [key, a, b] of pairs) if (list(a) !== list(b)) return `${key}N= units ${list(a)} were suspended, this configuration has ${list(b)}`;
  if ((was.firmwarePath === undefined) !== (now.firmwarePath === undefined))
    return `firmware= ${was.firmwarePath === undefined ? 'was not' : 'was'} used by the suspended VM`;
  return undefined;
}

export async function resume(server: MonitorHost, session: ClientSession, req: Frame): Promise<void> {
  const file = Requests.RESUME.request.decode(req.body);
  const monitor = server.monitor;
  if (!monitor || monitor.owner !== session)
    return session.replyError(req, Rc.MONITOR_NOT_LOADED, "RESUME: this connection owns no monitor (CREATE one from the bundle's configuration first)");
  if (monitor.state !== MonitorState.INITIALIZED)
    return session.replyError(req, Rc.ERROR, `RESUME needs monitor ${monitor.id} INITIALIZED, it is ${monitorStateName(monitor.state)}`);
  const begin = performance.now();
  try {
    const bundle = readBundle(file);
    const wrong = mismatch(bundle.meta, monitor);
    if (wrong) throw new BundleError(`${file}: ${wrong}`);
    const s = bundleState(bundle);
    const asleepMs = Math.max(0, Date.now() - bundle.meta.wallMs);
    const ram = s.ram.slice();
    const state = { cpu: s.cpu, devices: s.devices as never, rom: s.rom, ram, mtime: bundle.meta.mtime, wallMs: bundle.meta.wallMs };
    const answer = await ask<'restored'>(monitor, { type: 'restore', name: file, state }, [ram.buffer]);
    if (answer.error) throw new BundleError(answer.error);
    monitor.shadow.write(s.screen);
    for (const [unit, specs] of Object.entries(bundle.meta.forwards)) for (const spec of specs) monitor.forwards.add(Number(unit), spec);
    monitor.resumed();
    const ms = Math.round(performance.now() - begin);
    server.log.info({ monitor: monitor.id, client: session.id, file, ms, asleepMs, from: bundle.meta.monitorId }, 'resumed');
    session.reply(req, Rc.OK, Requests.RESUME.reply.encode(JSON.stringify({ id: monitor.id, file, ms, asleepMs })));
  } catch (err) {
    if (!(err instanceof BundleError)) server.log.error({ err, file }, 'resume failed');
    // The machine may hold part of the state: the monitor counts as ended, the owner closes it.
    session.replyError(req, Rc.INVALID_PARAMETER, (err as Error).message);
  }
}
