// The shadow screen and the console log file (docs/colinux.md#console-channel).
import fs from 'node:fs';
import t from 'tap';
import xtermHeadless from '@xterm/headless';
const { Terminal } = xtermHeadless;
type Terminal = InstanceType<typeof Terminal>;
import { ShadowConsole } from '../src/manager/shadow-console.ts';
import { ConsoleLog } from '../src/manager/console-log.ts';
import { Module, MonitorState, PowerAction, Termination } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { echoConsoleGuest, monitorConfig, startManager, tempRuntime } from './manager-fixtures.ts';

function replay(cols: number, rows: number, data: Uint8Array): Promise<Terminal> {
  const term = new Terminal({ cols, rows, scrollback: 1000, allowProposedApi: true });
  return new Promise((resolve) => term.write(data, () => resolve(term)));
}

function rowText(term: Terminal, y: number): string {
  return term.buffer.active.getLine(term.buffer.active.viewportY + y)?.translateToString(true) ?? '';
}

t.test('a repaint reproduces rows, colours, cursor and scrollback', async (t) => {
  const shadow = new ShadowConsole(40, 5, 100);
  t.teardown(() => shadow.dispose());
  const enc = new TextEncoder();
  for (let i = 0; i < 12; i++) shadow.write(enc.encode(`line ${i}\r\n`));
  shadow.write(enc.encode('\x1b[1;31mred\x1b[0m pl'));
  // a UTF-8 character split across two guest writes
  const euro = enc.encode('€');
  shadow.write(euro.subarray(0, 1));
  shadow.write(euro.subarray(1));
  const snap = await shadow.snapshot();
  t.equal(snap.cursorY, 4);
  t.equal(snap.cursorX, 'red pl€'.length);
  const copy = await replay(40, 5, snap.data);
  t.equal(rowText(copy, 4), 'red pl€');
  t.equal(rowText(copy, 3), 'line 11');
  t.equal(
    copy.buffer.active
      .getLine(copy.buffer.active.viewportY + 4)
      ?.getCell(0)
      ?.getFgColor(),
    1,
    'red survives',
  );
  t.equal(copy.buffer.active.getLine(0)?.translateToString(true), 'line 0', 'scrollback survives');
  copy.dispose();
});

t.test('the console log rotates and keeps two older files', async (t) => {
  const rt = tempRuntime();
  t.teardown(() => rt.remove());
  const log = new ConsoleLog(rt.dir, 99, 1000);
  const chunk = new Uint8Array(300).fill(0x41);
  for (let i = 0; i < 12; i++) log.write(chunk);
  log.close();
  const files = fs.readdirSync(rt.dir).sort();
  t.same(files, ['monitor-99.console.log', 'monitor-99.console.log.1', 'monitor-99.console.log.2']);
  t.equal(fs.statSync(`${rt.dir}/monitor-99.console.log`).size, 900);
  t.equal(fs.statSync(`${rt.dir}/monitor-99.console.log.1`).size, 900);
});

t.test('the shadow screen and the log get guest console output with no console attached', async (t) => {
  const m = await startManager();
  t.teardown(() => m.stop());
  const owner = await ManagerClient.connect({ env: m.rt.env });
  t.teardown(() => owner.close());
  await owner.create(7777, monitorConfig({ console: { cols: 60, rows: 10, scrollback: 50 } }));
  const g = echoConsoleGuest('from hvc0\r\n', 30);
  await owner.loadSection(0, g.image.length, g.image);
  await owner.start(0);
  const logFile = `${m.rt.dir}/monitor-7777.console.log`;
  for (let i = 0; i < 200 && !(fs.existsSync(logFile) && fs.statSync(logFile).size >= 330); i++) await new Promise((r) => setTimeout(r, 25));
  t.equal(fs.readFileSync(logFile, 'utf8'), 'from hvc0\r\n'.repeat(30), 'the log has every byte from the first');

  const viewer = await ManagerClient.connect({ env: m.rt.env });
  t.teardown(() => viewer.close());
  await viewer.attach(7777, [Module.CONSOLE], { watch: true });
  const screen = await viewer.getConsoleScreen();
  t.same([screen.cols, screen.rows, screen.scrollback], [60, 10, 50]);
  const copy = await replay(60, 10, screen.data);
  t.equal(copy.buffer.active.length, 31, '30 lines and the cursor line: scrollback included');
  t.equal(rowText(copy, 8), 'from hvc0');

  // POWEROFF: this guest has no power agent, so the manager pulls the plug after the grace time.
  owner.power(PowerAction.POWEROFF);
  let r = await owner.run();
  while (r.state !== MonitorState.TERMINATED) r = await owner.run();
  t.equal(r.reason, Termination.POWEROFF);
  t.match(r.text ?? '', /hard power off/);
  copy.dispose();
});
