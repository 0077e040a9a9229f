// colinux-serial-daemon against a running guest (fixtures/guest-echo.elf echoes UART0 upper-cased):
// bytes both ways through a Unix socket, a pty, and the helper's own stdin/stdout.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { constants, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN, FIXTURES, SERIAL_BIN, commandOf, processesUnder, sandbox, start, until } from '@colinux/daemon/test/helpers';
import { requireTool } from '../../../test/tools.ts';

requireTool('mkfifo');
requireTool('python3');

const ECHO = `kernel=${join(FIXTURES, 'guest-echo.elf')}`;

t.test('ttys0 on a Unix socket: host -> guest -> host', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const path = join(box.dir, 'ttyS0.sock');
  let received = '';
  const connected = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => {
      s.on('data', (b) => (received += b.toString()));
      resolve(s);
    });
    server.listen(path);
    t.teardown(() => server.close());
  });
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', ECHO, 'mem=16', `ttys0=${path}`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  const socket = await connected;
  await d.waitFor('colinux-serial-daemon: running');
  await d.waitFor('hello from the guest');
  socket.write('hello, guest\n');
  await until(() => (received.includes('HELLO, GUEST\n') ? true : undefined));
  t.pass('echoed upper-cased by the guest');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
  await until(() =>
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .some((c) => c.includes('serial-daemon'))
      ? undefined
      : true,
  );
  t.pass('the helper exited at the end of the monitor');
});

t.test('stdin/stdout (run by hand with --force) and exit on end of monitor', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const sink = join(box.dir, 'ttyS2.out');
  writeFileSync(sink, '');
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', ECHO, 'mem=16', `ttys2=${sink}`, 'ttys0=' + sink], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor('colinux: booting');
  await d.waitFor('hello from the guest');
  const s = start(SERIAL_BIN, ['-i', String(d.child.pid), '-u', '0', '--force'], box.env);
  await s.waitFor('colinux-serial-daemon: running');
  s.child.stdin!.write('abc xyz\n');
  await s.waitFor('ABC XYZ\n');
  t.pass('bytes both ways through stdio');
  d.child.kill('SIGTERM');
  const r = await s.exited;
  t.equal(r.code, 0, 'exits 0 when the monitor ends');
  t.match(s.stderr(), /"why":"monitor closed"/);
});

t.test('a pty with -m: stty applied, bytes both ways', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  // python3's pty module holds the master side and relays it to its stdio.
  const relay = spawn(
    'python3',
    [
      '-u',
      '-c',
      `
import os, pty, sys, select, tty
m, s = pty.openpty()
tty.setraw(s)
print(os.ttyname(s), flush=True)
while True:
    r, _, _ = select.select([m, 0], [], [])
    if m in r:
        sys.stdout.buffer.write(os.read(m, 4096)); sys.stdout.flush()
    if 0 in r:
        data = os.read(0, 4096)
        if not data: break
        os.write(m, data)
`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.teardown(() => relay.kill('SIGKILL'));
  let out = '';
  relay.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  const ptyName = await until(() => /^(\/dev\/pts\/[0-9]+)\n/.exec(out)?.[1]);
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', ECHO, 'mem=16', `ttys0=${ptyName},"BAUD=38400 PARITY=n DATA=8 STOP=1"`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor('colinux-serial-daemon: running');
  await d.waitFor('hello from the guest');
  t.notMatch(d.stderr(), /mode|stty/, 'no warning: the mode applied');
  relay.stdin.write('pty works\n');
  await until(() => (out.includes('PTY WORKS\n') ? true : undefined));
  t.pass('echoed through the pty');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('-m on something that is not a terminal: one warning line, still runs', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const sink = join(box.dir, 'ttyS0.out');
  writeFileSync(sink, '');
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', ECHO, 'mem=16', `ttys0=${sink},9600`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor('colinux-serial-daemon: running');
  await d.waitFor('hello from the guest');
  t.equal(
    d
      .stderr()
      .split('\n')
      .filter((l) => l.includes("-m '9600' ignored")).length,
    1,
  );
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('a FIFO pair <path>.in / <path>.out (QEMU pipe convention)', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const base = join(box.dir, 'ttyS0');
  execFileSync('mkfifo', [`${base}.in`, `${base}.out`]);
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', ECHO, 'mem=16', `ttys0=${base}`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor('colinux-serial-daemon: running');
  await d.waitFor('hello from the guest');
  // Opening read-write never blocks on a FIFO (fifo(7)), so the test needs no reader/writer dance.
  const out = new net.Socket({ fd: openSync(`${base}.out`, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
  let received = '';
  out.on('data', (b: Buffer) => (received += b.toString()));
  t.teardown(() => out.destroy());
  writeFileSync(`${base}.in`, 'through fifos\n');
  await until(() => (received.includes('THROUGH FIFOS\n') ? true : undefined));
  t.pass('echoed through the FIFO pair');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('stdin on a terminal: raw mode while running, restored on exit; Ctrl-] ends', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const sink = join(box.dir, 'ttyS0.out');
  writeFileSync(sink, '');
  const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '0', ECHO, 'mem=16', `ttys0=${sink}`], box.env);
  t.teardown(() => d.child.kill('SIGKILL'));
  await d.waitFor('colinux: booting');
  await d.waitFor('hello from the guest');
  // python3 runs the helper on a pty and reports the terminal's lflag before and after.
  const harness = spawn(
    'python3',
    [
      '-u',
      '-c',
      `
import os, pty, sys, termios, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execve(sys.argv[1], sys.argv[1:], os.environ)
slave_attrs = None
out = b''
def pump(secs):
    global out
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try: out += os.read(fd, 4096)
            except OSError: return False
    return True
before = termios.tcgetattr(fd)[3]
while b'running' not in out and pump(0.2): pass
during = termios.tcgetattr(fd)[3]
os.write(fd, b'typed\\r')
while b'TYPED' not in out and pump(0.2): pass
os.write(fd, b'\\x1d')
_, status = os.waitpid(pid, 0)
after = termios.tcgetattr(fd)[3]
print(before & termios.ICANON != 0, during & termios.ICANON != 0, after & termios.ICANON != 0, b'TYPED' in out, os.waitstatus_to_exitcode(status), flush=True)
`,
      process.execPath,
      SERIAL_BIN,
      '-i',
      String(d.child.pid),
      '-u',
      '0',
      '--force',
    ],
    { env: box.env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => harness.kill('SIGKILL'));
  let report = '';
  harness.stdout.on('data', (b: Buffer) => (report += b.toString()));
  await new Promise((r) => harness.on('close', r));
  t.equal(report.trim(), 'True False True True 0', 'canonical before, raw while running, restored after, bytes echoed, exit 0 on Ctrl-]');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});
