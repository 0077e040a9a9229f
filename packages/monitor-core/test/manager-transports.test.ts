// The same client/server behaviour over both transports (node-ipc raw mode and node:net).
import t from 'tap';
import { ManagerError, Module, MonitorState, PROTOCOL_VERSION, Rc, Termination } from '@colinux/protocol';
import { ManagerClient, type TransportName } from '@colinux/client';
import { monitorConfig, printingGuest, startManager, tempRuntime } from './manager-fixtures.ts';

for (const transport of ['node-ipc', 'net'] as TransportName[]) {
  t.test(`over ${transport}`, async (t) => {
    const m = await startManager(transport);
    t.teardown(() => m.stop());
    const env = m.rt.env;

    t.test('STATUS reports version, state, pid and no monitors', async (t) => {
      const c = await ManagerClient.connect({ env, transport });
      const s = await c.status();
      t.equal(s.protocolVersion, PROTOCOL_VERSION);
      t.equal(s.state, 4, 'INITIALIZED');
      t.equal(s.pid, process.pid);
      t.equal(s.monitorCount, 0);
      t.same(await c.list(), []);
      await c.close();
    });

    t.test('a guest boots: PRINTK output reaches the attached client, RUN reports POWEROFF', async (t) => {
      const owner = await ManagerClient.connect({ env, transport });
      await owner.create(1001, monitorConfig());
      const list = await owner.list();
      t.equal(list.length, 1);
      t.equal(list[0]?.id, 1001);
      t.equal(list[0]?.ownerPid, 1001);
      t.equal((await owner.info()).hostmemUsed, 16 * 1024 * 1024);

      const printk = await ManagerClient.connect({ env, transport });
      await printk.attach(1001, [Module.PRINTK]);
      const chunks: Uint8Array[] = [];
      printk.on('message', (msg) => {
        t.equal(msg.from, Module.LINUX);
        t.equal(msg.to, Module.PRINTK);
        chunks.push(msg.data);
      });
      const line = 'line from a real RV64 guest\n';
      const guest = printingGuest(line, 300);
      await owner.loadSection(0, guest.image.length, guest.image);
      await owner.start(guest.entry);
      let r = await owner.run();
      while (r.state !== MonitorState.TERMINATED) r = await owner.run();
      t.equal(r.reason, Termination.POWEROFF);
      t.same(await owner.getState(), { state: MonitorState.TERMINATED, reason: Termination.POWEROFF });
      // Output is posted before 'terminated', on the same path; a STATUS round trip on the
      // printk connection orders us after everything the manager sent it.
      await printk.status();
      const text = Buffer.concat(chunks).toString();
      t.equal(text, line.repeat(300), 'every byte, in order');

      const ended = new Promise<string>((resolve) => printk.on('end', (cause: string) => resolve(cause)));
      await owner.closeMonitor();
      t.equal(await ended, 'monitor-closed');
      t.same(await owner.list(), []);
      await printk.close();
      await owner.close();
    });

    t.test('a second CREATE on one connection is refused', async (t) => {
      const c = await ManagerClient.connect({ env, transport });
      await c.create(1002, monitorConfig());
      const err = await c.create(1003, monitorConfig()).catch((e: unknown) => e);
      t.ok(err instanceof ManagerError);
      t.equal((err as ManagerError).rc, Rc.ERROR);
      t.match((err as Error).message, /already belongs to monitor 1002/);
      await c.close();
    });

    t.test('DEBUG_READER streams the manager log', async (t) => {
      const reader = await ManagerClient.connect({ env, transport });
      const lines = reader.debugLog()[Symbol.asyncIterator]();
      await reader.status(); // the DEBUG_READER request is processed before this one
      const c = await ManagerClient.connect({ env, transport });
      await c.create(1004, monitorConfig());
      let found = false;
      for (let i = 0; i < 50 && !found; i++) {
        const { value } = await lines.next();
        const entry = JSON.parse(value as string) as { msg: string; monitor?: number };
        found = entry.msg === 'monitor created' && entry.monitor === 1004;
      }
      t.ok(found, 'saw the monitor-created log line');
      await c.close();
      await reader.close();
    });
  });
}

t.test('connect rejects with ENOENT when no manager serves the runtime dir', async (t) => {
  const rt = tempRuntime();
  t.teardown(() => rt.remove());
  for (const transport of ['node-ipc', 'net'] as TransportName[]) {
    const err = (await ManagerClient.connect({ env: rt.env, transport }).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    t.equal(err.code, 'ENOENT', transport);
  }
});
