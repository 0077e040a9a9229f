// The whole coLinux flow with real programs in tmux: colinux-daemon starts the manager on demand,
// boots a real guest ELF and launches colinux-console-nt in its own terminal (-t nt); detaching
// hands the terminal back to the daemon's output; a second console attaches by pid file and powers
// the guest off from its menu; the daemon exits as coLinux's did.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { privateTmux } from './tmux.ts';
import { removeDriver } from '@colinux/monitor-core';
import { echoConsoleGuest, guestElf, tempRuntime } from '@colinux/monitor-core/test/manager-fixtures';

const DAEMON = fileURLToPath(import.meta.resolve('@colinux/daemon/bin'));
const CONSOLE = fileURLToPath(new URL('../bin/colinux-console-nt.js', import.meta.url));
const SOCKET = `colinux-daemon-test-${process.pid}`;

const { tmux, waitFor } = privateTmux(SOCKET, 20000);

t.test('colinux-daemon -t nt with colinux-console-nt', async (t) => {
  const rt = tempRuntime();
  const kernel = path.join(rt.dir, 'guest.elf');
  fs.writeFileSync(kernel, guestElf(echoConsoleGuest('hello from the booted guest\r\n', 4)));
  const pidFile = path.join(rt.dir, 'colinux.pid');
  const envPrefix = `COLINUX_RUNTIME_DIR='${rt.dir}'`;
  tmux(
    'new-session',
    '-d',
    '-s',
    'main',
    '-x',
    '100',
    '-y',
    '30',
    `${envPrefix} '${process.execPath}' '${DAEMON}' kernel='${kernel}' mem=32 cocon=80x25 -t nt -p '${pidFile}'; echo "DAEMON-EXIT=$?"; sleep 600`,
  );
  t.teardown(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await removeDriver(rt.env).catch(() => {});
    rt.remove();
  });
  const daemon = '=main:0';

  await waitFor(daemon, /hello from the booted guest/, 'the console launched by the daemon repaints');
  tmux('send-keys', '-t', daemon, '-l', 'keys via the daemon terminal');
  await waitFor(daemon, /keys via the daemon terminal/, 'keystrokes echoed');
  tmux('send-keys', '-t', daemon, 'C-]');
  await waitFor(daemon, /d: detach/, 'menu');
  tmux('send-keys', '-t', daemon, 'd');
  const back = await waitFor(daemon, /console detached/, 'the daemon output is back');
  t.match(back, /PID: \d+/);
  t.notMatch(back, /hello from the booted guest/, 'the guest screen left with the console');

  const id = fs.readFileSync(pidFile, 'utf8').trim();
  t.match(id, /^\d+$/, 'the daemon wrote its pid file');
  const second = tmux(
    'new-window',
    '-d',
    '-P',
    '-F',
    '#{pane_id}',
    '-t',
    'main',
    `${envPrefix} '${process.execPath}' '${CONSOLE}' -p '${pidFile}'; echo "CONSOLE-EXIT=$?"; sleep 600`,
  ).trim();
  await waitFor(second, /keys via the daemon terminal/, 'a later console gets the whole screen');
  tmux('send-keys', '-t', second, 'C-]');
  await waitFor(second, /p: power off/, 'menu');
  tmux('send-keys', '-t', second, 'p');
  // This guest has no power agent: the manager pulls the plug after its grace time.
  const ended = await waitFor(second, /CONSOLE-EXIT=0/, 'the console ends with the monitor');
  t.match(ended, new RegExp(`monitor ${id} has ended`));
  const done = await waitFor(daemon, /DAEMON-EXIT=0/, 'the daemon exits');
  t.match(done, /powered off, exiting/);
  t.notOk(fs.existsSync(pidFile), 'the pid file is removed');
});
