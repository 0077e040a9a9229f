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
import { Module } from '@colinux/protocol';
import { WorkerMachine, baseSpec, bundledGuest, startGuest } from './machine-harness.ts';

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

const m = new WorkerMachine({
  ...baseSpec,
  memoryMiB: 128,
  sharedDirs: [
    { unit: 0, path: share, readOnly: false },
    { unit: 1, path: roShare, readOnly: true },
  ],
});
t.teardown(() => m.close());

const text = () => m.output.get(Module.CONSOLE) ?? '';
let serial = 0;

/** Runs a guest shell command and returns what it printed (between the echoed command and
 *  the end marker, which carries the exit status). */
async function sh(command: string, ms = 60_000): Promise<{ out: string; status: number }> {
  const n = ++serial;
  const before = text().length;
  m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode(`${command}; echo "END-$((${n}*1))-$?"\n`) });
  const done = new RegExp(`END-${n}-(\\d+)`);
  const found = await m.until(() => done.exec(text().slice(before)) ?? undefined, ms, `"${command}"`);
  const all = text().slice(before);
  const start = all.indexOf('\n', all.indexOf(`$((${n}*1))`)); // after the echoed command
  return { out: all.slice(start + 1, found.index).replace(/\r/g, ''), status: Number(found[1]) };
}

t.before(async () => {
  startGuest(m, bundledGuest());
  await m.until(() => text().includes(READY), 180_000, 'ready');
  const mounted = await sh('mkdir -p /mnt /ro && mount -t 9p -o trans=virtio cofs0 /mnt && mount -t 9p -o trans=virtio cofs1 /ro');
  if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.out}`);
});

t.afterEach(async () => {
  if (!m.exited) await sh('cd /');
});

t.test("the issue's sequence: rename a directory under a working directory, symlink the old name to /", async (t) => {
  await sh('mkdir -p /mnt/a/tmp; cd /mnt/a/tmp; mv /mnt/a /mnt/b; ln -s / /mnt/a');
  t.match((await sh('realpath .')).out, /^\/mnt\/b\/tmp$/m);
  t.notMatch((await sh('ls')).out, path.basename(dir), "the working directory does not list the host's /tmp");
  const marker = `cofs-escape-${process.pid}`;
  t.teardown(() => fs.rmSync(path.join('/tmp', marker), { force: true }));
  t.equal((await sh(`echo created > ${marker}`)).status, 0);
  t.notOk(fs.existsSync(path.join('/tmp', marker)), "nothing created in the host's /tmp");
  t.equal(fs.readFileSync(path.join(share, 'b/tmp', marker), 'utf8'), 'created\n', 'the file is where the guest sees it: share/b/tmp');
  await sh('cd /; rm -rf /mnt/a /mnt/b');
});

t.test("the same from a working directory named etc: the host's /etc/hostname is not read", async (t) => {
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

t.test('a symlink to outside swapped in at each level above a held working directory', async (t) => {
  for (const level of ['d1', 'd1/d2', 'd1/d2/d3']) {
    await sh('mkdir -p /mnt/d1/d2/d3 && echo inside > /mnt/d1/d2/d3/f && cd /mnt/d1/d2/d3 && exec 3</mnt/d1/d2/d3/f');
    await sh(`mv /mnt/${level} /mnt/${level}.moved && ln -s ${outside} /mnt/${level}`);
    t.match((await sh('cat f; cat <&3')).out, /^inside\ninside$/m, `${level}: the held directory and open file are still the share's`);
    t.notMatch((await sh('cat tmp/secret.txt; ls; ls tmp')).out, SECRET);
    await sh('echo x > created; mkdir made; ln f hard; ln -s / sym; mv f f2; rm f2');
    t.same(snapshot(outside), outsideBefore, `${level}: nothing outside the share changed`);
    await sh('exec 3<&-; cd /; rm -rf /mnt/d1 /mnt/d1.moved /mnt/d1/d2.moved');
    t.same(fs.readdirSync(share), [], 'cleaned up');
  }
});

t.test("the share's parent renamed on the host, its old path now a symlink to outside", async (t) => {
  await sh('mkdir -p /mnt/held && cd /mnt/held');
  const parent = path.join(dir, 'parent');
  const inner = path.join(parent, 'inner');
  fs.mkdirSync(inner, { recursive: true });
  fs.writeFileSync(path.join(inner, 'in.txt'), 'inner\n');
  // A second machine is not needed: the server holds the share root by descriptor, so moving
  // the directory of *this* share (cofs0) is the case; do it and symlink the old path away.
  const moved = `${dir}-moved`;
  fs.renameSync(dir, moved);
  t.teardown(() => {
    if (fs.existsSync(moved)) {
      fs.rmSync(dir, { force: true });
      fs.renameSync(moved, dir);
    }
  });
  fs.symlinkSync(path.join(moved, 'outside'), dir);
  const now = await sh('echo after-move > /mnt/held/note && cat /mnt/held/note && ls /mnt');
  t.match(now.out, /after-move/);
  t.ok(fs.existsSync(path.join(moved, 'share/held/note')), 'the write landed in the moved share');
  t.notOk(fs.existsSync(path.join(moved, 'outside/held')), 'not in the directory now at the old path');
  fs.rmSync(dir);
  fs.renameSync(moved, dir);
  t.same(snapshot(outside), outsideBefore);
  await sh('cd /; rm -rf /mnt/held');
});

