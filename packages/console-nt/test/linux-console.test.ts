// The console against the real guest: colinux-daemon boots the bundled Linux (guest/images) with
// `-t nt`; we log in on hvc0 through colinux-console-nt in tmux, detach, attach again (the
// shell history is repainted from the manager's shadow screen) and shut down from the menu.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { privateTmux } from './tmux.ts';
import { removeDriver } from '@colinux/monitor-core';
import { tempRuntime } from '@colinux/monitor-core/test/manager-fixtures';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DAEMON = `${REPO}packages/daemon/bin/colinux-daemon.js`;
const CONSOLE = `${REPO}packages/console-nt/bin/colinux-console-nt.js`;
const SOCKET = `colinux-linux-test-${process.pid}`;

const { tmux, waitFor } = privateTmux(SOCKET, 30000, 250);

t.test('log in to the bundled Linux through colinux-console-nt', async (t) => {
  const rt = tempRuntime();
  const env = `COLINUX_RUNTIME_DIR='${rt.dir}'`;
  const boot = `kernel='${REPO}guest/images/vmlinux' initrd='${REPO}guest/images/initramfs.cpio.gz' mem=64 cocon=80x25`;
  tmux('new-session', '-d', '-s', 'main', '-x', '100', '-y', '30', `${env} '${process.execPath}' '${DAEMON}' ${boot} -t nt; echo "DAEMON-EXIT=$?"; sleep 600`);
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
  await waitFor(daemon, /^colinux:\/#\s*$/m, 'a shell prompt on hvc0', 180_000);
  tmux('send-keys', '-t', daemon, 'echo answer=$((6*7))', 'Enter');
  await waitFor(daemon, /^answer=42$/m, 'the guest shell ran the command');
  tmux('send-keys', '-t', daemon, 'C-]');
  await waitFor(daemon, /d: detach/, 'menu');
  tmux('send-keys', '-t', daemon, 'd');
  await waitFor(daemon, /console detached/, 'back to the daemon output');

  const again = tmux(
    'new-window',
    '-d',
    '-P',
    '-F',
    '#{pane_id}',
    '-t',
    'main',
    `${env} '${process.execPath}' '${CONSOLE}'; echo "CONSOLE-EXIT=$?"; sleep 600`,
  ).trim();
  const repaint = await waitFor(again, /^answer=42$/m, 'the re-attached console shows the earlier session');
  t.match(repaint, /echo answer=\$\(\(6\*7\)\)/);
  tmux('send-keys', '-t', again, 'C-]');
  await waitFor(again, /s: shutdown/, 'menu');
  tmux('send-keys', '-t', again, 's');
  t.match(await waitFor(again, /CONSOLE-EXIT=0/, 'the console ends with the guest', 120_000), /has ended/);
  t.match(await waitFor(daemon, /DAEMON-EXIT=0/, 'the daemon exits', 60_000), /powered off, exiting/);
  const logName = fs.readdirSync(rt.dir).find((f) => f.endsWith('.console.log'));
  t.ok(logName, 'the monitor wrote a console log');
  const log = fs.readFileSync(`${rt.dir}/${logName}`, 'utf8');
  t.match(log, /answer=42/, 'the console log kept the session');
});
