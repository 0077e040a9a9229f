import t from 'tap';
import { TerminalGate } from '../src/run/terminal-gate.ts';
import { readableLogLine } from '@colinux/client/log';
import { PrintkFilter } from '../src/run/printk.ts';

t.test('log lines are held while the console owns the terminal, then written in order', async (t) => {
  const written: string[] = [];
  const gate = new TerminalGate((s) => written.push(s), true);
  gate.out('a\n');
  gate.hold(true);
  gate.out('b\n');
  gate.out('c\n');
  t.same(written, ['a\n']);
  gate.hold(false);
  t.same(written, ['a\n', 'b\n', 'c\n']);
  gate.hold(true);
  for (let i = 0; i < 1005; i++) gate.out(`${i}\n`);
  gate.hold(false);
  t.equal(written[3], 'colinux-daemon: 5 older log lines dropped while the console was attached\n');
  t.equal(written[4], '5\n');
  t.equal(written.length, 4 + 1000);
  const redirected: string[] = [];
  const file = new TerminalGate((s) => redirected.push(s), false);
  file.hold(true);
  file.out('x\n');
  t.same(redirected, ['x\n'], 'a redirected stderr is never held');
});

t.test('pino JSON lines from helpers become readable lines on a terminal', async (t) => {
  t.equal(
    readableLogLine('{"level":30,"time":1,"name":"conet-slirp-daemon","pid":5,"unit":0,"ip":"10.0.2.15","msg":"DHCP lease"}'),
    'conet-slirp-daemon: DHCP lease (unit=0 ip=10.0.2.15)\n',
  );
  t.equal(readableLogLine('{"level":40,"name":"colinux-serial-daemon","msg":"colinux-serial-daemon: running"}'), 'colinux-serial-daemon: warning: running\n');
  t.equal(readableLogLine('plain text'), undefined);
  t.equal(readableLogLine('[1,2]'), undefined);
});

t.test('printk: level tags stripped at every line start, also split across messages', async (t) => {
  const f = new PrintkFilter();
  const enc = (s: string) => new TextEncoder().encode(s);
  t.equal(f.push(enc('<6>first line\n<4>second')), 'first line\nsecond');
  t.equal(f.lineOpen, true);
  t.equal(f.push(enc(' continued\n<')), ' continued\n');
  t.equal(f.push(enc('3>third\n')), 'third\n');
  t.equal(f.push(enc('<c>cont\0\n')), 'cont\n', "coLinux's NUL-terminated form");
  t.equal(f.push(enc('<x>not a tag\n')), '<x>not a tag\n');
});
