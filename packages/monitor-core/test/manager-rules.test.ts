// coLinux's owner and state rules (docs/colinux.md#monitor-operations), and the routing fixes: no spoofed `from`,
// refusal or explicit takeover of a held module, end-of-monitor for all when the owner goes.
import net from 'node:net';
import t from 'tap';
import {
  FrameDecoder,
  FrameKind,
  ManagerError,
  ManagerIoctl,
  Module,
  MonitorState,
  PROTOCOL_VERSION,
  PowerAction,
  Rc,
  Termination,
  decodeStatusVersion,
  encodeFrame,
  encodeStatusRequest,
  serialModule,
  type Frame,
} from '@colinux/protocol';
import { ManagerClient, endpointPath } from '@colinux/client';
import { monitorConfig, printingGuest, startManager } from './manager-fixtures.ts';

async function errOf(p: Promise<unknown>): Promise<ManagerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ManagerError)) throw new Error(`expected a ManagerError, got ${String(err)}`);
  return err;
}

async function rcOf(p: Promise<unknown>): Promise<number> {
  return (await errOf(p)).rc;
}

async function runToEnd(c: ManagerClient): Promise<{ state: number; reason?: number }> {
  let r = await c.run();
  while (r.state !== MonitorState.TERMINATED) r = await c.run();
  return r;
}

t.test('owner and state rules', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const env = m.rt.env;
  const owner = await ManagerClient.connect({ env });
  const other = await ManagerClient.connect({ env });
  t.teardown(async () => {
    await other.close();
    await owner.close();
  });

  t.equal(await rcOf(other.getState()), Rc.MONITOR_NOT_LOADED, 'a monitor op before CREATE/ATTACH');
  t.equal(await rcOf(other.attach(2001, [Module.CONSOLE])), Rc.ERROR, 'ATTACH to a missing monitor');
  await owner.create(2001, monitorConfig());
  t.equal(await rcOf(other.create(2001, monitorConfig())), Rc.ERROR, 'CREATE of an existing id');
  t.equal(await rcOf(other.run()), Rc.MONITOR_NOT_LOADED);

  await other.attach(2001, [Module.CONSOLE]);
  const g = printingGuest('x\n', 3);
  for (const [name, p] of [
    ['LOAD_SECTION', other.loadSection(0, g.image.length, g.image)],
    ['LOAD_INITRD', other.loadInitrd(new Uint8Array(16))],
    ['START', other.start(0)],
    ['RUN', other.run()],
    ['GET_STATE', other.getState()],
    ['RESET', other.reset()],
  ] as const) {
    t.equal(await rcOf(p), Rc.ERROR, `${name} is the owner's`);
  }
  t.equal((await other.getConsoleScreen()).cols, 80, 'GET_CONSOLE is open to every attached client');

  t.equal(await rcOf(owner.run()), Rc.ERROR, 'RUN before START');
  t.equal(await rcOf(owner.loadSection(16 * 1024 * 1024, 4096)), Rc.TRANSFER_OFF_BOUNDS, 'a section beyond mem=');
  t.equal(await rcOf(owner.loadInitrd(new Uint8Array(9 * 1024 * 1024))), Rc.TRANSFER_OFF_BOUNDS, 'an initrd above half of RAM');
  await owner.loadInitrd(new Uint8Array(3 * 1024 * 1024 + 5)); // three chunks and a tail
  await owner.loadSection(0, g.image.length, g.image);
  await owner.start(0);
  t.equal(await rcOf(owner.start(0)), Rc.ERROR, 'START twice');
  t.equal(await rcOf(owner.loadSection(0, 4)), Rc.ERROR, 'LOAD_SECTION after START');
  const r = await runToEnd(owner);
  t.equal(r.reason, Termination.POWEROFF);
  t.equal(await rcOf(owner.loadSection(0, 4)), Rc.ERROR, 'LOAD_SECTION while TERMINATED');
  t.equal((await owner.list())[0]?.state, MonitorState.TERMINATED);
});

