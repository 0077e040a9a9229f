// The 9P2000.L server on its own: the share root confines every walk ('..' stops at the root,
// names with '/' are refused, symlinked directories are not walked through, a held fid keeps its
// file when a path above it is swapped for a symlink), every name-taking operation refuses '.',
// '..' and '/', a read-only share answers EROFS, replies over 256 bytes arrive whole, and
// malformed messages get Rlerror instead of a host exception.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NinepServer } from '../../src/machine/devices/virtio/9p/server.ts';
import { Reader, Writer } from '../../src/machine/devices/virtio/9p/wire.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ninep-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const share = path.join(dir, 'share');
fs.mkdirSync(path.join(share, 'sub'), { recursive: true });
fs.writeFileSync(path.join(share, 'sub/file.txt'), 'inside');
fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
fs.symlinkSync(dir, path.join(share, 'escape'));

function msg(type: number, body: (w: Writer) => void): Uint8Array {
  const w = new Writer().u32(0).u8(type).u16(1);
  body(w);
  const b = w.bytes();
  new DataView(b.buffer, b.byteOffset).setUint32(0, b.length, true);
  return b.slice();
}

function session(readOnly = false) {
  const s = new NinepServer(share, readOnly);
  const call = (type: number, body: (w: Writer) => void = () => {}) => {
    const r = new Reader(s.handle(msg(type, body), 65536));
    r.u32();
    return { type: r.u8(), tag: r.u16(), r };
  };
  call(100, (w) => w.u32(65536).str('9P2000.L'));
  call(104, (w) => w.u32(0).u32(0xffffffff).str('root').str('').u32(0));
  const walk = (fid: number, newFid: number, ...names: string[]) =>
    call(110, (w) => {
      w.u32(fid).u32(newFid).u16(names.length);
      for (const n of names) w.str(n);
    });
  const read = (fid: number) => {
    const open = call(12, (w) => w.u32(fid).u32(0));
    if (open.type !== 13) return { error: open.r.u32() };
    const rd = call(116, (w) => w.u32(fid).u64(0).u32(100));
    return { data: new TextDecoder().decode(rd.r.data(rd.r.u32())) };
  };
  return { s, call, walk, read };
}

t.test('version and attach', async (t) => {
  const { call } = session();
  const v = call(100, (w) => w.u32(1 << 20).str('9P2000.L'));
  t.equal(v.type, 101);
  t.equal(v.r.u32(), 512 * 1024, 'msize capped');
  t.equal(v.r.str(), '9P2000.L');
  t.equal(call(100, (w) => w.u32(8192).str('9P2000')).r.u32() && 'ok', 'ok');
});

t.test('walks stay inside the share', async (t) => {
  const { walk, read } = session();
  t.equal(walk(0, 1, 'sub', 'file.txt').type, 111);
  t.same(read(1), { data: 'inside' });
  const up = walk(0, 2, '..', '..', 'secret.txt');
  t.equal(up.type, 111);
  t.equal(up.r.u16(), 2, "'..' at the root stays at the root: secret.txt is not found there (partial walk)");
  const through = walk(0, 3, 'escape', 'secret.txt');
  t.equal(through.type, 111, 'partial walk');
  t.equal(through.r.u16(), 1, 'stops at the symlink: not walked through');
  t.equal(walk(0, 4, 'sub/file.txt').type, 7, "a name containing '/' is refused");
  t.equal(walk(0, 5, 'escape').type, 111, 'the symlink itself can be walked to (for readlink)');
  t.equal(read(5).error, 40, 'but not opened (ELOOP from O_NOFOLLOW)');
});

t.test('read-only share: EROFS for every change', async (t) => {
  const { call, walk } = session(true);
  walk(0, 1, 'sub');
  const create = call(14, (w) => w.u32(1).str('new.txt').u32(0o101).u32(0o644).u32(0));
  t.equal(create.type, 7);
  t.equal(create.r.u32(), 30);
  const mkdir = call(72, (w) => w.u32(1).str('d').u32(0o755).u32(0));
  t.equal(mkdir.r.u32(), 30);
  walk(0, 2, 'sub', 'file.txt');
  t.equal(call(12, (w) => w.u32(2).u32(2)).r.u32(), 30, 'open for writing refused');
  t.notOk(fs.existsSync(path.join(share, 'sub/new.txt')));
});

t.test('bad fids and truncated messages are errors, not exceptions', async (t) => {
  const { s, call } = session();
  const bad = call(24, (w) => w.u32(99).u64(0x7ff));
  t.equal(bad.type, 7);
  t.equal(bad.r.u32(), 9, 'EBADF');
  const short = new Reader(s.handle(Uint8Array.of(9, 0, 0, 0, 110, 1, 0, 0, 0), 4096));
  short.u32();
  t.equal(short.u8(), 7, 'truncated Twalk -> Rlerror');
  t.equal(call(250).type, 7, 'unknown type -> Rlerror');
});

