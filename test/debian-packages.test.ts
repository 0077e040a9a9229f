// test/debian-packages.txt must cover every host program a test starts, each test must check for
// the programs it starts with requireTool() (so a missing one fails at once, naming the package),
// and each listed program must really come from the package the list names.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { locate, readPackageList, requireTool } from './tools.ts';

const ROOT = join(import.meta.dirname, '..');
const TEST_DIRS = [...readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'test')), join(ROOT, 'guest', 'test'), join(ROOT, 'test')];

function sources(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

// Where a test starts a host program: the first argument of a plain child_process-style call, the
// first element of the argv array given to a helper's .exec()/.spawn(), the program after
// `ip netns exec <ns>`. The argument is a string literal or a constant holding one.
const ARG = String.raw`(?:'([^']+)'|([A-Z][A-Z0-9_]*))`;
/** A program name or absolute path, not an option or a key=value argument of some other helper. */
const PROGRAM = /^(?:\/|[A-Za-z0-9])[\w.+/-]*$/;
// Files the tests read from a package (firmware, libraries) are named by absolute path.
const FILE = /'(\/usr\/(?:lib|share)\/[^'\s]+)'/g;
const STARTS = [
  new RegExp(String.raw`(?<![.\w])(?:spawn|spawnSync|execFile|execFileSync|run|exitOf|tool)\(\s*${ARG}`, 'g'),
  new RegExp(String.raw`\.(?:exec|spawn)\(\s*\[\s*${ARG}`, 'g'),
  new RegExp(String.raw`'netns',\s*'exec',\s*[^,]+,\s*${ARG}`, 'g'),
  new RegExp(String.raw`\brequireTool\(\s*${ARG}`, 'g'),
];
const CONSTANT = /\bconst ([A-Z][A-Z0-9_]*) = '([^']+)'/g;

// This file names programs only as examples.
const files = TEST_DIRS.flatMap(sources)
  .filter((path) => path !== import.meta.filename)
  .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
const constants = new Map<string, string>();
for (const f of files) for (const m of f.text.matchAll(CONSTANT)) constants.set(m[1]!, m[2]!);

/** program -> the files that start it */
const started = new Map<string, Set<string>>();
for (const f of files) {
  for (const re of STARTS) {
    for (const m of f.text.matchAll(re)) {
      const program = m[1] ?? constants.get(m[2]!);
      if (program === undefined || !PROGRAM.test(program)) continue; // a variable, or not a program
      if (!started.has(program)) started.set(program, new Set());
      started.get(program)!.add(f.path);
    }
  }
  for (const m of f.text.matchAll(FILE)) {
    if (!started.has(m[1]!)) started.set(m[1]!, new Set());
    started.get(m[1]!)!.add(f.path);
  }
}
const checked = (text: string, program: string): boolean =>
  [...text.matchAll(/requireTool\(\s*(?:'([^']+)'|([A-Z][A-Z0-9_]*))\s*\)/g)].some((m) => (m[1] ?? constants.get(m[2]!)) === program);

const packages = readPackageList();
const listed = new Map(packages.flatMap((p) => p.tools.map((tool) => [tool, p.name] as const)));

t.test('the scan finds the programs the tests are known to start', async (t) => {
  for (const program of ['qemu-system-riscv64', 'riscv64-unknown-elf-gcc', 'dtc', 'ip', 'tmux', 'busybox', 'python3']) {
    t.ok(started.has(program), `${program} is found as a started program`);
  }
});

t.test('every program a test starts is listed, and the test checks for it with requireTool()', async (t) => {
  for (const [program, where] of started) {
    t.ok(listed.has(program), `${program} is in test/debian-packages.txt`);
    for (const path of where) t.ok(checked(readFileSync(path, 'utf8'), program), `${relative(ROOT, path)} calls requireTool('${program}')`);
  }
});

t.test('each listed program comes from the package it is listed under (or one that package depends on)', async (t) => {
  for (const p of packages) {
    const depends = spawnSync(requireTool('dpkg-query'), ['-W', '-f=${Depends}, ${Pre-Depends}', p.name], { encoding: 'utf8' }).stdout;
    const allowed = new Set([
      p.name,
      ...depends
        .split(/[,|]/)
        .map((d) => d.trim().split(/[\s:(]/)[0]!)
        .filter(Boolean),
    ]);
    for (const tool of p.tools) {
      const path = locate(tool);
      t.ok(path, `${tool} is present (npm test installed ${p.name})`);
      // Debian records programs under /bin or /usr/bin (and sbin), whichever the package ships.
      const base = tool.startsWith('/') ? [tool, tool.replace(/^\/usr\//, '/')] : ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].map((d) => join(d, tool));
      const candidates = [...new Set([...base, ...base.map((b) => (b.startsWith('/usr/') ? b : `/usr${b}`))])];
      const owners = spawnSync(requireTool('dpkg-query'), ['-S', ...candidates], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.includes(': /') && !l.startsWith('diversion'))
        .flatMap((l) => l.slice(0, l.indexOf(': /')).split(', '));
      t.ok(
        owners.some((o) => allowed.has(o.split(':')[0]!)),
        `${tool} belongs to ${p.name} (dpkg says: ${owners.join(', ') || 'no package'})`,
      );
    }
  }
});

t.test('requireTool() names the package of a missing program, and refuses an unlisted one', async (t) => {
  const saved = process.env.PATH;
  t.teardown(() => {
    process.env.PATH = saved;
  });
  process.env.PATH = dirname(process.execPath);
  t.throws(() => requireTool('tmux'), /^tmux not found: install the Debian package tmux \(apt-get install tmux/);
  t.throws(() => requireTool('qemu-system-riscv64'), /install the Debian package qemu-system-misc/);
  t.throws(() => requireTool('no-such-program'), /no-such-program is not in test\/debian-packages\.txt/);
  process.env.PATH = saved;
  t.equal(requireTool('tmux'), locate('tmux'), 'found on PATH: its path');
});

t.test("npm test's first step: without root, one line with the apt-get command, at once", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'colinux-test-packages-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  // `hello` stands for any package this machine does not have; tmux for one it has.
  const list = join(dir, 'packages.txt');
  writeFileSync(list, 'tmux tmux\nhello hello\n');
  const installer = join(ROOT, 'scripts', 'test-packages.mjs');
  // As `npm test` runs it: in a plain environment, without the loaders tap adds to child processes.
  const plain = ['env', '-i', `PATH=${process.env.PATH}`, process.execPath, installer];
  const started = Date.now();
  const setpriv = requireTool('setpriv');
  const r = spawnSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', ...plain, list], { encoding: 'utf8' });
  t.equal(r.status, 1, 'exit status 1');
  t.equal(r.stdout, '', 'nothing on stdout');
  t.equal(
    r.stderr,
    'test-packages: the tests need Debian packages that are missing; run: sudo apt-get install -y --no-install-recommends hello\n',
    'one line naming only what is missing',
  );
  t.ok(Date.now() - started < 5_000, 'it stops at once');
  const ok = spawnSync(plain[0]!, [...plain.slice(1), join(ROOT, 'test', 'debian-packages.txt')], { encoding: 'utf8' });
  t.same([ok.status, ok.stderr], [0, ''], 'with everything installed: exit 0, silent');
});
