// The command-line conventions of docs/README.md ("Command lines"), checked on the real programs:
// -h/--help and --version on stdout with status 0, a bad option as one stderr line with the
// program's usage status.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** Where a program differs from the helpers' rule (prefix = name, no required option, status 2). */
const DIFFERENT: Record<string, Partial<Program>> = {
  'colinux-daemon': { usageStatus: 255 }, // coLinux's -1 (docs/daemon.md)
  'colinux-slirp-net-daemon': { prefix: 'conet-slirp-daemon', required: ['-i', '1', '-u', '0'] },
  'colinux-net-daemon': { prefix: 'conet-tap-daemon', required: ['-i', '1', '-u', '0'] },
  'colinux-bridged-net-daemon': { required: ['-i', '1', '-u', '0', '-mac', '52:54:00:12:34:56'] },
  'colinux-serial-daemon': { required: ['-i', '1'] },
};

// Every program of every package, so a new one is held to the same conventions.
const PROGRAMS: Program[] = readdirSync(join(ROOT, 'packages')).flatMap((pkg) => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  return Object.keys(manifest.bin ?? {}).map((name) => ({ name, pkg, prefix: name, required: [], usageStatus: 2, ...DIFFERENT[name] }));
});

t.ok(PROGRAMS.length >= 8, `${PROGRAMS.length} programs found`);

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
    t.same(
      v,
      { code: 0, stdout: `${p.name} ${version} (colinux-ts, manager protocol ${PROTOCOL_VERSION})\n`, stderr: '' },
      '--version: package and protocol version',
    );
    const bad = await run(p.name, [...p.required, '--no-such-option']);
    t.equal(bad.code, p.usageStatus, `a bad option exits ${p.usageStatus}`);
    t.equal(bad.stdout, '', 'nothing on stdout');
    t.match(bad.stderr, new RegExp(`^${p.prefix}: [^\\n]*--no-such-option[^\\n]*\\n$`), 'one line on stderr naming the option');
  });
}
