// The command-line conventions of docs/README.md ("Command lines"), checked on the real programs:
// -h/--help and --version on stdout with status 0, a bad option as one stderr line with the
// program's usage status.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@colinux/protocol';

const ROOT = join(import.meta.dirname, '..');

interface Program {
  name: string;
  pkg: string;
  /** What its error lines start with (the network helpers keep coLinux's conet-* names). */
  prefix: string;
  /** Arguments that satisfy its required options, so the bad option is what gets reported. */
  required: string[];
  usageStatus: number;
}

const PROGRAMS: Program[] = [
  { name: 'colinux-daemon', pkg: 'daemon', prefix: 'colinux-daemon', required: [], usageStatus: 255 },
  { name: 'colinux-monitor-core', pkg: 'monitor-core', prefix: 'colinux-monitor-core', required: [], usageStatus: 2 },
  { name: 'colinux-bare-metal', pkg: 'monitor-core', prefix: 'colinux-bare-metal', required: [], usageStatus: 2 },
  { name: 'colinux-console-nt', pkg: 'console-nt', prefix: 'colinux-console-nt', required: [], usageStatus: 2 },
  { name: 'colinux-console-web', pkg: 'console-web', prefix: 'colinux-console-web', required: [], usageStatus: 2 },
  { name: 'colinux-slirp-net-daemon', pkg: 'net-slirp', prefix: 'conet-slirp-daemon', required: ['-i', '1', '-u', '0'], usageStatus: 2 },
  { name: 'colinux-net-daemon', pkg: 'net-tap', prefix: 'conet-tap-daemon', required: ['-i', '1', '-u', '0'], usageStatus: 2 },
  { name: 'colinux-bridged-net-daemon', pkg: 'net-bridged', prefix: 'colinux-bridged-net-daemon', required: ['-i', '1', '-u', '0', '-mac', '52:54:00:12:34:56'], usageStatus: 2 },
  { name: 'colinux-serial-daemon', pkg: 'serial', prefix: 'colinux-serial-daemon', required: ['-i', '1'], usageStatus: 2 },
  { name: 'colinux-ctl', pkg: 'ctl', prefix: 'colinux-ctl', required: [], usageStatus: 2 },
];

const dir = mkdtempSync(join(tmpdir(), 'colinux-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, COLINUX_RUNTIME_DIR: join(dir, 'run') };

function run(name: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', name), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

for (const p of PROGRAMS) {
  t.test(p.name, async (t) => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages', p.pkg, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['-h', '--help']) {
      const r = await run(p.name, [flag]);
      t.same([r.code, r.stderr], [0, ''], `${flag}: status 0, nothing on stderr`);
      t.match(r.stdout, new RegExp(`^Usage: ${p.name} `), `${flag}: usage on stdout`);
    }
    const v = await run(p.name, ['--version']);
    t.same(v, { code: 0, stdout: `${p.name} ${version} (colinux-ts, manager protocol ${PROTOCOL_VERSION})\n`, stderr: '' }, '--version: package and protocol version');
    const bad = await run(p.name, [...p.required, '--no-such-option']);
    t.equal(bad.code, p.usageStatus, `a bad option exits ${p.usageStatus}`);
    t.equal(bad.stdout, '', 'nothing on stdout');
    t.match(bad.stderr, new RegExp(`^${p.prefix}: [^\\n]*--no-such-option[^\\n]*\\n$`), 'one line on stderr naming the option');
  });
}
