// The daemon in a real terminal (a private tmux server): the console takes the screen, log lines
// are held until it detaches, and Ctrl-C reaches only the daemon, which stops the guest in order.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN, FIXTURES, commandOf, processesUnder, sandbox, until } from './helpers.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('tmux');

t.test('console in the daemon terminal, detach, Ctrl-C', async (t) => {
  const box = sandbox();
  const server = `colinux-daemon-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
  t.teardown(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await box.cleanup();
  });
  const port = join(box.dir, 'ttyS0.out');
  writeFileSync(port, '');
  const cmd = [
    'env',
    `COLINUX_RUNTIME_DIR=${box.runtimeDir}`,
    process.execPath,
    DAEMON_BIN,
    '--shutdown-timeout',
    '1',
    `kernel=${join(FIXTURES, 'guest-idle.elf')}`,
    'mem=16',
    `ttys0=${port}`,
  ]
    .map((a) => `'${a}'`)
    .join(' ');
  tmux('new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', `${cmd}; echo EXIT=$?; sleep 60`);
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 'main');
  await until(() => (processesUnder(box.runtimeDir).some((p) => commandOf(p).includes('colinux-console-nt')) ? true : undefined));
  await until(() => (processesUnder(box.runtimeDir).some((p) => commandOf(p).includes('colinux-serial-daemon')) ? true : undefined));
  // The serial helper has logged by now; give its line time to arrive at the daemon.
  await until(() => (screen().includes('colinux-serial-daemon') ? 'shown' : undefined), 1500).catch(() => 'held');
  t.notMatch(screen(), /colinux-serial-daemon: running/, 'helper log held while the console owns the screen');
  tmux('send-keys', '-t', 'main', 'C-]');
  await until(() => (screen().includes('detach') ? true : undefined));
  tmux('send-keys', '-t', 'main', 'd');
  await until(() => (screen().includes('colinux-daemon: console detached') ? true : undefined));
  t.match(screen(), /colinux-serial-daemon: running/, 'held lines written after the detach');
  tmux('send-keys', '-t', 'main', 'C-c');
  await until(() => (screen().includes('EXIT=') ? true : undefined));
  const text = screen();
  t.match(text, /colinux: Linux VM goes shutdown, please wait!/);
  t.match(text, /EXIT=0/);
  t.notMatch(text, /helper exited/, 'Ctrl-C did not hit the helpers (own process groups)');
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => !c.includes('monitor-core')),
    [],
    'nothing left but the manager',
  );
});
