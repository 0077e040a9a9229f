// Manager ioctls (docs/colinux.md#manager-ioctls) and message records from clients (#routing), with the checks
// coLinux left out: `from` must be a module this connection holds, ATTACH bounds and takeover.
import os from 'node:os';
import {
  AttachFlag, BodyError, ControlIoctl, FrameError, ManagerIoctl, Module, MonitorState, PROTOCOL_VERSION, Rc, decodeAttach, decodeCreate,
  decodeLinuxMessage, decodeRecords, decodeStatusRequest, decodeText, encodeInfo, encodeMonitorList, encodeStatusReply, linuxAddressOf, moduleName,
  type Frame,
} from '@colinux/protocol';
import { handleControl, replayForwards } from './control.ts';
import { DiskImages } from './disk-images.ts';
import { Monitor } from './monitor.ts';
import { handleMonitorOp } from './monitor-ops.ts';
import type { ClientSession } from './session.ts';
import type { ManagerServer } from './server.ts';

export const MAX_MONITORS = 64;

export function hostmemLimit(env: NodeJS.ProcessEnv): number {
  const mib = Number(env.COLINUX_HOSTMEM_LIMIT_MIB);
  return Number.isFinite(mib) && mib > 0 ? mib * 1024 * 1024 : os.totalmem();
}

export async function handleRequest(server: ManagerServer, session: ClientSession, req: Frame): Promise<void> {
  try {
    switch (req.code) {
      case ManagerIoctl.STATUS:
        return status(server, session, req);
      case ManagerIoctl.INFO:
        return session.reply(req, Rc.OK, encodeInfo({ hostmemLimit: hostmemLimit(server.env), hostmemUsed: server.hostmemUsed() }));
      case ManagerIoctl.MONITOR_LIST:
        return session.reply(req, Rc.OK, encodeMonitorList(server.monitorList()));
      case ManagerIoctl.CREATE:
        return await create(server, session, req);
      case ManagerIoctl.ATTACH:
        return attach(server, session, req);
      case ManagerIoctl.MONITOR:
        return await handleMonitorOp(server, session, req);
      case ManagerIoctl.DEBUG:
        // CO_MANAGER_IOCTL_DEBUG: a client appends a line to the manager's log.
        server.log.info({ client: session.id, debug: decodeText(req.body) }, 'client debug line');
        return session.reply(req, Rc.OK);
      case ManagerIoctl.DEBUG_READER:
        return debugReader(server, session, req);
      case ManagerIoctl.SHUTDOWN:
        return shutdown(server, session, req);
      case ControlIoctl.MONITOR_STATUS:
      case ControlIoctl.POWER:
      case ControlIoctl.SYSRQ:
      case ControlIoctl.DISK_SNAPSHOT:
      case ControlIoctl.FORWARD:
      case ControlIoctl.SUSPEND:
      case ControlIoctl.RESUME:
        return await handleControl(server, session, req);
      default:
        return session.replyError(req, Rc.ERROR, `unknown manager ioctl 0x${req.code.toString(16)}`);
    }
  } catch (err) {
    if (err instanceof BodyError || err instanceof FrameError) return session.replyError(req, Rc.INVALID_PARAMETER, err.message);
    server.log.error({ err }, 'request failed');
    session.replyError(req, Rc.ERROR, `internal error: ${(err as Error).message}`);
  }
}

function status(server: ManagerServer, session: ClientSession, req: Frame): void {
  const theirs = decodeStatusRequest(req.body);
  const body = encodeStatusReply(server.status());
  if (theirs !== PROTOCOL_VERSION) {
    server.log.error({ client: session.id, clientVersion: theirs, managerVersion: PROTOCOL_VERSION }, `client speaks protocol version ${theirs}, this manager speaks ${PROTOCOL_VERSION}`);
    return session.reply(req, Rc.VERSION_MISMATCHED, body);
  }
  session.reply(req, Rc.OK, body);
}

async function create(server: ManagerServer, session: ClientSession, req: Frame): Promise<void> {
  const { id, config } = decodeCreate(req.body);
  if (config.blockDevices.length > 0) await server.imagesReleased();
  if (session.monitor) return session.replyError(req, Rc.ERROR, `this connection already belongs to monitor ${session.monitor.id}`);
  if (server.monitors.has(id)) return session.replyError(req, Rc.ERROR, `monitor ${id} already exists`);
  if (server.monitors.size >= MAX_MONITORS) return session.replyError(req, Rc.ERROR, `${MAX_MONITORS} monitors already run`);
  const want = config.memoryMiB * 1024 * 1024;
  const limit = hostmemLimit(server.env);
  if (server.hostmemUsed() + want > limit) {
    return session.replyError(req, Rc.HOSTMEM_USE_LIMIT_REACHED, `mem=${config.memoryMiB} would exceed the host memory limit of ${Math.floor(limit / 1048576)} MiB (${Math.floor(server.hostmemUsed() / 1048576)} MiB in use)`);
  }
  let disks: DiskImages;
  try {
    disks = DiskImages.open(id, config.blockDevices);
  } catch (err) {
    server.log.warn({ monitor: id, client: session.id, err: (err as Error).message }, 'monitor refused');
    return session.replyError(req, Rc.ERROR, (err as Error).message);
  }
  const monitor = new Monitor(id, config, server.runtimeDir, server.log, disks);
  monitor.owner = session;
  monitor.bound.add(session);
  session.monitor = monitor;
  server.addMonitor(monitor);
  server.log.info({ monitor: id, client: session.id, memoryMiB: config.memoryMiB }, 'monitor created');
  session.reply(req, Rc.OK);
}

