// Requests to a monitor process (docs/manager.md "Monitor processes"): the manager ioctls as they
// apply to its one monitor (docs/colinux.md#manager-ioctls), and message records from clients
// (#routing), with the checks coLinux left out: `from` must be a module this connection holds,
// ATTACH bounds and takeover.
import {
  AttachFlag,
  BodyError,
  FrameError,
  Module,
  MonitorState,
  PROTOCOL_VERSION,
  Rc,
  Requests,
  decodeLinuxMessage,
  decodeRecords,
  linuxAddressOf,
  moduleName,
  type Frame,
} from '@colinux/protocol';
import { handleControl, replayForwards } from './control.ts';
import { hostmemLimit } from './hostmem.ts';
import type { MonitorHost } from './monitor-host.ts';
import { handleMonitorOp } from './monitor-ops.ts';
import type { ClientSession } from './session.ts';

export async function handleRequest(host: MonitorHost, session: ClientSession, req: Frame): Promise<void> {
  try {
    switch (req.code) {
      case Requests.STATUS.code:
        return status(host, session, req);
      case Requests.INFO.code:
        return session.reply(
          req,
          Rc.OK,
          Requests.INFO.reply.encode({ hostmemLimit: hostmemLimit(host.env), hostmemUsed: (host.monitor?.config.memoryMiB ?? 0) * 1024 * 1024 }),
        );
      case Requests.MONITOR_LIST.code:
        return session.reply(req, Rc.OK, Requests.MONITOR_LIST.reply.encode(host.monitor ? [host.monitor.info()] : []));
      case Requests.CREATE.code:
        return await create(host, session, req);
      case Requests.ATTACH.code:
        return attach(host, session, req);
      case Requests.MONITOR.code:
        return await handleMonitorOp(host, session, req);
      case Requests.DEBUG.code:
        // CO_MANAGER_IOCTL_DEBUG: a client appends a line to the log.
        host.log.info({ client: session.id, debug: Requests.DEBUG.request.decode(req.body) }, 'client debug line');
        return session.reply(req, Rc.OK);
      case Requests.DEBUG_READER.code:
        return debugReader(host, session, req);
      case Requests.SHUTDOWN.code:
        return session.replyError(req, Rc.ERROR, `this is the process of monitor ${host.id}, not the manager`);
      case Requests.MONITOR_STATUS.code:
      case Requests.POWER.code:
      case Requests.SYSRQ.code:
      case Requests.DISK_SNAPSHOT.code:
      case Requests.FORWARD.code:
      case Requests.SUSPEND.code:
      case Requests.RESUME.code:
        return await handleControl(host, session, req);
      default:
        return session.replyError(req, Rc.ERROR, `unknown manager ioctl 0x${req.code.toString(16)}`);
    }
  } catch (err) {
    if (err instanceof BodyError || err instanceof FrameError) return session.replyError(req, Rc.INVALID_PARAMETER, err.message);
    host.log.error({ err }, 'request failed');
    session.replyError(req, Rc.ERROR, `internal error: ${(err as Error).message}`);
  }
}

function status(host: MonitorHost, session: ClientSession, req: Frame): void {
  const theirs = Requests.STATUS.request.decode(req.body);
  const body = Requests.STATUS.reply.encode(host.status());
  if (theirs !== PROTOCOL_VERSION) {
    host.log.error(
      { client: session.id, clientVersion: theirs, managerVersion: PROTOCOL_VERSION },
      `client speaks protocol version ${theirs}, this monitor speaks ${PROTOCOL_VERSION}`,
    );
    return session.reply(req, Rc.VERSION_MISMATCHED, body);
  }
  session.reply(req, Rc.OK, body);
}

/** The owner's CREATE, after the manager has admitted it (server.ts) and started this process. */
async function create(host: MonitorHost, session: ClientSession, req: Frame): Promise<void> {
  const { id, config } = Requests.CREATE.request.decode(req.body);
  if (session.monitorId !== undefined) return session.replyError(req, Rc.ERROR, `this connection already belongs to monitor ${session.monitorId}`);
  if (id !== host.id) return session.replyError(req, Rc.ERROR, `this is the process of monitor ${host.id}, not ${id}`);
  if (host.monitor) return session.replyError(req, Rc.ERROR, `monitor ${id} already exists`);
  try {
    await host.create(session, config);
  } catch (err) {
    host.log.warn({ monitor: id, client: session.id, err: (err as Error).message }, 'monitor refused');
    return session.replyError(req, Rc.ERROR, (err as Error).message);
  }
  host.log.info({ monitor: id, client: session.id, memoryMiB: config.memoryMiB }, 'monitor created');
  session.reply(req, Rc.OK);
}

function attach(host: MonitorHost, session: ClientSession, req: Frame): void {
  const a = Requests.ATTACH.request.decode(req.body);
  const monitor = host.monitor;
  if (!monitor || a.id !== monitor.id) return session.replyError(req, Rc.ERROR, `no monitor ${a.id}`);
  const watch = (a.flags & AttachFlag.WATCH) !== 0;
  const force = (a.flags & AttachFlag.FORCE) !== 0;
  const refused = monitor.attach(session, { modules: a.modules, force, watch });
  if (refused) return session.replyError(req, refused.rc, refused.text);
  if (!watch) for (const m of a.modules) replayForwards(host, monitor, m, session);
  host.log.info({ monitor: a.id, client: session.id, modules: a.modules.map(moduleName), force, watch }, 'attached');
  session.reply(req, Rc.OK);
}

function debugReader(host: MonitorHost, session: ClientSession, req: Frame): void {
  session.logReader = true;
  session.reply(req, Rc.OK);
  const unsubscribe = host.subscribeLog((line) => session.logLine(req.seq, line));
  session.onClose(unsubscribe);
}

/** MESSAGES from a client: each record must be to LINUX and from a module this client may use. */
export function handleMessages(host: MonitorHost, session: ClientSession, frame: Frame): void {
  const records = decodeRecords(frame.body);
  const monitor = host.monitor;
  for (const r of records) {
    // coLinux never checked `from` (3.6.2): the rules do (rules.ts maySend).
    const refused = monitor
      ? monitor.rules.maySend(session, r.from, r.to)
      : { rc: Rc.MONITOR_NOT_LOADED, text: 'message refused: this connection is not attached to a monitor' };
    if (refused || !monitor) {
      if (refused?.rc === Rc.ACCESS_DENIED) host.log.warn({ client: session.id, from: r.from }, 'spoofed message refused');
      session.notice(refused!.rc, refused!.text);
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
