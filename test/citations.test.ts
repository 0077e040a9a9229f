// Comments and docs cite what a clone of this repository can follow: public sources (the coLinux
// repository, RFCs, specs, other projects' files) or pages of this repository (docs/README.md,
// "Standards"). This scans every file git tracks (and new ones it would track) for citations of
// documents that are not here: a `*.md` file name no file in the repository has, a `reference/`
// folder, numbered sections of an outside coLinux write-up, or design notes kept elsewhere.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { requireTool } from './tools.ts';

requireTool('git');

const ROOT = join(import.meta.dirname, '..');
const SELF = relative(ROOT, import.meta.filename);

/** Citations of documents outside the repository, whatever file names exist in it. */
const OUTSIDE_CITATIONS: { what: string; pattern: RegExp }[] = [
  { what: 'a reference/ folder', pattern: /\breference\/[\w-]+\.md/ },
  { what: 'a numbered section of a "reference"', pattern: /\breference\s+(?:§\s*)?[0-9A-Z]\d*\.\d/ },
  { what: 'a numbered section of colinux.md (docs/colinux.md has none)', pattern: /\bcolinux\.md\s*(?:§|section\b|\d)/i },
  { what: 'a numbered section of a coLinux write-up', pattern: /\bcoLinux\s+§/i },
  { what: 'design notes outside the repository', pattern: /\bshared\/(?:design|reference)\b/ },
];

function trackedFiles(): string[] {
  let out: string;
  try {
    out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  } catch (err) {
    throw new Error(`git ls-files failed (install the Debian package git): ${(err as Error).message}`);
  }
  return out.split('\0').filter((f) => f !== '' && !f.split('/').includes('node_modules'));
}

function isText(bytes: Buffer): boolean {
  return !bytes.subarray(0, 8192).includes(0);
}

t.test('no file cites a document that is not in the repository', async (t) => {
  const files = trackedFiles();
  t.ok(files.length > 100, `git lists the repository's files (${files.length})`);
  const markdownNames = new Set(files.filter((f) => f.endsWith('.md')).map((f) => basename(f)));
  t.ok(markdownNames.has('colinux.md'), 'docs/colinux.md is among them');

  const problems: string[] = [];
  for (const file of files) {
    if (file === SELF) continue;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(ROOT, file));
    } catch {
      continue; // deleted in the work tree but not yet in git
    }
    if (!isText(bytes)) continue;
    bytes.toString('utf8').split('\n').forEach((line, i) => {
      const where = `${file}:${i + 1}`;
      for (const { what, pattern } of OUTSIDE_CITATIONS) {
        const m = pattern.exec(line);
        if (m) problems.push(`${where}: cites ${what}: "${m[0]}"`);
      }
      for (const m of line.matchAll(/\S*?([\w.-]*[\w-]\.md)\b/g)) {
        if (m[0].includes('://')) continue; // a web address: public by construction
        if (!markdownNames.has(m[1]!)) problems.push(`${where}: cites ${m[1]}, which is not in the repository`);
      }
    });
  }
  t.same(problems, [], 'citations a clone can follow');
});