t.test('malformed requests are answered with INVALID_PARAMETER', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const c = await ManagerClient.connect({ env: m.rt.env });
  t.teardown(() => c.close());
  const bad = await errOf(c.create(3001, monitorConfig({ memoryMiB: 0 })));
  t.equal(bad.rc, Rc.INVALID_PARAMETER);
  t.match(bad.message, /memoryMiB/);
  const badMac = await errOf(c.create(3001, monitorConfig({ netDevices: [{ unit: 0, mac: 'zz', type: 'slirp' }] })));
  t.match(badMac.message, /netDevices\[0\]\.mac/);
  await c.create(3001, monitorConfig());
  const other = await ManagerClient.connect({ env: m.rt.env });
  t.teardown(() => other.close());
  t.equal(await rcOf(other.attach(3001, [Module.LINUX])), Rc.INVALID_PARAMETER, 'module LINUX is not attachable');
  t.equal(await rcOf(other.attach(3001, [Module.COBD0])), Rc.INVALID_PARAMETER, 'in-manager modules are not attachable');
  t.equal(
    await rcOf(
      other.attach(
        3001,
        Array.from({ length: 17 }, (_, i) => serialModule(i)),
      ),
    ),
    Rc.INVALID_PARAMETER,
    'more than 16 modules',
  );
  t.equal(await rcOf(other.attach(3001, [])), Rc.INVALID_PARAMETER, 'no module');
});

t.test('a client sends only as modules it attached', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const env = m.rt.env;
  const owner = await ManagerClient.connect({ env });
  await owner.create(4001, monitorConfig({ netDevices: [{ unit: 0, mac: '02:00:00:00:00:01', type: 'slirp' }] }));
  const net = await ManagerClient.connect({ env });
  await net.attach(4001, [Module.CONET0]);
  t.teardown(async () => {
    await net.close();
    await owner.close();
  });
  const refusals: ManagerError[] = [];
  net.on('refused', (e: ManagerError) => refusals.push(e));
  owner.on('refused', (e: ManagerError) => refusals.push(e));

  net.send(Module.CONET0, new Uint8Array(60)); // its own module: accepted
  net.send(Module.CONSOLE, new Uint8Array([0x61])); // spoofed
  net.power(PowerAction.POWEROFF); // only the owner or the console may send power requests
  owner.send(Module.SERIAL0, new Uint8Array([0x62])); // the owner does not hold serial0
  owner.power(PowerAction.CTRL_ALT_DEL); // the owner may
  await net.status();
  await owner.status();
  t.equal(refusals.length, 3);
  t.ok(refusals.every((e) => e.rc === Rc.ACCESS_DENIED));
  t.match(refusals.map((e) => e.message).sort(), [/from console refused/, /from daemon refused/, /from serial0 refused/]);
});

t.test('a held module is refused to a second client unless it takes over', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const env = m.rt.env;
  const owner = await ManagerClient.connect({ env });
  await owner.create(5001, monitorConfig());
  const first = await ManagerClient.connect({ env });
  const second = await ManagerClient.connect({ env });
  t.teardown(async () => {
    await first.close();
    await second.close();
    await owner.close();
  });
  await first.attach(5001, [Module.PRINTK]);
  const err = await errOf(second.attach(5001, [Module.PRINTK]));
  t.equal(err.rc, Rc.ACCESS_DENIED);
  t.match(err.message, /held by another client/);

  const firstEnded = new Promise<[string, string]>((resolve) => first.on('end', (cause: string, detail: string) => resolve([cause, detail])));
  await second.attach(5001, [Module.PRINTK], { force: true });
  const [cause, detail] = await firstEnded;
  t.equal(cause, 'taken-over');
  t.match(detail, /printk of monitor 5001/);

  let toFirst = 0;
  let toSecond = 0;
  first.on('message', (msg) => (toFirst += msg.data.length));
  second.on('message', (msg) => (toSecond += msg.data.length));
  const g = printingGuest('0123456789\n', 100);
  await owner.loadSection(0, g.image.length, g.image);
  await owner.start(0);
  await runToEnd(owner);
  await first.status();
  await second.status();
  t.equal(toSecond, 1100, 'the new holder gets everything');
  t.equal(toFirst, 0, 'the displaced client gets nothing');

  // A watcher (console-nt --read-only) sees output without holding the module.
  await first.attach(5001, [Module.PRINTK], { watch: true });
  t.pass('watching a held module is allowed');
});

