// First step of `npm test`: makes sure the Debian packages in test/debian-packages.txt are installed.
// As root with apt-get it installs the missing ones (one line says so); otherwise it stops at once
// with one line giving the apt-get command. Plain ESM for the machine's Node 20, like bootstrap.mjs.
// Usage: node scripts/test-packages.mjs [list-file]   (default: test/debian-packages.txt)
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PACKAGE_LIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'debian-packages.txt');

/** One entry a non-comment line: the package, then the programs (or absolute paths) tests use from it. */
export function readPackageList(text = readFileSync(PACKAGE_LIST, 'utf8')) {
  const packages = [];
  text.split('\n').forEach((raw, i) => {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (words.length > 0) packages.push({ line: i + 1, name: words[0], tools: words.slice(1) });
  });
  return packages;
}

/** Where `tool` is: itself when it is an absolute path, else the first executable on PATH. */
export function locate(tool) {
  const candidates = isAbsolute(tool)
    ? [tool]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, tool));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, isAbsolute(tool) ? constants.R_OK : constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The listed packages dpkg does not have installed; without dpkg, those with a tool not found. */
export function missingPackages(packages = readPackageList()) {
  const names = packages.map((p) => p.name);
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...names], { encoding: 'utf8' });
  if (query.error) return packages.filter((p) => p.tools.some((t) => locate(t) === undefined)).map((p) => p.name);
  const installed = new Set(
    query.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

function main(listFile = PACKAGE_LIST) {
  const say = (msg) => process.stderr.write(`test-packages: ${msg}\n`);
  const missing = missingPackages(readPackageList(readFileSync(listFile, 'utf8')));
  if (missing.length === 0) return 0;
  const install = ['install', '-y', '-qq', '--no-install-recommends', ...missing];
  const asRoot = process.getuid?.() === 0;
  if (!asRoot || locate('apt-get') === undefined) {
    say(`the tests need Debian packages that are missing; run: sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
    return 1;
  }
  say(`installing the Debian packages the tests need (apt-get, as root): ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('apt-get', install, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    say(
      `apt-get failed: ${String(err.stderr ?? err.message)
        .trim()
        .split('\n')
        .pop()}`,
    );
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv[2]);
