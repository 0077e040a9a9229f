// What every helper does the same way, because runHelper (packages/client/src/helper.ts) does it
// for all of them, checked on the real programs: without a manager, one line naming the monitor
// and unit, exit 1, and nothing left running.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** Each helper, the prefix of its lines, and its arguments for monitor 7, unit 3. */
const HELPERS: Array<[program: string, prefix: string, args: string[]]> = [
  ['colinux-slirp-net-daemon', 'conet-slirp-daemon', ['-i', '7', '-u', '3']],
  ['colinux-net-daemon', 'conet-tap-daemon', ['-i', '7', '-u', '3']],
  ['colinux-bridged-net-daemon', 'colinux-bridged-net-daemon', ['-i', '7', '-u', '3', '-mac', '52:54:00:12:34:56']],
  ['colinux-serial-daemon', 'colinux-serial-daemon', ['-i', '7', '-u', '3', '-f', '/dev/null']],
];

const dir = mkdtempSync(join(tmpdir(), 'colinux-helpers-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// A runtime dir with no manager in it.
const env = { ...process.env, COLINUX_RUNTIME_DIR: join(dir, 'run') };

for (const [program, prefix, args] of HELPERS) {
  t.test(`${program}: no manager`, async (t) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', program), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    t.equal(code, 1, 'exit status 1');
    t.equal(stdout, '', 'nothing on stdout');
    t.match(stderr, new RegExp(`^${prefix}: monitor 7 unit 3: cannot reach the manager: [^\\n]+\\n$`), 'one line naming the monitor and unit');
  });
}
