// A guest flooding its console (issue: the manager grew from 208 to 422 MB under `yes`): the
// shadow screen keeps only what it can parse plus the newest output, and the machine worker
// runs no guest code while the manager has more than OUTPUT_BACKLOG_MAX bytes of its output
// unhandled, so a stalled or slow manager is never buried in queued messages.
import t from 'tap';
import { Module } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { ShadowConsole, TAIL_BYTES } from '../src/manager/shadow-console.ts';
import { ManagerServer } from '../src/index.ts';
import { echoConsoleGuest, monitorConfig, tempRuntime } from './manager-fixtures.ts';

const MiB = 1024 * 1024;

t.test('the shadow screen under a flood faster than it parses: bounded, and it shows the newest output', async (t) => {
  const shadow = new ShadowConsole(80, 25, 500);
  t.teardown(() => shadow.dispose());
  const enc = new TextEncoder();
  const line = enc.encode(`${'y'.repeat(78)}\r\n`);
  const chunk = new Uint8Array(line.length * 1000);
  for (let i = 0; i < 1000; i++) chunk.set(line, i * line.length);
  const heapBefore = process.memoryUsage().heapUsed;
  // 400 MB in one go, without yielding: all of it arrives before xterm parses anything.
  for (let i = 0; i < 5000; i++) shadow.write(chunk.slice());
  shadow.write(enc.encode('\x1b[1mthe last line\x1b[0m\r\n'));
  const grown = process.memoryUsage().heapUsed - heapBefore;
  t.ok(grown < 32 * MiB, `heap grew by ${Math.round(grown / MiB)} MiB for 400 MB of output`);
  t.ok(shadow.skippedBytes >= 400e6 - 2 * TAIL_BYTES, `the middle was skipped (${Math.round(shadow.skippedBytes / MiB)} MiB)`);
  const snap = await shadow.snapshot();
  const text = new TextDecoder().decode(snap.data);
  t.match(text, /the last line/, 'the repaint ends with the newest output');
  t.match(text, /y{78}/, 'with the flood before it');
  t.equal(snap.cursorY, 24);
});

t.test('a stalled manager: the flooding guest waits instead of burying it in messages', async (t) => {
  const rt = tempRuntime();
  const server = await ManagerServer.start({ env: rt.env, logToStderr: false });
  t.teardown(async () => {
    await server.close();
    rt.remove();
  });
  const owner = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => owner.close());
  await owner.create(4400, monitorConfig());
  const viewer = await ManagerClient.connect({ env: rt.env });
  t.teardown(() => viewer.close());
  await viewer.attach(4400, [Module.CONSOLE], { watch: true });
  let seen = 0;
  viewer.on('message', (m: { data: Uint8Array }) => (seen += m.data.length));
  const g = echoConsoleGuest(`${'y'.repeat(2000)}\r\n`, 2_000_000_000);
  await owner.loadSection(0, g.image.length, g.image);
  await owner.start(0);
  while (seen < 2 * MiB) await new Promise((r) => setTimeout(r, 50));
  t.pass('the guest floods its console');

  // The manager's thread is busy for 5 s (as under a load spike): nothing is handled meanwhile.
  // Unbounded, the worker queues 100 MB and more of messages meanwhile; bounded, at most
  // OUTPUT_BACKLOG_MAX (4 MiB) and one batch.
  const before = process.memoryUsage.rss();
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    /* busy */
  }
  const grown = process.memoryUsage.rss() - before;
  t.ok(grown < 48 * MiB, `RSS grew by ${Math.round(grown / MiB)} MiB while the manager was stalled for 5 s`);
  const resumed = seen;
  while (seen < resumed + 2 * MiB) await new Promise((r) => setTimeout(r, 50));
  t.pass('and the guest goes on once the manager handles its output again');
  await owner.closeMonitor();
});
