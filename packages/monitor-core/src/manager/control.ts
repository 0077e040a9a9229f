// Control requests (protocol control.ts, docs/protocol.md "Control requests"): colinux-ctl's
// status, power, SysRq and disk snapshots by monitor id. Any client of the runtime dir may send
// them (the dir is 0700, so it is the same user); none of them closes a monitor, which stays the
// owner's (SUSPEND asks the owner first, suspend.ts).
import {
  Calls,
  ForwardOp,
  Module,
  MonitorState,
  Rc,
  Requests,
  isSysrqKey,
  moduleName,
  monitorStateName,
  netModule,
  powerActionName,
  type Frame,
  type ModuleId,
} from '@colinux/protocol';
import type { Monitor } from './monitor.ts';
import type { MonitorHost } from './monitor-host.ts';
import { resume, suspend } from './suspend.ts';
import type { ClientSession } from './session.ts';

/** hvc_console's SysRq hack: ^O, then the key, on the kernel's console (console=hvc0). */
const HVC_SYSRQ_PREFIX = 0x0f;

function monitorOf(host: MonitorHost, session: ClientSession, req: Frame, id: number): Monitor | undefined {
  const monitor = host.monitor?.id === id ? host.monitor : undefined;
  if (!monitor) session.replyError(req, Rc.NOT_FOUND, `no monitor ${id}`);
  return monitor;
}

/** Power and SysRq reach a running guest only. */
function running(session: ClientSession, req: Frame, monitor: Monitor): boolean {
  if (monitor.state === MonitorState.RUNNING || monitor.state === MonitorState.STARTED) return true;
  session.replyError(req, Rc.ERROR, `monitor ${monitor.id} is ${monitorStateName(monitor.state)}, not running`);
  return false;
}

export async function handleControl(host: MonitorHost, session: ClientSession, req: Frame): Promise<void> {
  switch (req.code) {
    case Requests.MONITOR_STATUS.code: {
      const monitor = monitorOf(host, session, req, Requests.MONITOR_STATUS.request.decode(req.body));
      if (monitor) session.reply(req, Rc.OK, Requests.MONITOR_STATUS.reply.encode(monitor.status()));
      return;
    }
    case Requests.POWER.code: {
      const { id, value } = Requests.POWER.request.decode(req.body);
      if (!powerActionName(value)) return session.replyError(req, Rc.INVALID_PARAMETER, `unknown power action ${value}`);
      const monitor = monitorOf(host, session, req, id);
      if (!monitor || !running(session, req, monitor)) return;
      monitor.power(value);
      host.log.info({ monitor: id, client: session.id, action: value }, 'power request');
      return session.reply(req, Rc.OK);
    }
    case Requests.SYSRQ.code: {
      const { id, value } = Requests.SYSRQ.request.decode(req.body);
      if (!isSysrqKey(value)) return session.replyError(req, Rc.INVALID_PARAMETER, `SysRq key ${value} is not one printable ASCII character`);
      const monitor = monitorOf(host, session, req, id);
      if (!monitor || !running(session, req, monitor)) return;
      const data = new Uint8Array([HVC_SYSRQ_PREFIX, value]);
      monitor.post({ type: 'message', module: Module.CONSOLE, data }, [data.buffer]);
      host.log.info({ monitor: id, client: session.id, key: String.fromCharCode(value) }, 'sysrq');
      return session.reply(req, Rc.OK);
    }
    case Requests.DISK_SNAPSHOT.code: {
      const r = Requests.DISK_SNAPSHOT.request.decode(req.body);
      const monitor = monitorOf(host, session, req, r.id);
      if (!monitor) return;
      try {
        const file = await monitor.snapshotDisk(r.unit, r.file);
        host.log.info({ monitor: r.id, client: session.id, unit: r.unit, file }, 'disk snapshot');
        return session.reply(req, Rc.OK, Requests.DISK_SNAPSHOT.reply.encode(file));
      } catch (err) {
        return session.replyError(req, Rc.ERROR, (err as Error).message);
      }
    }
    case Requests.FORWARD.code:
      return forward(host, session, req);
    case Requests.SUSPEND.code:
      return suspend(host, session, req);
    case Requests.RESUME.code:
      return resume(host, session, req);
    default:
      return session.replyError(req, Rc.ERROR, `unknown control request 0x${req.code.toString(16)}`);
  }
}

/** How long the helper of a unit gets to answer a forward request (a bind may be retried). */
const FORWARD_CALL_MS = 10_000;

/** FORWARD: passed to the helper holding CONET0+unit; what it added or removed is kept in the
 *  monitor's table file, replayed to the next helper of the unit (replayForwards). */
async function forward(host: MonitorHost, session: ClientSession, req: Frame): Promise<void> {
  const f = Requests.FORWARD.request.decode(req.body);
  const monitor = monitorOf(host, session, req, f.id);
  if (!monitor) return;
  if (f.unit > Module.CONET_END - Module.CONET0)
    return session.replyError(req, Rc.INVALID_PARAMETER, `network unit ${f.unit} outside 0..${Module.CONET_END - Module.CONET0}`);
  const module = netModule(f.unit);
  const helper = monitor.rules.holder(module);
  if (!helper) return session.replyError(req, Rc.NOT_FOUND, `no helper holds ${moduleName(module)} of monitor ${f.id}`);
  const answer = await helper.call(Calls.FORWARD, { op: f.op, spec: f.spec }, FORWARD_CALL_MS);
  if (answer.rc === undefined) return session.replyError(req, Rc.TIMEOUT, `${moduleName(module)}: ${answer.text}`);
  if (answer.rc < 0) return session.replyError(req, answer.rc, answer.text);
  if (f.op === ForwardOp.ADD) monitor.forwards.add(f.unit, answer.text);
  if (f.op === ForwardOp.REMOVE) monitor.forwards.remove(f.unit, answer.text);
  if (f.op !== ForwardOp.LIST) host.log.info({ monitor: f.id, client: session.id, unit: f.unit, op: f.op, forward: answer.text }, 'forward changed');
  session.reply(req, Rc.OK, Requests.FORWARD.reply.encode(answer.text));
}

/** A helper took CONET0+unit (a restart, or a --force replacement): it gets the run-time forwards
 *  of the unit again, as the table file has them. */
export function replayForwards(host: MonitorHost, monitor: Monitor, module: ModuleId, helper: ClientSession): void {
  if (module < Module.CONET0 || module > Module.CONET_END) return;
  for (const spec of monitor.forwards.specs(module - Module.CONET0)) {
    void helper.call(Calls.FORWARD, { op: ForwardOp.ADD, spec }, FORWARD_CALL_MS).then((a) => {
      if (a.rc === Rc.OK) host.log.info({ monitor: monitor.id, forward: spec }, 'forward replayed');
      else host.log.warn({ monitor: monitor.id, forward: spec, why: a.text }, 'forward not replayed');
    });
  }
}
