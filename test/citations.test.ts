// Comments and docs cite what a clone of this repository can follow: public sources (the coLinux
// repository, RFCs, specs, other projects' files) or pages of this repository (docs/README.md
// says so). This scans every file git tracks (and new ones it would track) for citations of
// documents that are not here: a `*.md` file name no file in the repository has, a `reference/`
// folder, numbered sections of an outside coLinux write-up, or design notes kept elsewhere; and
// every `page.md#section` it cites names a heading of that page.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, normalize, relative } from 'node:path';
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

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown file's headings. */
function anchorsOf(file: string): Set<string> {
  return new Set([...readFileSync(join(ROOT, file), 'utf8').matchAll(/^#{1,6}\s+(.*)$/gm)].map((m) => slug(m[1]!)));
}

/** The repository file a citation like `docs/x.md` or `x.md` names, seen from `from`. */
function citedFile(files: Set<string>, from: string, cited: string): string | undefined {
  const beside = normalize(join(dirname(from), cited));
  if (files.has(beside)) return beside;
  const matches = [...files].filter((f) => f === cited || f.endsWith(`/${cited}`));
  return matches.length === 1 ? matches[0] : undefined;
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
    bytes
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
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

t.test('every cited section of a markdown page of the repository exists', async (t) => {
  const files = trackedFiles();
  const known = new Set(files);
  const anchors = new Map<string, Set<string>>();
  const problems: string[] = [];
  let checked = 0;
  for (const file of files) {
    if (file === SELF) continue;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(ROOT, file));
    } catch {
      continue;
    }
    if (!isText(bytes)) continue;
    bytes
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(/\S*?([\w./-]*[\w-]\.md)#([\w-]+)/g)) {
          if (m[0].includes('://')) continue;
          const page = citedFile(known, file, m[1]!);
          if (!page) continue; // an unknown page is the test above's finding
          if (!anchors.has(page)) anchors.set(page, anchorsOf(page));
          checked++;
          if (!anchors.get(page)!.has(m[2]!)) problems.push(`${file}:${i + 1}: ${page} has no section #${m[2]}`);
        }
      });
  }
  t.ok(checked > 50, `section citations checked (${checked})`);
  t.same(problems, [], 'every cited section exists');
});
