// The commands of colinux-ctl over the manager protocol (control requests, docs/protocol.md).
// JSON field names are part of the interface (docs/ctl.md): add fields, never rename them.
import fs from 'node:fs';
import path from 'node:path';
import {
  ForwardOp,
  ManagerError,
  PowerActionByName,
  Rc,
  moduleName,
  monitorStateName,
  rcName,
  terminationName,
  type MonitorInfo,
  type MonitorStatus,
  type PowerActionName,
} from '@colinux/protocol';
import { ManagerClient, consoleLogName, runtimeDirPath, type TransportName } from '@colinux/client';
import { table } from './table.ts';

export interface Output {
  json: boolean;
  transport: TransportName | undefined;
  write(text: string): void;
}

/** A request the manager (or the situation) refused: exit status 1 with coLinux's co_rc_t name. */
export class Refused extends Error {
  readonly rc: Rc;
  readonly detail: string;
  constructor(rc: Rc, detail: string) {
    super(detail);
    this.rc = rc;
    this.detail = detail;
  }
  get rcName(): string {
    return `CO_RC_${rcName(this.rc)}`;
  }
}

/** How often console-log --follow looks for new output, and whether the monitor still runs. */
const FOLLOW_POLL_MS = 200;
const FOLLOW_ALIVE_CHECK_MS = 1000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The manager's refusal without the client's request-name prefix and rc suffix (shown apart). */
function refusedBy(err: ManagerError): Refused {
  return new Refused(err.rc, err.message.replace(/ \([A-Z_0-9]+\)$/, '').replace(/^[A-Z_]+: /, ''));
}

