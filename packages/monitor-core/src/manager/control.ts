// Control requests (protocol control.ts, docs/protocol.md "Control requests"): colinux-ctl's
// status, power, SysRq and disk snapshots by monitor id. Any client of the runtime dir may send
// them (the dir is 0700, so it is the same user); none of them closes a monitor, which stays the
// owner's (SUSPEND asks the owner first, suspend.ts).
import {
  ControlIoctl, ForwardOp, Module, MonitorState, PowerAction, Rc, decodeDiskSnapshot, decodeForward, decodeMonitorId, encodeForwardCall, encodeText, moduleName, decodeMonitorValue, encodeMonitorStatus, isSysrqKey, monitorStateName, type Frame,
} from '@colinux/protocol';
import type { Monitor } from './monitor.ts';
import type { MonitorHost } from './monitor-host.ts';
import { resume, suspend } from './suspend.ts';
import type { ClientSession } from './session.ts';

/** hvc_console's SysRq hack: ^O, then the key, on the kernel's console (console=hvc0). */
const HVC_SYSRQ_PREFIX = 0x0f;

const POWER_ACTIONS = new Set<number>(Object.values(PowerAction));

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
    case ControlIoctl.MONITOR_STATUS: {
      const monitor = monitorOf(host, session, req, decodeMonitorId(req.body, 'MONITOR_STATUS'));
      if (monitor) session.reply(req, Rc.OK, encodeMonitorStatus(monitor.status()));
      return;
    }
    case ControlIoctl.POWER: {
      const { id, value } = decodeMonitorValue(req.body, 'POWER');
      if (!POWER_ACTIONS.has(value)) return session.replyError(req, Rc.INVALID_PARAMETER, `unknown power action ${value}`);
      const monitor = monitorOf(host, session, req, id);
      if (!monitor || !running(session, req, monitor)) return;
      monitor.power(value);
      host.log.info({ monitor: id, client: session.id, action: value }, 'power request');
      return session.reply(req, Rc.OK);
    }
    case ControlIoctl.SYSRQ: {
      const { id, value } = decodeMonitorValue(req.body, 'SYSRQ');
      if (!isSysrqKey(value)) return session.replyError(req, Rc.INVALID_PARAMETER, `SysRq key ${value} is not one printable ASCII character`);
      const monitor = monitorOf(host, session, req, id);
      if (!monitor || !running(session, req, monitor)) return;
      const data = new Uint8Array([HVC_SYSRQ_PREFIX, value]);
      monitor.post({ type: 'message', module: Module.CONSOLE, data }, [data.buffer]);
      host.log.info({ monitor: id, client: session.id, key: String.fromCharCode(value) }, 'sysrq');
      return session.reply(req, Rc.OK);
    }
    case ControlIoctl.DISK_SNAPSHOT: {
      const r = decodeDiskSnapshot(req.body);
      const monitor = monitorOf(host, session, req, r.id);
      if (!monitor) return;
      try {
        const file = await monitor.snapshotDisk(r.unit, r.file);
        host.log.info({ monitor: r.id, client: session.id, unit: r.unit, file }, 'disk snapshot');
        return session.reply(req, Rc.OK, encodeText(file));
      } catch (err) {
        return session.replyError(req, Rc.ERROR, (err as Error).message);
      }
    }
    case ControlIoctl.FORWARD:
      return forward(host, session, req);
    case ControlIoctl.SUSPEND:
      return suspend(host, session, req);
    case ControlIoctl.RESUME:
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
  const f = decodeForward(req.body);
  const monitor = monitorOf(host, session, req, f.id);
  if (!monitor) return;
  if (f.unit > Module.CONET_END - Module.CONET0) return session.replyError(req, Rc.INVALID_PARAMETER, `network unit ${f.unit} outside 0..${Module.CONET_END - Module.CONET0}`);
  const module = Module.CONET0 + f.unit;
  const helper = monitor.slots.get(module);
  if (!helper) return session.replyError(req, Rc.NOT_FOUND, `no helper holds ${moduleName(module)} of monitor ${f.id}`);
  const answer = await helper.call(ControlIoctl.FORWARD, encodeForwardCall(f.op, f.spec), FORWARD_CALL_MS);
  if (answer.rc === undefined) return session.replyError(req, Rc.TIMEOUT, `${moduleName(module)}: ${answer.text}`);
  if (answer.rc < 0) return session.replyError(req, answer.rc, answer.text);
  if (f.op === ForwardOp.ADD) monitor.forwards.add(f.unit, answer.text);
  if (f.op === ForwardOp.REMOVE) monitor.forwards.remove(f.unit, answer.text);
  if (f.op !== ForwardOp.LIST) host.log.info({ monitor: f.id, client: session.id, unit: f.unit, op: f.op, forward: answer.text }, 'forward changed');
  session.reply(req, Rc.OK, encodeText(answer.text));
}

/** A helper took CONET0+unit (a restart, or a --force replacement): it gets the run-time forwards
 *  of the unit again, as the table file has them. */
export function replayForwards(host: MonitorHost, monitor: Monitor, module: number, helper: ClientSession): void {
  if (module < Module.CONET0 || module > Module.CONET_END) return;
  for (const spec of monitor.forwards.specs(module - Module.CONET0)) {
    void helper.call(ControlIoctl.FORWARD, encodeForwardCall(ForwardOp.ADD, spec), FORWARD_CALL_MS).then((a) => {
      if (a.rc === Rc.OK) host.log.info({ monitor: monitor.id, forward: spec }, 'forward replayed');
      else host.log.warn({ monitor: monitor.id, forward: spec, why: a.text }, 'forward not replayed');
    });
  }
}
