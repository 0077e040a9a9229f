// A package reaches another only through its name (`@colinux/<name>` and the subpaths its
// package.json exports), never by a relative path into the other's folder: that way the
// dependency is declared in package.json and pnpm links it. Relative paths to the repository's
// shared test tooling (test/) and to files outside any package are fine. The reaches that existed
// when this was written are listed and may only go away.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const ROOT = path.join(import.meta.dirname, '..');
const PACKAGES = path.join(ROOT, 'packages');

/** Known reaches, `file -> specifier`; remove an entry when its import goes. */
const KNOWN = new Set<string>([
  // The regression test runs the slirp stack in-process against the machine; monitor-core cannot
  // depend on net-slirp (net-slirp's tests use monitor-core's fixtures).
  'packages/monitor-core/test/machine-regression.test.ts -> ../../net-slirp/src/index.ts',
]);

const IMPORT = /(?:\bfrom\s+|\bimport\(\s*|\bnew URL\(\s*)['"](\.\.?\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'build') return [];
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

t.test('no package reaches into another by a relative path', async (t) => {
  const found: string[] = [];
  let imports = 0;
  for (const pkg of fs.readdirSync(PACKAGES)) {
    const home = path.join(PACKAGES, pkg);
    for (const file of sources(home)) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
        imports++;
        const target = path.resolve(path.dirname(file), m[1]!);
        const inPackages = target.startsWith(PACKAGES + path.sep);
        if (inPackages && !target.startsWith(home + path.sep)) found.push(`${path.relative(ROOT, file)} -> ${m[1]}`);
      }
    }
  }
  t.ok(imports > 300, `read the relative imports (${imports})`);
  t.same(
    found.filter((f) => !KNOWN.has(f)),
    [],
    'every reach into another package goes through its name',
  );
  t.same(
    [...KNOWN].filter((k) => !found.includes(k)),
    [],
    'every listed reach still exists exactly as listed',
  );
});
