// The 9P2000.L server on its own: the share root confines every walk ('..' stops at the root,
// names with '/' are refused, symlinked directories are not walked through), a read-only share
// answers EROFS, and malformed messages get Rlerror instead of a host exception.

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
    call(110, (w) => { w.u32(fid).u32(newFid).u16(names.length); for (const n of names) w.str(n); });
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
