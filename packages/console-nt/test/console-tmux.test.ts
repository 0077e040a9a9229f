// colinux-console-nt for real, in tmux panes: repaint on attach, live output, keystrokes to the
// guest (echoed back by a real RV64 guest driving virtio-console), the escape menu, takeover,
// read-only, monitor end, and the terminal restored on every way out.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { privateTmux } from './tmux.ts';
import { ManagerClient } from '@colinux/client';
import { echoConsoleGuest, monitorConfig, startManager } from '@colinux/monitor-core/test/manager-fixtures';

const BIN = fileURLToPath(new URL('../bin/colinux-console-nt.js', import.meta.url));
const SOCKET = `colinux-test-${process.pid}`;

const { tmux, capture, waitFor } = privateTmux(SOCKET, 15000);

/** The (first) child process of `pid`, from /proc: the console run by a pane's shell. */
function childOf(pid: number): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no child of ${pid}`);
}

/** A shell in a new window runs the console, then reports its exit status and the tty mode. */
function openConsole(name: string, env: NodeJS.ProcessEnv, args: string): string {
  const cmd = `printf 'daemon output before the console\\n'; COLINUX_RUNTIME_DIR='${env.COLINUX_RUNTIME_DIR}' '${process.execPath}' '${BIN}' ${args}; echo "EXIT=$?"; stty -a | grep -q -- ' icanon' && echo TTY-COOKED; sleep 600`;
  return tmux('new-window', '-d', '-P', '-F', '#{pane_id}', '-t', 'main', '-n', name, cmd).trim();
}

t.test('console-nt in tmux', async (t) => {
  const m = await startManager();
  const env = m.rt.env;
  tmux('new-session', '-d', '-s', 'main', '-x', '100', '-y', '30', 'sleep 600');
  t.teardown(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await m.stop();
  });

  const owner = await ManagerClient.connect({ env });
  await owner.create(4321, monitorConfig());
  const guest = echoConsoleGuest('boot message from the guest\r\n', 5);
  await owner.loadSection(0, guest.image.length, guest.image);
  await owner.start(0);
  void owner.run().catch(() => {});

  t.test('repaint, keystrokes, escape menu and detach', async (t) => {
    const pane = openConsole('one', env, '-a 4321');
    const screen = await waitFor(pane, /boot message from the guest/, 'repaint from the shadow screen');
    t.equal(screen.match(/boot message from the guest/g)?.length, 5, 'all five banner lines, once each');
    t.notMatch(screen, /daemon output before/, 'the console has the screen to itself');
    tmux('send-keys', '-t', pane, '-l', 'typed by the user');
    await waitFor(pane, /typed by the user/, 'keystrokes echoed by the guest');
    tmux('send-keys', '-t', pane, 'C-]');
    await waitFor(pane, /d: detach .* c: Ctrl-Alt-Del .* s: shutdown/, 'the escape menu');
    tmux('send-keys', '-t', pane, 'd');
    const after = await waitFor(pane, /EXIT=0/, 'exit after detach');
    t.match(after, /daemon output before the console/, "the daemon's output is back");
    t.match(after, /detached from monitor 4321/);
    t.notMatch(after, /boot message/, 'the guest screen is gone with the alternate screen');
    await waitFor(pane, /TTY-COOKED/, 'the terminal is back in cooked mode');
  });

  t.test('a second console is refused, then takes over with --force; --read-only watches', async (t) => {
    const first = openConsole('first', env, '');
    await waitFor(first, /boot message/, 'no id: the most recent monitor');
    const refused = openConsole('refused', env, '-a 4321');
    const r = await waitFor(refused, /EXIT=1/, 'refused without --force');
    t.match(r, /attached elsewhere; use --force/);
    const watcher = openConsole('watcher', env, '-a 4321 --read-only');
    await waitFor(watcher, /boot message/, 'the watcher repaints');
    const second = openConsole('second', env, '-a 4321 --force');
    await waitFor(second, /boot message/, 'the new console repaints');
    const firstAfter = await waitFor(first, /EXIT=0/, 'the displaced console exits');
    t.match(firstAfter, /console taken over by another console/);
    tmux('send-keys', '-t', watcher, '-l', 'ignored');
    tmux('send-keys', '-t', second, '-l', 'from the second');
    await waitFor(watcher, /from the second/, 'the watcher sees live output');
    t.notMatch(capture(second), /ignored/, 'read-only keys never reach the guest');

    // The monitor ends: every console says so and exits 0 with its terminal restored.
    await owner.closeMonitor();
    for (const pane of [second, watcher]) {
      const s = await waitFor(pane, /EXIT=0/, 'exit at monitor end');
      t.match(s, /monitor 4321 has ended/);
      await waitFor(pane, /TTY-COOKED/, 'terminal restored');
    }
  });

  t.test('SIGTERM detaches and restores the terminal', async (t) => {
    const g2 = await ManagerClient.connect({ env });
    t.teardown(() => g2.close());
    await g2.create(4322, monitorConfig());
    const e = echoConsoleGuest('second guest\r\n', 1);
    await g2.loadSection(0, e.image.length, e.image);
    await g2.start(0);
    const pane = openConsole('signal', env, '-a 4322');
    await waitFor(pane, /second guest/, 'attached');
    const shell = Number(tmux('display-message', '-p', '-t', pane, '#{pane_pid}').trim());
    const consolePid = childOf(shell);
    process.kill(consolePid, 'SIGTERM');
    const s = await waitFor(pane, /EXIT=0/, 'exit on SIGTERM');
    t.match(s, /SIGTERM, detached from monitor 4322/);
    await waitFor(pane, /TTY-COOKED/, 'terminal restored');
  });

  t.test('-p reads the id from a pid file; a bad one is a clear error', async (t) => {
    const pidFile = path.join(m.rt.dir, 'colinux.pid');
    fs.writeFileSync(pidFile, 'not a pid\n');
    const pane = openConsole('pidfile', env, `-p '${pidFile}'`);
    const s = await waitFor(pane, /EXIT=1/, 'bad pid file');
    t.match(s, new RegExp(`error on reading PID from file '${pidFile}'`));
    const none = openConsole('none', env, '');
    t.match(await waitFor(none, /EXIT=1/, 'no monitor'), /no monitor is running/);
  });
});