t.test('hard links: inside the share they work, from outside it the guest cannot make one', async (t) => {
  const r = await sh(
    'echo data > /mnt/orig && ln /mnt/orig /mnt/link && echo more >> /mnt/link && cat /mnt/orig && set -- $(ls -l /mnt/orig) && echo links=$2',
  );
  t.match(r.out, /^data\nmore\nlinks=2$/m);
  t.equal(fs.statSync(path.join(share, 'orig')).ino, fs.statSync(path.join(share, 'link')).ino, 'one inode on the host');
  t.not((await sh('ln /etc/hostname /mnt/host-link')).status, 0, 'a link across file systems is refused by the guest');
  await sh('rm /mnt/orig /mnt/link');
});

t.test('a read-only share (cofs1=...,ro): reads work, every change answers EROFS', async (t) => {
  t.match((await sh('cat /ro/kept.txt')).out, /read-only share/);
  for (const change of [
    'echo x > /ro/new',
    'echo x >> /ro/kept.txt',
    'rm /ro/kept.txt',
    'mkdir /ro/d',
    'touch /ro/kept.txt',
    'mv /ro/kept.txt /ro/k2',
    'ln -s x /ro/l',
    'chmod 600 /ro/kept.txt',
  ]) {
    const r = await sh(`${change} 2>&1`);
    t.not(r.status, 0, change);
    t.match(r.out, /Read-only file system/, `${change}: EROFS`);
  }
  t.same(fs.readdirSync(roShare), ['kept.txt']);
  t.equal(fs.readFileSync(path.join(roShare, 'kept.txt'), 'utf8'), 'read-only share\n');
});

const sha256 = (p: string) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

t.test('files of 0 B, 1 KiB, 1 MiB and 64 MiB arrive whole, both ways (sha256 in the guest and on the host)', async (t) => {
  const sizes = { empty: 0, '1k': 1024, '1m': 1 << 20, '64m': 64 << 20 };
  fs.mkdirSync(path.join(share, 'sizes'));
  for (const [name, size] of Object.entries(sizes)) fs.writeFileSync(path.join(share, 'sizes', name), crypto.randomBytes(size));
  const r = await sh('cd /mnt/sizes && sha256sum empty 1k 1m 64m', 180_000);
  t.equal(r.status, 0);
  for (const name of Object.keys(sizes)) t.match(r.out, `${sha256(path.join(share, 'sizes', name))}  ${name}`, `${name} read in the guest`);
  const w = await sh('cd /mnt/sizes && ok=0; for f in empty 1k 1m 64m; do dd if=$f of=copy-$f bs=64k 2>/dev/null || ok=1; done; sync; [ $ok = 0 ]', 180_000);
  t.equal(w.status, 0, 'every dd succeeded');
  for (const name of Object.keys(sizes))
    t.equal(sha256(path.join(share, 'sizes', `copy-${name}`)), sha256(path.join(share, 'sizes', name)), `${name} written by the guest`);
  await sh('rm -r /mnt/sizes');
});

t.test('a directory of 1,000 names is listed completely', async (t) => {
  const many = path.join(share, 'many');
  fs.mkdirSync(many);
  const names = Array.from({ length: 1000 }, (_, i) => `file-with-a-longish-name-${String(i).padStart(4, '0')}`);
  for (const n of names) fs.writeFileSync(path.join(many, n), n);
  const r = await sh('ls /mnt/many | sha256sum; ls /mnt/many | wc -l');
  t.match(r.out, /^1000$/m);
  t.match(
    r.out,
    crypto
      .createHash('sha256')
      .update(`${names.sort().join('\n')}\n`)
      .digest('hex'),
    'every name, in order',
  );
  await sh('rm -r /mnt/many');
});

t.test('a binary on the share is executed', async (t) => {
  const r = await sh('cp /bin/busybox /mnt/busybox && /mnt/busybox echo ran-from-the-share-$((40+2))');
  t.match(r.out, /ran-from-the-share-42/);
  t.equal(fs.readFileSync(path.join(share, 'busybox')).subarray(0, 4).toString('latin1'), '\x7fELF', "the guest's busybox, on the host");
  await sh('rm /mnt/busybox');
});

t.test('stopping the machine closes every descriptor it held in the shares', async (t) => {
  const intoShares = () =>
    fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
      } catch {
        return false;
      }
    });
  await sh('cd /mnt && exec 4</ro/kept.txt');
  t.ok(intoShares().length >= 3, 'while running: the share roots, the working directory, the open file');
  await m.close();
  t.same(intoShares(), [], "none left after the worker ended (it shares this process's descriptor table)");
});