/** Connects without starting a manager: with none running there is nothing to control. */
async function connect(out: Output): Promise<ManagerClient | undefined> {
  try {
    return await ManagerClient.connect({ transport: out.transport, timeoutMs: 2000 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
    throw new Refused(Rc.ERROR_ACCESSING_DRIVER, `cannot reach the manager: ${(err as Error).message}`);
  }
}

export async function withManager<T>(out: Output, fn: (c: ManagerClient) => Promise<T>): Promise<T> {
  const c = await connect(out);
  if (!c) throw new Refused(Rc.ERROR_ACCESSING_DRIVER, `no manager is running (runtime dir ${runtimeDirPath()})`);
  try {
    await c.status(); // protocol version check: a mismatch is one clear refusal
    return await fn(c);
  } catch (err) {
    if (err instanceof ManagerError) throw refusedBy(err);
    throw err;
  } finally {
    await c.close();
  }
}

function monitorJson(m: MonitorInfo) {
  return { id: m.id, state: monitorStateName(m.state), memoryMiB: m.memoryMiB, ownerPid: m.ownerPid ?? null, createdAt: iso(m.createdAt) };
}

function statusJson(s: MonitorStatus) {
  return {
    id: s.id,
    state: monitorStateName(s.state),
    reason: s.reason === undefined ? null : terminationName(s.reason),
    text: s.text,
    memoryMiB: s.memoryMiB,
    ownerPid: s.ownerPid ?? null,
    createdAt: iso(s.createdAt),
    bootLine: s.bootLine,
    instructions: s.instructions,
    hostMs: s.hostMs,
    droppedFrames: s.droppedFrames,
    droppedToClients: s.droppedToClients,
    jit: s.jit,
    modules: s.modules.map((m) => ({ module: moduleName(m.module), held: m.held, watchers: m.watchers })),
    disks: s.disks.map((d) => ({ unit: d.unit, name: `cobd${d.unit}`, path: d.path, format: d.format, readOnly: d.readOnly })),
    nets: s.nets.map((n) => ({ unit: n.unit, name: `eth${n.unit}`, mac: n.mac, type: n.type })),
  };
}

async function list(out: Output): Promise<void> {
  const c = await connect(out);
  let monitors: MonitorInfo[] = [];
  if (c) {
    try {
      await c.status();
      monitors = await c.list();
    } catch (err) {
      if (err instanceof ManagerError) throw refusedBy(err);
      throw err;
    } finally {
      await c.close();
    }
  }
  if (out.json) return out.write(`${JSON.stringify({ monitors: monitors.map(monitorJson) })}\n`);
  if (monitors.length === 0) return out.write('no monitors\n');
  out.write(
    table(
      ['ID', 'STATE', 'MEMORY', 'OWNER', 'CREATED'],
      monitors.map((m) => [String(m.id), monitorStateName(m.state), `${m.memoryMiB} MiB`, m.ownerPid ? String(m.ownerPid) : '-', iso(m.createdAt)]),
    ),
  );
}

async function status(out: Output, id: number): Promise<void> {
  const s = await withManager(out, (c) => c.monitorStatus(id));
  const j = statusJson(s);
  if (out.json) return out.write(`${JSON.stringify(j)}\n`);
  const rows: string[][] = [
    ['id', String(j.id)],
    ['state', j.reason ? `${j.state} (${j.reason}${j.text ? `: ${j.text}` : ''})` : j.state],
    ['owner', j.ownerPid === null ? '-' : String(j.ownerPid)],
    ['memory', `${j.memoryMiB} MiB`],
    ['created', j.createdAt],
    ['boot line', j.bootLine],
    ['instructions', String(j.instructions)],
    ['dropped', `${j.droppedFrames} frames, ${j.droppedToClients} to clients`],
    [
      'translator',
      `${j.jit.insns} instructions in ${j.jit.entries} entries, ${j.jit.translated} blocks (${j.jit.regions} regions) translated, ${j.jit.dropped} given up, ${j.jit.codeWrites} code writes, ${j.jit.decodeMisses} decode misses, ${j.jit.flushes} flushes, ${j.jit.compileMs} ms compiling`,
    ],
    ['modules', j.modules.map((m) => `${m.module}${m.held ? '' : ' (unheld)'}${m.watchers ? ` +${m.watchers} watching` : ''}`).join(', ') || '-'],
  ];
  for (const d of j.disks) rows.push([d.name, `${d.path} (${d.format}, ${d.readOnly ? 'read-only' : 'read-write'})`]);
  for (const n of j.nets) rows.push([n.name, `${n.type} ${n.mac}`]);
  out.write(table(undefined, rows));
}

async function power(out: Output, id: number, action: PowerActionName): Promise<void> {
  await withManager(out, (c) => c.powerMonitor(id, PowerActionByName[action]));
  out.write(out.json ? `${JSON.stringify({ id, action, requested: true })}\n` : `monitor ${id}: ${action} requested\n`);
}

async function sysrq(out: Output, id: number, key: string): Promise<void> {
  await withManager(out, (c) => c.sysrq(id, key));
  out.write(out.json ? `${JSON.stringify({ id, key, sent: true })}\n` : `monitor ${id}: SysRq ${key} sent\n`);
}

/** The log files of monitor `id`, oldest first: `.N` … `.1`, then the current one. */
function logFiles(id: number): string[] {
  const dir = runtimeDirPath();
  const base = consoleLogName(id);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    // no runtime dir: no logs
  }
  const older = names
    .filter((n) => n.startsWith(`${base}.`) && /^\d+$/.test(n.slice(base.length + 1)))
    .sort((a, b) => Number(b.slice(base.length + 1)) - Number(a.slice(base.length + 1)));
  return [...older, ...(names.includes(base) ? [base] : [])].map((n) => path.join(dir, n));
}

async function monitorAlive(out: Output, id: number): Promise<boolean> {
  const c = await connect(out);
  if (!c) return false;
  try {
    return (await c.list()).some((m) => m.id === id);
  } catch {
    return false;
  } finally {
    await c.close();
  }
}

async function consoleLog(out: Output, id: number, follow: boolean): Promise<void> {
  const files = logFiles(id);
  if (files.length === 0) throw new Refused(Rc.NOT_FOUND, `no console log of monitor ${id} in ${runtimeDirPath()}`);
  const emit = (data: Buffer): void => {
    if (data.length === 0) return;
    out.write(out.json && follow ? `${JSON.stringify({ id, data: data.toString('utf8') })}\n` : data.toString(out.json ? 'utf8' : 'latin1'));
  };
  const current = path.join(runtimeDirPath(), consoleLogName(id));
  const history = Buffer.concat(files.map((f) => fs.readFileSync(f)));
  if (!follow) {
    if (out.json) return out.write(`${JSON.stringify({ id, file: current, text: history.toString('utf8') })}\n`);
    return emit(history);
  }
  emit(history);
  await followLog(out, id, current, files.includes(current) ? fs.statSync(current).size : 0, emit);
}

/** tail -F of the current log until the monitor is gone; a rotation (the file renamed to .1 and
 *  a new one started, console-log.ts) is read to its end before the new file. */
async function followLog(out: Output, id: number, file: string, from: number, emit: (b: Buffer) => void): Promise<void> {
  let fd: number | undefined;
  let ino = -1;
  let at = from;
  const open = (): void => {
    try {
      fd = fs.openSync(file, 'r');
      ino = fs.fstatSync(fd).ino;
    } catch {
      fd = undefined;
    }
  };
  const drain = (): void => {
    if (fd === undefined) return;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const n = fs.readSync(fd, buf, 0, buf.length, at);
      if (n <= 0) return;
      at += n;
      emit(buf.subarray(0, n));
    }
  };
  open();
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  let lastCheck = Date.now();
  let alive = true;
  while (!stop) {
    drain();
    let replaced = false;
    try {
      replaced = fs.statSync(file).ino !== ino;
    } catch {
      // renamed and not yet made again
    }
    if (replaced || fd === undefined) {
      drain();
      if (fd !== undefined) fs.closeSync(fd);
      open();
      at = 0;
      if (fd !== undefined) continue;
    }
    if (!alive) break;
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    if (Date.now() - lastCheck >= FOLLOW_ALIVE_CHECK_MS) {
      lastCheck = Date.now();
      alive = await monitorAlive(out, id); // one more drain after the monitor is gone
    }
  }
  if (fd !== undefined) fs.closeSync(fd);
}

