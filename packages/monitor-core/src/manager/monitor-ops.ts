// MONITOR ioctl operations (docs/colinux.md#monitor-operations) with coLinux's owner and state rules: loading and
// starting are the owner's and only while INITIALIZED; any bound connection may GET_CONSOLE;
// CLOSE by the owner ends the monitor, by anyone else only detaches that connection.
import { FRAME_HEADER_SIZE, KERNEL_OFFSET_IN_RAM, MonitorOps, MonitorState, Rc, Requests, type Frame } from '@colinux/protocol';
import { collectGarbage } from './collect-garbage.ts';
import type { Monitor } from './monitor.ts';
import type { MonitorHost } from './monitor-host.ts';
import type { ClientSession } from './session.ts';

/** RUN is a long-poll: it answers on termination or after this long with the current state. */
export const RUN_POLL_MS = 2000;

/** Below Buffer.poolSize (8 KiB) a chunk may be a slice of Node's shared pool; keep well clear. */
const MIN_MOVED_SECTION = 64 * 1024;

export async function handleMonitorOp(host: MonitorHost, session: ClientSession, req: Frame): Promise<void> {
  const { op, tail } = Requests.MONITOR.request.decode(req.body);
  const monitor = host.monitor;
  const refused = monitor
    ? monitor.rules.mayOperate(session, op)
    : { rc: Rc.MONITOR_NOT_LOADED, text: 'this connection has not created or attached a monitor' };
  if (refused || !monitor) return session.replyError(req, refused!.rc, refused!.text);
  switch (op) {
    case MonitorOps.LOAD_SECTION.op:
      return loadSection(session, monitor, req, tail);
    case MonitorOps.LOAD_INITRD.op:
      return loadInitrd(session, monitor, req, tail);
    case MonitorOps.START.op:
      return start(session, monitor, req, tail);
    case MonitorOps.RUN.op:
      return run(session, monitor, req);
    case MonitorOps.GET_STATE.op:
      return session.reply(req, Rc.OK, MonitorOps.GET_STATE.reply.encode(monitor.runResult()));
    case MonitorOps.GET_CONSOLE.op: {
      const snap = await monitor.shadow.snapshot();
      const s = monitor.shadow;
      return session.reply(
        req,
        Rc.OK,
        MonitorOps.GET_CONSOLE.reply.encode({
          cols: s.cols,
          rows: s.rows,
          scrollback: s.scrollback,
          cursorX: snap.cursorX,
          cursorY: snap.cursorY,
          data: snap.data,
        }),
      );
    }
    case MonitorOps.RESET.op:
      monitor.reset();
      host.log.info({ monitor: monitor.id }, 'monitor reset');
      return session.reply(req, Rc.OK);
    case MonitorOps.CLOSE.op:
      if (monitor.rules.leave(session) === 'detached') {
        session.monitorId = undefined;
        return session.reply(req, Rc.OK);
      }
      // Answered once the disk images are released: a VM started next on the same image is not
      // refused because this one has not quite let go.
      await host.closeMonitor('closed by its owner');
      return session.reply(req, Rc.OK);
    default:
      // STATUS (4) was never implemented in coLinux either; video and NDIS ops do not apply here.
      return session.replyError(req, Rc.ERROR, `monitor op ${op} is not implemented`);
  }
}

function requireState(session: ClientSession, monitor: Monitor, req: Frame, state: MonitorState, what: string): boolean {
  const refused = monitor.rules.require(state, what);
  if (refused) session.replyError(req, refused.rc, refused.text);
  return !refused;
}

function ramBytes(monitor: Monitor): number {
  return monitor.config.memoryMiB * 1024 * 1024;
}

/** Sections are moved to the worker, not cloned (a clone copies twice). What is moved must be a
 *  buffer holding this frame and nothing else: a frame reassembled from several stream chunks
 *  is (the decoder copies it out), one inside a larger chunk is a view shared with other frames,
 *  and a small one may sit in Node's shared Buffer pool: those are copied first. */
function ownBuffer(req: Frame, data: Uint8Array): Uint8Array {
  const b = data.buffer;
  const wholeFrame = b === req.body.buffer && req.body.byteOffset === FRAME_HEADER_SIZE && b.byteLength === FRAME_HEADER_SIZE + req.body.byteLength;
  return wholeFrame && data.byteLength >= MIN_MOVED_SECTION && b instanceof ArrayBuffer ? data : new Uint8Array(data);
}

function loadSection(session: ClientSession, monitor: Monitor, req: Frame, tail: Uint8Array): void {
  if (!requireState(session, monitor, req, MonitorState.INITIALIZED, 'LOAD_SECTION')) return;
  const s = MonitorOps.LOAD_SECTION.request.decode(tail);
  if (KERNEL_OFFSET_IN_RAM + s.offset + s.size > ramBytes(monitor)) {
    return session.replyError(
      req,
      Rc.TRANSFER_OFF_BOUNDS,
      `section at offset 0x${s.offset.toString(16)} (${s.size} bytes) does not fit in mem=${monitor.config.memoryMiB}`,
    );
  }
  if (s.data) {
    const data = ownBuffer(req, s.data);
    monitor.post({ type: 'load-section', offset: s.offset, size: s.size, data }, [data.buffer as ArrayBuffer]);
  } else monitor.post({ type: 'load-section', offset: s.offset, size: s.size });
  session.reply(req, Rc.OK);
}

function loadInitrd(session: ClientSession, monitor: Monitor, req: Frame, tail: Uint8Array): void {
  if (!requireState(session, monitor, req, MonitorState.INITIALIZED, 'LOAD_INITRD')) return;
  const c = MonitorOps.LOAD_INITRD.request.decode(tail);
  // coLinux refused an initrd reaching within 1 MB of the kernel; half of RAM is our bound,
  // checked before the buffer is allocated.
  if (c.total > ramBytes(monitor) / 2) {
    return session.replyError(req, Rc.TRANSFER_OFF_BOUNDS, `initrd of ${c.total} bytes is larger than half of mem=${monitor.config.memoryMiB}`);
  }
  if (!monitor.initrd || monitor.initrd.data.length !== c.total || c.offset === 0) monitor.initrd = { data: new Uint8Array(c.total), received: 0 };
  monitor.initrd.data.set(c.data, c.offset);
  monitor.initrd.received += c.data.length;
  if (monitor.initrd.received >= c.total) {
    monitor.post({ type: 'load-initrd', data: monitor.initrd.data }, [monitor.initrd.data.buffer as ArrayBuffer]);
    monitor.initrd = undefined;
  }
  session.reply(req, Rc.OK);
}

function start(session: ClientSession, monitor: Monitor, req: Frame, tail: Uint8Array): void {
  const entry = MonitorOps.START.request.decode(tail);
  const refused = monitor.rules.start();
  if (refused) return session.replyError(req, refused.rc, refused.text);
  monitor.post({ type: 'start', entryOffset: entry });
  collectGarbage(); // the image's frames are dead now: tens of MB of buffers per boot
  monitor.stateChanged();
  session.reply(req, Rc.OK);
}

async function run(session: ClientSession, monitor: Monitor, req: Frame): Promise<void> {
  if (monitor.rules.run() === 'wait') await monitor.waitForStateChange(RUN_POLL_MS);
  const refused = monitor.rules.runAnswer();
  if (refused && refused.rc !== Rc.INSTANCE_TERMINATED) return session.replyError(req, refused.rc, refused.text);
  session.reply(req, refused?.rc ?? Rc.OK, MonitorOps.RUN.reply.encode(monitor.runResult()));
}