t.test('replies over 256 bytes: a 60 KiB read and a 300-entry readdir arrive whole', async (t) => {
  const big = Buffer.alloc(100 * 1024, 'x');
  fs.writeFileSync(path.join(share, 'big.bin'), big);
  fs.mkdirSync(path.join(share, 'many'));
  for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(share, 'many', `entry-${i}`), '');
  t.teardown(() => {
    fs.rmSync(path.join(share, 'big.bin'));
    fs.rmSync(path.join(share, 'many'), { recursive: true });
  });
  const { call, walk } = session();
  walk(0, 1, 'big.bin');
  call(12, (w) => w.u32(1).u32(0));
  const rd = call(116, (w) =>
    w
      .u32(1)
      .u64(1000)
      .u32(60 * 1024),
  );
  t.equal(rd.type, 117);
  t.same(Buffer.from(rd.r.data(rd.r.u32())), big.subarray(1000, 1000 + 60 * 1024));
  walk(0, 2, 'many');
  call(12, (w) => w.u32(2).u32(0));
  const names: string[] = [];
  for (let offset = 0n; ;) {
    const rr = call(40, (w) => w.u32(2).u64(offset).u32(8192));
    t.equal(rr.type, 41);
    const body = new Reader(rr.r.data(rr.r.u32()));
    let n = 0;
    for (; ; n++) {
      try {
        body.data(13);
      } catch {
        break;
      }
      offset = body.u64();
      body.u8();
      names.push(body.str());
    }
    if (n === 0) break;
  }
  t.equal(names.filter((n) => n.startsWith('entry-')).length, 300);
});

t.test("'.', '..', '' and names with '/' or NUL are refused by every operation that takes a name", async (t) => {
  const { call, walk } = session();
  walk(0, 1, 'sub');
  walk(0, 2, 'sub', 'file.txt');
  const before = fs.readdirSync(dir, { recursive: true }).sort();
  for (const bad of ['.', '..', '', '../secret.txt', 'a/b', 'x\0y']) {
    const ops: Array<[string, number, (w: Writer) => void]> = [
      ['lcreate', 14, (w) => w.u32(1).str(bad).u32(0o102).u32(0o644).u32(0)],
      ['mkdir', 72, (w) => w.u32(1).str(bad).u32(0o755).u32(0)],
      ['symlink', 16, (w) => w.u32(1).str(bad).str('/').u32(0)],
      ['link', 70, (w) => w.u32(1).u32(2).str(bad)],
      ['renameat from', 74, (w) => w.u32(1).str(bad).u32(1).str('renamed')],
      ['renameat to', 74, (w) => w.u32(1).str('file.txt').u32(0).str(bad)],
      ['unlinkat', 76, (w) => w.u32(1).str(bad).u32(0)],
      ['unlinkat dir', 76, (w) => w.u32(1).str(bad).u32(0x200)],
    ];
    for (const [what, type, body] of ops) {
      const r = call(type, body);
      t.equal(r.type, 7, `${what} ${JSON.stringify(bad)}: Rlerror`);
      t.equal(r.r.u32(), 22, `${what} ${JSON.stringify(bad)}: EINVAL`);
    }
    if (bad.includes('/') || bad === '' || bad.includes('\0')) t.equal(walk(1, 3, bad).type, 7, `walk ${JSON.stringify(bad)} refused`);
  }
  t.same(fs.readdirSync(dir, { recursive: true }).sort(), before, 'nothing created, renamed or removed');
  const root = call(24, (w) => w.u32(0).u64(0x7ff)).r;
  root.u64();
  const rootQid = root.data(13);
  const up = walk(0, 4, '..', '..', '..');
  t.equal(up.r.u16(), 3);
  up.r.data(26);
  t.same(up.r.data(13), rootQid, "'..' from the root is the root");
  const upFromSub = walk(1, 5, '..', '..');
  upFromSub.r.u16();
  upFromSub.r.data(13);
  t.same(upFromSub.r.data(13), rootQid, "'..' from sub reaches the root, then stays");
});

