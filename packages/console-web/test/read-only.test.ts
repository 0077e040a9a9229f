// colinux-console-web --read-only beside a console that holds the monitor's console: its tabs are
// told they are read-only, cannot take over, their keys and power requests reach nothing, and a
// detach from a tab only ends the watch. The guest is a real RV64 program on the real machine that
// echoes what reaches it; the tabs are WebSocket connections over in-process streams (tab-stream.ts).
import t from 'tap';
import { Module } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { attachConsole } from '@colinux/console-nt';
import { echoConsoleGuest, monitorConfig, startManager } from '@colinux/monitor-core/test/manager-fixtures';
import { until } from '@colinux/daemon/test/helpers';
import { WebConsole, WebSocketConnection } from '../src/index.ts';
import { Browser } from './tab-stream.ts';

t.test('--read-only: watch only, whatever the tab asks', async (t) => {
  const m = await startManager();
  const owner = await ManagerClient.connect({ env: m.rt.env });
  const id = 8102;
  await owner.create(id, monitorConfig());
  const guest = echoConsoleGuest('read-only test guest\r\n', 1);
  await owner.loadSection(0, guest.image.length, guest.image);
  await owner.start(0);
  const holder = await attachConsole({ id, force: false, readOnly: false, env: m.rt.env });
  let echoed = '';
  holder.client.on('message', (msg) => (echoed += Buffer.from(msg.data).toString('latin1')));
  const { client } = await attachConsole({ id, force: false, readOnly: true, env: m.rt.env });
  t.teardown(async () => {
    await client.close();
    await holder.client.close();
    await owner.close();
    await m.stop();
  });
  const logged: string[] = [];
  const web = new WebConsole(client, id, { readOnly: true, escapeByte: 0x1d, log: (l) => logged.push(l) });
  const tab = new Browser(false);
  web.addTab(new WebSocketConnection(tab, new Uint8Array(0)));
  const control = (type: string, after = 0) =>
    until(
      () =>
        tab
          .controls()
          .slice(after)
          .find((c) => c.type === type),
      10_000,
      20,
    );

  t.same(await control('state'), { type: 'state', writer: false, canTakeOver: false, text: 'read-only (--read-only)' });
  await until(() => (tab.terminal().includes('read-only test guest') ? true : undefined), 10_000, 20);
  t.pass('the tab shows the guest console');

  let seen = tab.controls().length;
  tab.request({ type: 'take-over' });
  t.match(await control('notice', seen), { text: /--read-only: this console never types/ });
  seen = tab.controls().length;
  tab.request({ type: 'menu', key: 'p' });
  t.match(await control('notice', seen), { text: 'read-only: nothing sent' });
  tab.keys('from-the-watcher');
  holder.client.send(Module.CONSOLE, new TextEncoder().encode('from-the-holder'));
  await until(() => (echoed.includes('from-the-holder') ? true : undefined), 10_000, 20);
  await until(() => (tab.terminal().includes('from-the-holder') ? true : undefined), 10_000, 20);
  t.notMatch(echoed + tab.terminal(), /from-the-watcher/, 'the keys typed in the read-only tab reached nothing');
  t.equal(owner.monitorId, id, 'the power request did not end the monitor');

  tab.request({ type: 'menu', key: 'd' });
  const end = await web.done;
  t.same(end, { code: 0, line: `tab 1, detached from monitor ${id}` });
  t.match(await control('end'), { text: /detached from monitor/ });
  t.same(
    (await owner.list()).map((x) => x.id),
    [id],
    'the guest runs on',
  );
});