async function diskSnapshot(out: Output, id: number, unit: number, file: string | undefined): Promise<void> {
  const overlay = await withManager(out, (c) => c.diskSnapshot(id, unit, file === undefined ? undefined : path.resolve(file)));
  out.write(out.json ? `${JSON.stringify({ id, unit, name: `cobd${unit}`, overlay })}\n` : `monitor ${id}: cobd${unit} now writes to ${overlay}\n`);
}

/** Offline: the image's lock tells whether a VM still uses it (no manager needed). */
async function diskReset(out: Output, file: string): Promise<void> {
  const { resetOverlay } = await import('@colinux/monitor-core/disk-reset');
  const overlay = path.resolve(file);
  let backing: string;
  try {
    ({ backing } = resetOverlay(overlay));
  } catch (err) {
    throw new Refused(Rc.ERROR, (err as Error).message);
  }
  out.write(out.json ? `${JSON.stringify({ overlay, backing, reset: true })}\n` : `${overlay}: emptied (backing file ${backing})\n`);
}

/** A helper's canonical forward text, `proto:bind:hostport:guestport` ([v6] in brackets; proto
 *  tcp6/udp6 when it goes to the guest's IPv6 address). */
function forwardJson(text: string) {
  const m = /^(tcp|udp)(6?):(\[[^\]]+\]|[^:]+):(\d+):(\d+)$/.exec(text);
  if (!m) return { text };
  return { proto: m[1], v6: m[2] === '6', bind: m[3]!.replace(/^\[|\]$/g, ''), hostPort: Number(m[4]), guestPort: Number(m[5]) };
}

async function forwardList(out: Output, id: number, unit: number): Promise<void> {
  const text = await withManager(out, (c) => c.forward(id, unit, ForwardOp.LIST));
  const rows = text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [forward, origin] = line.split(' ');
      return { ...forwardJson(forward!), origin: origin ?? 'runtime' };
    });
  if (out.json) return out.write(`${JSON.stringify({ id, unit, forwards: rows })}\n`);
  if (rows.length === 0) return out.write(`eth${unit}: no forwards\n`);
  out.write(
    table(
      ['PROTO', 'BIND', 'HOST', 'GUEST', 'FROM'],
      rows.map((r) => [`${r.proto}${r.v6 ? '6' : ''}`, String(r.bind), String(r.hostPort), String(r.guestPort), r.origin]),
    ),
  );
}

async function forwardChange(out: Output, id: number, unit: number, op: 'add' | 'remove', spec: string): Promise<void> {
  const text = await withManager(out, (c) => c.forward(id, unit, op === 'add' ? ForwardOp.ADD : ForwardOp.REMOVE, spec));
  if (out.json) return out.write(`${JSON.stringify({ id, unit, forward: forwardJson(text), [op === 'add' ? 'added' : 'removed']: true })}\n`);
  out.write(`monitor ${id} eth${unit}: ${op === 'add' ? 'forwarding' : 'no longer forwarding'} ${text}\n`);
}

export const commands = { list, status, power, sysrq, consoleLog, diskSnapshot, diskReset, forwardList, forwardChange };