t.test('a symlink to outside swapped in at each level between walk and open (on the host)', async (t) => {
  const outside = path.join(dir, 'outside');
  for (const level of ['d1', 'd1/d2', 'd1/d2/d3']) {
    fs.mkdirSync(path.join(share, 'd1/d2/d3'), { recursive: true });
    fs.writeFileSync(path.join(share, 'd1/d2/d3/f'), 'inside');
    // The same layout outside, so a server that re-walked a path would find a file there.
    fs.mkdirSync(path.join(outside, 'd2/d3'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'd2/d3/f'), 'OUTSIDE');
    fs.writeFileSync(path.join(outside, 'f'), 'OUTSIDE');
    const { call, walk, read } = session();
    t.equal(walk(0, 1, 'd1', 'd2', 'd3', 'f').type, 111);
    t.equal(walk(0, 2, 'd1', 'd2', 'd3').type, 111);
    fs.renameSync(path.join(share, level), path.join(share, `${level}.moved`));
    fs.symlinkSync(level === 'd1' ? outside : path.join(outside, level.slice(3)), path.join(share, level));
    t.same(read(1), { data: 'inside' }, `${level}: the walked file is opened, not what its old path now names`);
    t.equal(walk(2, 3, 'f').type, 111);
    t.same(read(3), { data: 'inside' }, `${level}: a walk from the held directory stays in it`);
    const create = call(14, (w) => w.u32(2).str('new').u32(0o102).u32(0o644).u32(0));
    t.equal(create.type, 15);
    t.notOk(fs.existsSync(path.join(outside, 'd2/d3/new')) || fs.existsSync(path.join(outside, 'new')), `${level}: nothing created outside`);
    t.equal(walk(0, 4, 'd1', 'd2', 'd3', 'f').r.u16() < 4 || level !== 'd1', true, 'a new walk does not pass the symlink');
    fs.rmSync(path.join(share, 'd1'), { recursive: true, force: true });
    fs.rmSync(path.join(share, 'd1.moved'), { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true });
  }
});

t.test('Trename and Tremove answer EOPNOTSUPP (the client uses Trenameat/Tunlinkat); Tremove still clunks', async (t) => {
  const { call, walk } = session();
  walk(0, 1, 'sub', 'file.txt');
  walk(0, 2, 'sub');
  t.equal(call(20, (w) => w.u32(1).u32(2).str('moved')).r.u32(), 95);
  t.equal(call(122, (w) => w.u32(1)).r.u32(), 95);
  t.equal(call(24, (w) => w.u32(1).u64(0x7ff)).r.u32(), 9, 'the fid is gone');
  t.ok(fs.existsSync(path.join(share, 'sub/file.txt')));
});

t.test('setattr on a held file: mode, owner, size, times; a symlink keeps its target', async (t) => {
  const f = path.join(share, 'attrs.txt');
  fs.writeFileSync(f, '0123456789');
  fs.symlinkSync('attrs.txt', path.join(share, 'attrs-link'));
  t.teardown(() => {
    fs.rmSync(f, { force: true });
    fs.rmSync(path.join(share, 'attrs-link'), { force: true });
  });
  const { call, walk } = session();
  walk(0, 1, 'attrs.txt');
  const set = (fid: number, valid: number, mode: number, size: number, atime: number, mtime: number) =>
    call(26, (w) => w.u32(fid).u32(valid).u32(mode).u32(process.getuid!()).u32(process.getgid!()).u64(size).u64(atime).u64(5).u64(mtime).u64(7));
  t.equal(set(1, 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x80 | 0x100, 0o600, 4, 1_000_000, 2_000_000).type, 27);
  const st = fs.statSync(f, { bigint: true });
  t.equal(Number(st.mode & 0o7777n), 0o600);
  t.equal(st.size, 4n);
  t.equal(st.atimeNs, 1_000_000n * 1_000_000_000n + 5n);
  t.equal(st.mtimeNs, 2_000_000n * 1_000_000_000n + 7n);
  t.equal(set(1, 0x20, 0, 0, 0, 0).type, 27, 'mtime = now');
  t.ok(fs.statSync(f).mtimeMs > Date.now() - 60_000);
  t.equal(fs.statSync(f, { bigint: true }).atimeNs, 1_000_000n * 1_000_000_000n + 5n, 'atime untouched (UTIME_OMIT)');
  walk(0, 2, 'attrs-link');
  t.equal(set(2, 0x10 | 0x20 | 0x80 | 0x100, 0, 0, 3_000_000, 3_000_000).type, 27);
  t.equal(fs.lstatSync(path.join(share, 'attrs-link'), { bigint: true }).mtimeNs, 3_000_000n * 1_000_000_000n + 7n, 'the link itself');
  t.equal(fs.statSync(f).mtimeMs > 3_000_000_000, true, 'not its target');
  t.equal(set(2, 0x8, 0, 0, 0, 0).r.u32(), 22, 'a symlink has no size to set');
  const rl = call(22, (w) => w.u32(2));
  t.equal(rl.r.str(), 'attrs.txt');
});

t.test('a guest holds at most 8,192 fids (each holds a host descriptor): EMFILE beyond, room again after a clunk', async (t) => {
  const { s, call, walk } = session();
  for (let id = 1; id < 8192; id++)
    if (walk(0, id).type !== 111) {
      t.fail(`walk to fid ${id}`);
      return;
    }
  const over = walk(0, 8192);
  t.equal(over.type, 7);
  t.equal(over.r.u32(), 24, 'EMFILE');
  t.equal(walk(0, 5).type, 111, 'replacing an existing fid is allowed');
  call(120, (w) => w.u32(1));
  t.equal(walk(0, 8192).type, 111);
  s.close();
});