t.test('a non-owner CLOSE detaches only that client; the owner leaving ends the monitor for all', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const env = m.rt.env;
  const owner = await ManagerClient.connect({ env });
  await owner.create(6001, monitorConfig());
  const a = await ManagerClient.connect({ env });
  await a.attach(6001, [Module.CONSOLE]);
  await a.closeMonitor();
  t.equal((await a.list()).length, 1, 'the monitor stays');
  const b = await ManagerClient.connect({ env });
  await b.attach(6001, [Module.CONSOLE]); // free again, no force needed
  const c = await ManagerClient.connect({ env });
  await c.attach(6001, [Module.SERIAL0, Module.CONET0]);
  const ends = [b, c].map((x) => new Promise<string>((resolve) => x.on('end', (cause: string) => resolve(cause))));
  const monitorPid = (await owner.status()).pid; // the monitor's own process
  t.not(monitorPid, process.pid, 'the monitor runs in a process of its own');
  await owner.close(); // the owner process goes away
  t.same(await Promise.all(ends), ['monitor-closed', 'monitor-closed']);
  t.same(await a.list(), [], 'the monitor is freed');
  t.equal(m.server.monitors.size, 0);
  const deadline = Date.now() + 10_000;
  while (alive(monitorPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.notOk(alive(monitorPid), 'the monitor process has exited');
  for (const x of [a, b, c]) await x.close();
});

t.test('RESET keeps attachments: a reboot runs the guest again for the same clients', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const env = m.rt.env;
  const owner = await ManagerClient.connect({ env });
  await owner.create(7001, monitorConfig());
  const printk = await ManagerClient.connect({ env });
  await printk.attach(7001, [Module.PRINTK]);
  t.teardown(async () => {
    await printk.close();
    await owner.close();
  });
  let text = '';
  printk.on('message', (msg) => (text += Buffer.from(msg.data).toString()));
  for (const word of ['first\n', 'second\n']) {
    const g = printingGuest(word, 2);
    await owner.loadSection(0, g.image.length, g.image);
    await owner.start(0);
    await runToEnd(owner);
    await owner.reset();
    t.same(await owner.getState(), { state: MonitorState.INITIALIZED });
  }
  await printk.status();
  t.equal(text, 'first\nfirst\nsecond\nsecond\n');
});

t.test('the manager refuses a client of another protocol version and says so', async (t) => {
  const m = await startManager('net');
  t.teardown(() => m.stop());
  const lines: string[] = [];
  const unsubscribe = m.server.subscribeLog((l) => lines.push(l));
  t.teardown(unsubscribe);
  const s = net.connect({ path: endpointPath(m.rt.env) });
  await new Promise((resolve) => s.once('connect', resolve));
  const reply = new Promise<Frame>((resolve) => {
    const d = new FrameDecoder();
    s.on('data', (chunk) => d.push(chunk).forEach(resolve));
  });
  s.write(encodeFrame(FrameKind.REQUEST, ManagerIoctl.STATUS, 5, 0, encodeStatusRequest(PROTOCOL_VERSION + 1)));
  const f = await reply;
  s.destroy();
  t.equal(f.rc, Rc.VERSION_MISMATCHED);
  t.equal(decodeStatusVersion(f.body), PROTOCOL_VERSION, 'the reply still says which version the manager speaks');
  t.ok(
    lines.some((l) => l.includes(`client speaks protocol version ${PROTOCOL_VERSION + 1}`)),
    'logged on the manager side',
  );
});

t.test('a machine error while loading ends the monitor with the reason', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const owner = await ManagerClient.connect({ env: m.rt.env });
  t.teardown(() => owner.close());
  await owner.create(9101, monitorConfig({ firmwarePath: '/nonexistent/firmware.bin' }));
  const g = printingGuest('x\n', 1);
  await owner.loadSection(0, g.image.length, g.image);
  await owner.start(0).catch(() => {});
  let r = await owner.getState();
  for (let i = 0; i < 100 && r.state !== MonitorState.TERMINATED; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    r = await owner.getState();
  }
  t.equal(r.state, MonitorState.TERMINATED);
  t.equal(r.reason, Termination.FORCED_END);
  t.match(r.text ?? '', /^machine/, `says why: ${r.text}`);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
