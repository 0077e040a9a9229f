// A browser tab that stops reading never stalls the guest (the rule of every console here,
// manager.md): WebConsole drops that tab's output beyond TAB_BACKLOG_LIMIT and counts it, the other
// tab gets everything, and once the stuck tab's connection drains it is told how much it missed and
// gets a full repaint. The guest is a real RV64 program on the real machine writing ~3 MB to hvc0
// through a real manager. The tabs' WebSocket connections run over streams whose far end either
// takes every byte at once or takes nothing until released: a TCP peer that stops reading would
// first fill several MB of kernel buffers, which only makes the same test slower.
import t from 'tap';
import { Module } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { attachConsole } from '@colinux/console-nt';
import { echoConsoleGuest, monitorConfig, startManager } from '@colinux/monitor-core/test/manager-fixtures';
import { until } from '@colinux/daemon/test/helpers';
import { TAB_BACKLOG_LIMIT, WebConsole, WebSocketConnection } from '../src/index.ts';
import { Browser } from './tab-stream.ts';

const LINE = `${'w'.repeat(999)}\n`;
const REPEAT = 3000;

t.test('a stuck tab: the guest and the other tab go on, its drops are counted, then it is repainted', async (t) => {
  const m = await startManager();
  const owner = await ManagerClient.connect({ env: m.rt.env });
  const id = 8101;
  await owner.create(id, monitorConfig());
  const guest = echoConsoleGuest(LINE, REPEAT);
  await owner.loadSection(0, guest.image.length, guest.image);
  const { client } = await attachConsole({ id, force: false, readOnly: false, env: m.rt.env });
  t.teardown(async () => {
    await client.close();
    await owner.close();
    await m.stop();
  });
  const logged: string[] = [];
  const web = new WebConsole(client, id, { readOnly: false, escapeByte: 0x1d, log: (l) => logged.push(l) });
  const fast = new Browser(false);
  const slow = new Browser(true);
  web.addTab(new WebSocketConnection(fast, new Uint8Array(0)));
  web.addTab(new WebSocketConnection(slow, new Uint8Array(0)));

  await owner.start(0);
  // The test guest echoes keystrokes once it has written its lines: the mark comes back after them.
  client.send(Module.CONSOLE, new TextEncoder().encode('END-MARK'));
  const total = LINE.length * REPEAT;
  await until(() => (fast.terminal().includes('END-MARK') ? true : undefined), 120_000, 200);
  const got = fast.terminal().split(LINE).length - 1;
  t.ok(got > REPEAT / 2, `the guest wrote its ${REPEAT} lines to the end; the reading tab showed ${got} of them live`);
  t.equal(slow.received.length, 0, 'the stuck tab took nothing meanwhile');

  slow.release();
  const dropped = await until(() => slow.controls().find((c) => c.type === 'dropped'), 10_000, 20);
  t.ok(Number(dropped.bytes) > total - TAB_BACKLOG_LIMIT - 64 * 1024, `the stuck tab is told that ${dropped.bytes} bytes were dropped for it`);
  t.ok(slow.terminal().split(LINE).length - 1 < got, 'it did not get everything live');
  const afterDrop = await until(
    () => {
      const c = slow.controls();
      return c.slice(c.indexOf(c.find((x) => x.type === 'dropped')!)).find((x) => x.type === 'screen');
    },
    10_000,
    20,
  );
  t.same(afterDrop, { type: 'screen', cols: 80, rows: 25 }, 'and then a full repaint');
  t.match(slow.frames().at(-1)?.payload.toString('latin1'), /END-MARK/, 'the repaint carries the screen as it is now');

  slow.destroy();
  await until(() => (logged.some((l) => /tab 2 closed \(\d+ bytes of output dropped for it\)/.test(l)) ? true : undefined), 10_000, 20);
  t.pass('the drops are logged when the tab closes');
});
