import t from 'tap';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERIAL_BIN } from '@colinux/daemon/test/helpers';
import { parseSerialArgs, sttyWords } from '../src/args.ts';

t.test('serial arguments (docs/colinux.md#serial-helper)', async (t) => {
  t.same(parseSerialArgs(['-i', '123', '-u', '3', '-f', '/dev/pts/4', '-m', '9600', '--force']), {
    id: 123,
    unit: 3,
    device: '/dev/pts/4',
    mode: '9600',
    force: true,
  });
  t.same(parseSerialArgs(['-i', '5']), { id: 5, unit: 0, device: undefined, mode: undefined, force: false }, '-u defaults to 0');
  t.throws(() => parseSerialArgs([]), { message: /required option '-i <id>'/ });
  t.throws(() => parseSerialArgs(['-i', '0']), { message: /non-zero monitor id/ });
  t.throws(() => parseSerialArgs(['-i', '7', '-u', '32']), { message: /unit 0\.\.31/ });
  t.throws(() => parseSerialArgs(['-i', '7', '-z']), { message: /unknown option/ });
  t.ok('help' in parseSerialArgs(['-h']));
});

t.test('-m: coLinux/Windows MODE syntax becomes stty words; stty words pass through', async (t) => {
  t.same(sttyWords('BAUD=115200 PARITY=n DATA=8 STOP=1 dtr=on rts=on'), ['115200', '-parenb', 'cs8', '-cstopb']);
  t.same(sttyWords('baud=9600 parity=e data=7 stop=2 xon=on'), ['9600', 'parenb', '-parodd', 'cs7', 'cstopb', 'ixon']);
  t.same(sttyWords('38400 cs8 -parenb raw'), ['38400', 'cs8', '-parenb', 'raw']);
  t.throws(() => sttyWords('BAUD=fast'), { message: "error in mode parameter 'BAUD=fast'" });
  t.throws(() => sttyWords('PARITY=q'), { message: /PARITY=q/ });
  t.throws(() => sttyWords('COLOR=red'), { message: /COLOR=red/ });
});

t.test('a bad -m is a command-line error: one line, exit 2, before the manager is asked', async (t) => {
  const env = { ...process.env, COLINUX_RUNTIME_DIR: join(tmpdir(), `colinux-serial-args-${process.pid}-absent`) };
  const r = spawnSync(process.execPath, [SERIAL_BIN, '-i', '7', '-m', 'BAUD=fast'], { env, encoding: 'utf8', timeout: 30_000 });
  t.same([r.status, r.stdout, r.stderr], [2, '', "colinux-serial-daemon: error in mode parameter 'BAUD=fast'\n"]);
});
