// What one connection may cost the manager (session.ts ClientLimits), probed from outside with raw
// sockets as an abusive client would: replies it never reads, a half-sent frame, idle
// connections by the hundred, watchers beyond the cap. The manager keeps its memory and keeps
// serving the owner and its helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  AttachFlag,
  FRAME_HEADER_SIZE,
  FrameKind,
  ManagerError,
  ManagerIoctl,
  Module,
  MonitorOp,
  Rc,
  encodeAttach,
  encodeFrame,
  encodeMonitorOp,
} from '@colinux/protocol';
import { ManagerClient, endpointPath, monitorEndpointPath, waitForManager } from '@colinux/client';
import { ManagerServer } from '../src/index.ts';
import { echoConsoleGuest, monitorConfig, tempRuntime } from './manager-fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/colinux-monitor-core.js', import.meta.url));
const MiB = 1024 * 1024;

function rawConnect(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the manager has closed `s`; rejects after `ms`. */
function closed(s: net.Socket, ms = 10_000): Promise<void> {
  if (s.destroyed || s.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the manager did not close the connection within ${ms} ms`)), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const attachFrame = (id: number, seq: number): Uint8Array =>
  encodeFrame(FrameKind.REQUEST, ManagerIoctl.ATTACH, seq, 0, encodeAttach({ id, modules: [Module.CONSOLE], flags: AttachFlag.WATCH }));
const getConsoleFrame = (seq: number): Uint8Array => encodeFrame(FrameKind.REQUEST, ManagerIoctl.MONITOR, seq, 0, encodeMonitorOp(MonitorOp.GET_CONSOLE));

t.test("a client that never reads its replies: 5,000 GET_CONSOLE leave the monitor process's memory bounded", async (t) => {
  const rt = tempRuntime();
  const child: ChildProcess = spawn(process.execPath, [BIN, '--serve'], { env: { ...rt.env, COLINUX_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rt.remove();
  });
  t.ok(await waitForManager(rt.env, 15000));
  const owner = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => owner.close());
  await owner.create(4100, monitorConfig({ console: { cols: 200, rows: 50, scrollback: 500 } }));
  const g = echoConsoleGuest(`${'x'.repeat(190)}\r\n`, 600);
  await owner.loadSection(0, g.image.length, g.image);
  await owner.start(0);
  const viewer = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => viewer.close());
  await viewer.attach(4100, [Module.CONSOLE], { watch: true });
  let replyBytes = 0;
  for (let i = 0; i < 400 && replyBytes < 100_000; i++) {
    replyBytes = (await viewer.getConsoleScreen()).data.length;
    await new Promise((r) => setTimeout(r, 25));
  }
  t.ok(5000 * replyBytes > 400 * MiB, `each reply is ${replyBytes} bytes: unbounded, 5,000 of them would take ${Math.round((5000 * replyBytes) / MiB)} MiB`);
  const before = (await owner.status()).rssBytes;

  // At the monitor's own endpoint, where its console is served (the manager only names it).
  const raw = await rawConnect(monitorEndpointPath(rt.env, 4100));
  raw.pause(); // never reads
  t.teardown(() => raw.destroy());
  raw.write(attachFrame(4100, 1));
  const requests = Buffer.concat(Array.from({ length: 5000 }, (_, i) => getConsoleFrame(i + 2)));
  raw.write(requests);
  // Sampled for 12 s. Bounded, the manager makes the replies that fit MAX_PENDING_BYTES (~40
  // here) and then stops reading the client: RSS rises once (the garbage of making those
  // replies: V8 grows its heap before collecting) and stays. Unbounded it keeps serving all 5,000
  // and RSS climbs all along (~200 MiB in these 12 s, ~500 MiB by the end).
  let peak = before;
  let settled = 0;
  for (let i = 1; i <= 48; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const rss = (await owner.status()).rssBytes;
    peak = Math.max(peak, rss);
    if (i === 16) settled = peak;
  }
  // owner.status() is the monitor process's (the owner follows it): its RSS.
  t.ok(peak - before < 128 * MiB, `monitor process RSS grew by ${Math.round((peak - before) / MiB)} MiB in 12 s (bound 128 MiB)`);
  t.ok(peak - settled < 24 * MiB, `and by ${Math.round((peak - settled) / MiB)} MiB in the last 8 s (bound 24 MiB): it does not keep growing`);
  t.equal((await owner.list()).length, 1, 'the manager still serves its owner');

  // Nothing was dropped: once the client reads, the replies flow again (the first 100 suffice).
  let received = 0;
  raw.on('data', (b: Buffer) => (received += b.length));
  raw.resume();
  const want = 100 * (FRAME_HEADER_SIZE + replyBytes);
  for (let i = 0; i < 600 && received < want; i++) await new Promise((r) => setTimeout(r, 100));
  t.ok(received >= want, `the client that reads at last gets its replies (${Math.round(received / MiB)} MiB)`);
  raw.destroy();
  await owner.closeMonitor();
});

t.test('a half-sent frame is dropped after its timeout; idle connections cannot lock clients out', async (t) => {
  const rt = tempRuntime();
  const server = await ManagerServer.start({ env: rt.env, logToStderr: false, limits: { frameMs: 300, idleMs: 800, unbound: 20 } });
  t.teardown(async () => {
    await server.close();
    rt.remove();
  });
  const socketPath = endpointPath(rt.env);

  const half = await rawConnect(socketPath);
  const header = encodeFrame(FrameKind.REQUEST, ManagerIoctl.STATUS, 1, 0, new Uint8Array(0));
  new DataView(header.buffer, header.byteOffset).setUint32(0, 4 * MiB, true); // announces 4 MiB of body
  half.write(header);
  half.write(Buffer.alloc(MiB));
  await closed(half, 5000);
  t.pass('the connection with a half-sent 4 MiB frame was closed');

  const idle = await Promise.all(Array.from({ length: 100 }, () => rawConnect(socketPath)));
  t.teardown(() => idle.forEach((s) => s.destroy()));
  const helper = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => helper.close());
  const owner = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => owner.close());
  await owner.create(4200, monitorConfig());
  await helper.attach(4200, [Module.SERIAL0]);
  t.pass('with 100 idle connections open, an owner and a helper connect and attach');
  await Promise.all(idle.map((s) => closed(s)));
  t.pass('every idle connection was closed');
  await new Promise((r) => setTimeout(r, 1500));
  t.same(
    (await helper.list()).map((m) => m.id),
    [4200],
    'connections bound to a monitor are never idle-closed',
  );
  await owner.closeMonitor();
});

t.test("watchers are capped per monitor; the owner's helpers still find room", async (t) => {
  const rt = tempRuntime();
  const server = await ManagerServer.start({ env: rt.env, logToStderr: false, limits: { watchers: 2 } });
  t.teardown(async () => {
    await server.close();
    rt.remove();
  });
  const clients: ManagerClient[] = [];
  t.teardown(() => Promise.all(clients.map((c) => c.close())));
  const connect = async (): Promise<ManagerClient> => {
    const c = await ManagerClient.connect({ env: rt.env });
    clients.push(c);
    return c;
  };
  const owner = await connect();
  await owner.create(4300, monitorConfig());
  await (await connect()).attach(4300, [Module.CONSOLE], { watch: true });
  await (await connect()).attach(4300, [Module.CONSOLE], { watch: true });
  const third = await connect();
  const err = await third.attach(4300, [Module.CONSOLE], { watch: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof ManagerError && err.rc === Rc.ACCESS_DENIED, 'a third watcher is refused');
  t.match((err as Error).message, /monitor 4300 already has 2 watching clients/);
  await (await connect()).attach(4300, [Module.CONSOLE]);
  await (await connect()).attach(4300, [Module.SERIAL0]);
  t.pass('the console and a helper still attach');
  await owner.closeMonitor();
});
