// No import cycle inside a package's src (issue 12): the relative imports of every
// packages/*/src file (static, `import type`, re-exports and dynamic `import('./x')`) form a graph
// whose strongly connected components must be single files. Type-only imports count: they tie
// modules together for a reader as much as values do. The cycles that existed when this test was
// written are listed in KNOWN_CYCLES; the list may only shrink: a new cycle (or a listed one that
// grew) fails, and so does a listed one that no longer exists as written, so the list stays true.
import t from 'tap';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const PACKAGES = join(import.meta.dirname, '..', 'packages');

/** Each entry: the package, then the files of one cycle (a strongly connected component), sorted. */
const KNOWN_CYCLES: readonly string[] = [];

const STATIC_IMPORT = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
const BARE_IMPORT = /^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(?:ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** file -> the files of the same src it imports. AssemblyScript files import without an extension. */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT].flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!));
    const targets = specifiers.flatMap((spec) => {
      const base = resolve(dirname(file), spec);
      const found = [base, `${base}.ts`, join(base, 'index.ts')].find((c) => known.has(c));
      return found ? [found] : [];
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file, or a file importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One concrete cycle through the component's first file (shortest, by breadth-first search). */
function cyclePath(graph: Map<string, string[]>, component: string[]): string[] {
  const inside = new Set(component);
  const start = [...component].sort()[0]!;
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v)!) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = from.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

t.test('no import cycle in packages/*/src beyond the known, shrinking list', async (t) => {
  const seen = new Map<string, string>();
  let edges = 0;
  for (const pkg of readdirSync(PACKAGES).sort()) {
    const src = join(PACKAGES, pkg, 'src');
    if (!existsSync(src)) continue;
    const graph = importGraph(sourceFiles(src));
    for (const targets of graph.values()) edges += targets.length;
    for (const component of cycles(graph)) {
      const name = (f: string) => relative(src, f);
      const key = `${pkg}: ${component.map(name).sort().join(' ')}`;
      seen.set(key, cyclePath(graph, component).map(name).join(' -> '));
    }
  }
  t.ok(edges > 300, `the relative imports were read (${edges})`);

  const added = [...seen]
    .filter(([key]) => !KNOWN_CYCLES.includes(key))
    .map(([key, path]) => `new import cycle in packages/${key.split(':')[0]}/src: ${path} (all files in it: ${key})`);
  const gone = KNOWN_CYCLES.filter((key) => !seen.has(key)).map(
    (key) => `listed cycle no longer exists, update KNOWN_CYCLES (what is left of it is reported as new): ${key}`,
  );
  t.same(added, [], 'no import cycle that is not listed');
  t.same(gone, [], 'every listed cycle still exists exactly as listed');
});
