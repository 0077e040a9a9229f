import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandAtFiles } from '../src/cmdline/expand.ts';
import { tokenizeConfigText } from '../src/cmdline/tokenize.ts';
import { parseSwitches } from '../src/cmdline/switches.ts';
import { DaemonError } from '../src/errors.ts';

const texts = (s: string) => tokenizeConfigText(s, 'f.conf', 1).map((x) => x.text);

t.test('@file tokens: whitespace, comments, quotes kept for the value parsers', async (t) => {
  t.same(texts('kernel=vmlinux  mem=64\r\n\tcobd0=root.img # the root disk\n# whole line\nroot=/dev/cobd0'), [
    'kernel=vmlinux',
    'mem=64',
    'cobd0=root.img',
    'root=/dev/cobd0',
  ]);
  t.same(texts('eth0=tuntap,"LAN Connection 14",00:11:22:33:44:55'), ['eth0=tuntap,"LAN Connection 14",00:11:22:33:44:55']);
  t.same(texts('a#b c'), ['a'], '# inside an unquoted token starts a comment');
  t.same(texts('exec0="prog#1",x'), ['exec0="prog#1",x'], '# inside quotes is kept (coLinux cut it)');
  t.same(texts(''), []);
  t.same(texts('   \n\n  '), []);
});

t.test('@file switches work (coLinux dropped the leading -)', async (t) => {
  t.same(texts('-k -t nt\n-d'), ['-k', '-t', 'nt', '-d']);
  const tokens = tokenizeConfigText('-k -p /tmp/x.pid kernel=k root=/dev/vda', 'f', 1);
  const r = parseSwitches(tokens);
  if (r.kind !== 'run') throw new Error('expected run');
  t.equal(r.switches.quietKernel, true);
  t.equal(r.switches.pidFile, '/tmp/x.pid');
  t.same(
    r.config.map((x) => x.text),
    ['kernel=k', 'root=/dev/vda'],
  );
});

t.test('@file errors name file and line', async (t) => {
  t.throws(() => texts('a="unterminated\nb'), { message: /f\.conf' line 1: unterminated quote/ });
  t.throws(() => texts('ok\nbad\x01byte'), { message: /line 2: control or invalid byte 0x01/ });
});

t.test('@file expansion in place, nested files, missing files, cycles', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'colinux-cmdline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = join(dir, 'a.conf');
  const b = join(dir, 'b.conf');
  const loop = join(dir, 'loop.conf');
  writeFileSync(a, `kernel=k mem=32 @${b}\n`);
  writeFileSync(b, 'mem=64\n');
  writeFileSync(loop, `x @${loop}\n`);
  const toks = expandAtFiles(['-d', `@${a}`, 'mem=128']);
  t.same(
    toks.map((x) => x.text),
    ['-d', 'kernel=k', 'mem=32', 'mem=64', 'mem=128'],
  );
  t.same(
    toks.map((x) => x.source),
    [0, 1, 1, 2, 0],
    'each file is its own source',
  );
  t.match(toks[2]!.origin, /a\.conf' line 1/);
  t.throws(() => expandAtFiles([`@${join(dir, 'none.conf')}`]), { message: /error loading config file '.*none\.conf': no such file/ });
  t.throws(() => expandAtFiles([`@${loop}`]), { message: /includes itself/ });
  t.throws(() => expandAtFiles(['@']), DaemonError);
  t.throws(() => expandAtFiles([`@${dir}`]), { message: /not a regular file/ });
  t.throws(() => expandAtFiles(['@/dev/zero']), { message: /error loading config file '\/dev\/zero': not a regular file/ }, 'no endless read');
});

t.test('switches: commander owns them, value switches take the next token', async (t) => {
  const run = (...args: string[]) => parseSwitches(args.map((text, i) => ({ text, origin: `arg ${i}`, source: 0 })));
  const r = run('kernel=k', '-d', '-t', 'nt', '-v', '2', '--shutdown-timeout', '5', 'root=/dev/vda');
  if (r.kind !== 'run') throw new Error('expected run');
  t.same(r.switches, {
    noConsole: true,
    quietKernel: false,
    pidFile: undefined,
    consoleType: 'nt',
    verbose: 2,
    legacyConfig: undefined,
    installDriver: false,
    removeDriver: false,
    statusDriver: false,
    shutdownTimeoutS: 5,
    force: false,
  });
  t.same(
    r.config.map((x) => x.text),
    ['kernel=k', 'root=/dev/vda'],
  );
  t.equal(run('-h').kind, 'help');
  t.throws(() => run('-p'), { message: /'-p <file>' argument missing/ });
  t.throws(() => run('-p', '-d'), { message: /no argument passed to command line switch '-p'/ }, 'a value may not start with -');
  const bundled = run('-dk');
  t.same(bundled.kind === 'run' && [bundled.switches.noConsole, bundled.switches.quietKernel], [true, true], '-dk bundles (coLinux refused it)');
  t.throws(() => run('-x'), { message: /unknown option '-x'/ });
  t.throws(() => run('-t', 'NT!'), { message: /console type/ });
  t.throws(() => run('-v', 'x'), { message: /-v/ });
  t.throws(() => run('--shutdown-timeout', '-1'), { message: /no argument passed/ });
  t.throws(() => run('--shutdown-timeout', 'soon'), { message: /expected seconds/ });
  const svc = run('--install-service', 'coLinux', 'kernel=k');
  t.same(
    svc.kind === 'run' && [svc.switches.service, svc.config.map((x) => x.text)],
    [{ action: 'install', name: 'coLinux' }, ['kernel=k']],
    'a service switch takes the name',
  );
  t.throws(() => run('--install-service', 'a', '--remove-service', 'a'), { message: /--install-service and --remove-service cannot be combined/ });
  t.throws(() => run('--run-service:C:\\coLinux'), { message: /--run-service is not available on this host/ });
  const d = run('--status-driver');
  t.equal(d.kind === 'run' && d.switches.statusDriver, true);
});