function attach(server: ManagerServer, session: ClientSession, req: Frame): void {
  const a = decodeAttach(req.body);
  const monitor = server.monitors.get(a.id);
  if (!monitor) return session.replyError(req, Rc.ERROR, `no monitor ${a.id}`);
  if (session.monitor && session.monitor !== monitor) return session.replyError(req, Rc.ERROR, `this connection is bound to monitor ${session.monitor.id}`);
  const watch = (a.flags & AttachFlag.WATCH) !== 0;
  const force = (a.flags & AttachFlag.FORCE) !== 0;
  if (watch && !monitor.bound.has(session) && monitor.watcherCount() >= server.limits.watchers) {
    return session.replyError(req, Rc.ACCESS_DENIED, `monitor ${a.id} already has ${server.limits.watchers} watching clients`);
  }
  if (!watch && !force) {
    // coLinux let the last attacher win silently (3.6.3); we refuse unless asked to take over.
    for (const m of a.modules) {
      const holder = monitor.slots.get(m);
      if (holder && holder !== session) {
        return session.replyError(req, Rc.ACCESS_DENIED, `module ${moduleName(m)} of monitor ${a.id} is held by another client (use --force to take it over)`);
      }
    }
  }
  session.monitor = monitor;
  monitor.bound.add(session);
  for (const m of a.modules) {
    if (watch) monitor.watch(m, session);
    else {
      monitor.hold(m, session);
      replayForwards(server, monitor, m, session);
    }
  }
  server.log.info({ monitor: a.id, client: session.id, modules: a.modules.map(moduleName), force, watch }, 'attached');
  session.reply(req, Rc.OK);
}

function debugReader(server: ManagerServer, session: ClientSession, req: Frame): void {
  session.logReader = true;
  session.reply(req, Rc.OK);
  const unsubscribe = server.subscribeLog((line) => session.logLine(req.seq, line));
  session.onClose(unsubscribe);
}

function shutdown(server: ManagerServer, session: ClientSession, req: Frame): void {
  if (server.monitors.size > 0) return session.replyError(req, Rc.ERROR, 'monitors are running, cannot remove driver');
  session.reply(req, Rc.OK);
  server.log.info({ client: session.id }, 'shutdown requested');
  setImmediate(() => void server.requestShutdown());
}

/** MESSAGES from a client: each record must be to LINUX and from a module this client may use. */
export function handleMessages(server: ManagerServer, session: ClientSession, frame: Frame): void {
  const records = decodeRecords(frame.body);
  const monitor = session.monitor;
  for (const r of records) {
    if (!monitor) {
      session.notice(Rc.MONITOR_NOT_LOADED, 'message refused: this connection is not attached to a monitor');
      continue;
    }
    if (r.to !== Module.LINUX) {
      session.notice(Rc.INVALID_PARAMETER, `message to ${moduleName(r.to)} refused: clients may only send to linux`);
      continue;
    }
    // coLinux never checked `from` (3.6.2); a connection may only speak as what it holds, and as
    // DAEMON (power requests) only if it owns the monitor or holds the console.
    const mayPower = r.from === Module.DAEMON && (session.isOwner || session.held.has(Module.CONSOLE));
    if (!session.held.has(r.from) && !mayPower) {
      server.log.warn({ client: session.id, from: r.from }, 'spoofed message refused');
      session.notice(Rc.ACCESS_DENIED, `message from ${moduleName(r.from)} refused: this connection has not attached that module`);
      continue;
    }
    const address = linuxAddressOf(r.from);
    let payload;
    try {
      payload = decodeLinuxMessage(r.data);
    } catch (err) {
      session.notice(Rc.INVALID_PARAMETER, (err as Error).message);
      continue;
    }
    if (!address || payload.device !== address.device || payload.unit !== address.unit) {
      session.notice(Rc.INVALID_PARAMETER, `message from ${moduleName(r.from)} names device ${payload.device} unit ${payload.unit}, which is not its own`);
      continue;
    }
    if (r.from === Module.DAEMON) {
      const action = payload.data.length === 4 ? new DataView(payload.data.buffer, payload.data.byteOffset, 4).getUint32(0, true) : -1;
      if (!monitor.power(action)) session.notice(Rc.INVALID_PARAMETER, `unknown power action ${action}`);
      continue;
    }
    if (monitor.state === MonitorState.TERMINATED) continue;
    // A copy in a buffer of its own (payload.data may view a shared stream chunk, and Buffer's
    // slice() does not copy), moved to the worker rather than cloned.
    const data = new Uint8Array(payload.data);
    monitor.post({ type: 'message', module: r.from, data }, [data.buffer]);
  }
}

