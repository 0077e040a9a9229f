// guest/images/MANIFEST must describe exactly the shipped files (sha256) and name the Debian
// package versions they were built from (guest/build writes it).
import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const images = join(import.meta.dirname, '..', 'images');
const manifest = readFileSync(join(images, 'MANIFEST'), 'utf8').split('\n');

const sums = new Map<string, string>();
const packages = new Map<string, string>();
for (const line of manifest) {
  const sum = /^([0-9a-f]{64}) [ *](\S+)$/.exec(line);
  if (sum) sums.set(sum[2]!, sum[1]!); // both groups are required by the pattern
  const pkg = /^package (\S+) (\S+)$/.exec(line);
  if (pkg) packages.set(pkg[1]!, pkg[2]!);
}

t.test('every shipped file is listed with its sha256', async (t) => {
  const shipped = readdirSync(images)
    .filter((f) => f !== 'MANIFEST')
    .sort();
  t.same([...sums.keys()].sort(), shipped, 'MANIFEST lists exactly the files in guest/images/');
  for (const [file, expected] of sums) {
    const actual = createHash('sha256')
      .update(readFileSync(join(images, file)))
      .digest('hex');
    t.equal(actual, expected, `sha256 of ${file}`);
  }
});

t.test('the Debian package versions are recorded', async (t) => {
  for (const name of ['linux-source-6.12', 'gcc-riscv64-linux-gnu', 'busybox-source', 'e2fsprogs']) {
    t.match(packages.get(name) ?? '', /^[0-9][0-9A-Za-z.+~:-]*$/, `${name} version`);
  }
});

t.test('the images stay within the 12 MB budget', async (t) => {
  const total = readdirSync(images).reduce((sum, f) => sum + statSync(join(images, f)).size, 0);
  t.ok(total < 12e6, `guest/images/ holds ${(total / 1e6).toFixed(1)} MB`);
});
