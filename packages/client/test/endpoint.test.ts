import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { endpointPath, runtimeDir, runtimeDirPath } from '../src/index.ts';

t.test('runtime dir precedence and mode', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-ep-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  t.equal(runtimeDirPath({ COLINUX_RUNTIME_DIR: `${base}/a`, XDG_RUNTIME_DIR: `${base}/x` }), `${base}/a`);
  t.equal(runtimeDirPath({ XDG_RUNTIME_DIR: `${base}/x` }), `${base}/x/colinux`);
  t.match(runtimeDirPath({}), new RegExp(`^${os.tmpdir()}/colinux-`));
  const dir = runtimeDir({ COLINUX_RUNTIME_DIR: `${base}/a/b` });
  t.equal(fs.statSync(dir).mode & 0o777, 0o700);
  fs.chmodSync(dir, 0o755);
  runtimeDir({ COLINUX_RUNTIME_DIR: dir });
  t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'tightened again');
  t.equal(endpointPath({ COLINUX_RUNTIME_DIR: dir }), path.join(dir, 'manager.sock'));
  t.throws(() => runtimeDir({ COLINUX_RUNTIME_DIR: os.tmpdir() }), /shared temp dir/);
  fs.writeFileSync(`${base}/file`, '');
  t.throws(() => runtimeDir({ COLINUX_RUNTIME_DIR: `${base}/file` }), /not a directory|EEXIST/);
});
