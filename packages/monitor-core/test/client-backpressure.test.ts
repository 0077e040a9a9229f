// ManagerClient towards a peer that stops reading: a helper attached to a monitor whose process is
// stopped (SIGSTOP) keeps at most MAX_PENDING_BYTES unsent; further message records are dropped and
// counted (droppedMessages), as the manager drops guest output to a slow client. Once the monitor
// runs again the same connection works.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { MAX_PENDING_BYTES, MAX_RECORD_DATA, Module } from '@colinux/protocol';
import { ManagerClient, waitForManager } from '@colinux/client';
import { monitorConfig, tempRuntime } from './manager-fixtures.ts';

const BIN = fileURLToPath(new URL('../bin/colinux-monitor-core.js', import.meta.url));
/** The largest record payload send() takes (a frame-sized message). */
const CHUNK = 60_000;
/** 24 MB offered: six times the bound. */
const RECORDS = 400;

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await gone;
}

t.test('a helper sending to a stopped monitor process stays bounded, drops and counts, and works again after', async (t) => {
  const rt = tempRuntime();
  const manager = spawn(process.execPath, [BIN, '--serve'], { env: { ...rt.env, COLINUX_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  let stopped: number | undefined;
  t.teardown(async () => {
    if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
    await stopChild(manager);
    rt.remove();
  });
  t.ok(await waitForManager(rt.env, 15000), 'the manager answers');

  const owner = await ManagerClient.connect({ env: rt.env });
  await owner.create(7001, monitorConfig());
  const helper = await ManagerClient.connect({ env: rt.env });
  await helper.attach(7001, [Module.CONSOLE]);
  const monitorPid = (await helper.status()).pid;
  t.not(monitorPid, manager.pid, "the helper talks to the monitor's own process");

  process.kill(monitorPid, 'SIGSTOP');
  stopped = monitorPid;
  t.ok(CHUNK < MAX_RECORD_DATA, 'each record is one allowed message');
  const data = new Uint8Array(CHUNK).fill(0x61);
  for (let i = 0; i < RECORDS; i++) helper.send(Module.CONSOLE, data);
  const unsent = helper.unsentBytes;
  t.ok(unsent <= MAX_PENDING_BYTES + CHUNK + 64, `unsent bytes bounded: ${unsent} (limit ${MAX_PENDING_BYTES} and one record)`);
  t.ok(unsent > MAX_PENDING_BYTES / 2, `the stopped peer really stalled the connection: ${unsent} unsent`);
  t.ok(helper.droppedMessages > 0 && helper.droppedMessages < RECORDS, `records dropped and counted: ${helper.droppedMessages} of ${RECORDS}`);
  const sent = RECORDS - helper.droppedMessages;
  t.ok(sent * CHUNK >= MAX_PENDING_BYTES, `records up to the bound were sent: ${sent}`);

  process.kill(monitorPid, 'SIGCONT');
  stopped = undefined;
  const after = await helper.status();
  t.equal(after.pid, monitorPid, 'the monitor drains the connection and answers on it again');
  t.equal(helper.unsentBytes, 0, 'nothing left unsent');
  const before = helper.droppedMessages;
  helper.send(Module.CONSOLE, data);
  t.equal(helper.droppedMessages, before, 'a record to a peer that reads is sent');

  await helper.close();
  await owner.closeMonitor();
  await owner.close();
});
