// Random 9P2000.L sessions against the server, as a hostile guest would send them (walks with
// '..', names with '/', symlinks to outside and to '/', renames, links, creates, setattr, raw
// garbage), interleaved with host-side renames that put a symlink to outside where a directory
// of the share was. Beside the share lies a sentinel tree holding the same names; the server must
// never leave the share:
//  - no reply carries a qid whose path is the inode of the sentinel tree, the share's parent or
//    the parent's parent, nor the sentinel's secret text;
//  - inotify on the sentinel tree and the share's parent sees no access, open, change or create;
//  - the sentinel tree (names, contents, modes, link counts, times) is unchanged;
//  - every descriptor the server opened is closed again by close().
// The seed is printed (COLINUX_TEST_SEED=<seed> repeats a run, test/random.ts);
// COLINUX_LONG_TESTS=1 runs many more and longer sessions; NINEP_FUZZ_STATS=1 prints how often
// each message type succeeded.

import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import { NinepServer } from '../../src/machine/devices/virtio/9p/server.ts';
import { Reader, Writer } from '../../src/machine/devices/virtio/9p/wire.ts';
import { Random, testSeed } from '../../../../test/random.ts';

const long = process.env.COLINUX_LONG_TESTS === '1';
const SESSIONS = long ? 3000 : 150;
const OPS = long ? 400 : 120;
const SECRET = 'SENTINEL-SECRET-41c9';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ninep-fuzz-'));
t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
const share = path.join(base, 'share');
const outside = path.join(base, 'outside');

/** The same names inside and outside, so a server that went astray would find something. */
function populate(root: string, content: string): void {
  fs.mkdirSync(path.join(root, 'd0/d1'), { recursive: true });
  fs.writeFileSync(path.join(root, 'f0'), content);
  fs.writeFileSync(path.join(root, 'd0/f1'), content);
  fs.writeFileSync(path.join(root, 'd0/d1/f2'), content);
}
populate(outside, SECRET);
fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET);

function resetShare(): void {
  fs.rmSync(share, { recursive: true, force: true });
  fs.mkdirSync(share);
  populate(share, 'inside');
  fs.symlinkSync('../outside', path.join(share, 'up'));
  fs.symlinkSync(outside, path.join(share, 'abs'));
  fs.symlinkSync('/', path.join(share, 'root'));
  fs.symlinkSync('..', path.join(share, 'd0/dotdot'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(share, 'd0/secret-link'));
}

function snapshot(root: string, skip: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (p === skip) continue;
      const st = fs.lstatSync(p);
      const body = st.isSymbolicLink() ? fs.readlinkSync(p) : st.isFile() ? fs.readFileSync(p, 'utf8') : '';
      out[path.relative(root, p)] = `${st.mode} ${st.nlink} ${st.uid} ${st.mtimeMs} ${st.ctimeMs} ${body}`;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

/** Inodes the server must never answer with: everything beside the share and above it. */
function forbiddenInodes(): Set<bigint> {
  const set = new Set<bigint>([fs.statSync(base, { bigint: true }).ino, fs.statSync(path.dirname(base), { bigint: true }).ino]);
  const walk = (p: string) => {
    const st = fs.lstatSync(p, { bigint: true });
    set.add(st.ino);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  walk(outside);
  return set;
}

// inotify(7) on the sentinel tree and the share's parent.
const libc = koffi.load('libc.so.6');
const inotifyInit = libc.func('int inotify_init1(int flags)');
const inotifyAddWatch = libc.func('int inotify_add_watch(int fd, const char *path, uint32_t mask)');
const cRead = libc.func('long read(int fd, _Inout_ uint8_t *buf, unsigned long n)');
const IN_NONBLOCK = 0o4000;
const IN_ALL_EVENTS = 0xfff;
const inotify = inotifyInit(IN_NONBLOCK) as number;
t.teardown(() => fs.closeSync(inotify));
const watched = new Map<number, string>();
for (const d of [base, outside, path.join(outside, 'd0'), path.join(outside, 'd0/d1')]) {
  const wd = inotifyAddWatch(inotify, d, IN_ALL_EVENTS) as number;
  if (wd < 0) throw new Error(`inotify_add_watch ${d}: errno ${koffi.errno()}`);
  watched.set(wd, d);
}

/** Events since the last call, except those about the share directory itself (seen from its
 *  parent: the server reading or changing the share root is expected). */
function events(): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(65536);
  const v = new DataView(buf.buffer);
  for (;;) {
    const n = Number(cRead(inotify, buf, buf.length));
    if (n <= 0) return out;
    for (let p = 0; p < n;) {
      const wd = v.getInt32(p, true);
      const mask = v.getUint32(p + 4, true);
      const len = v.getUint32(p + 12, true);
      const name = new TextDecoder().decode(buf.subarray(p + 16, p + 16 + len)).replace(/\0+$/, '');
      p += 16 + len;
      if (watched.get(wd) === base && name === 'share') continue;
      out.push(`${watched.get(wd)}/${name} mask 0x${mask.toString(16)}`);
    }
  }
}

const random = new Random(testSeed(t, 'clock'));
const rand = (n: number): number => random.int(n);
const pick = <T>(a: readonly T[]): T => random.pick(a);

const GOOD_NAMES = ['d0', 'd1', 'f0', 'f1', 'f2', 'up', 'abs', 'root', 'dotdot', 'secret-link', 'new', 'n2', 'secret.txt', 'outside', 'share', 'd0.moved'];
const BAD_NAMES = ['..', '.', '', 'd0/d1', '../outside', 'a\0b', outside, '../../etc'];
const name = () => (rand(4) ? pick(GOOD_NAMES) : pick(BAD_NAMES));
const TARGETS = ['/', '..', '../outside', '../..', outside, path.join(outside, 'secret.txt'), '/etc', 'd0', 'f0'];
const FLAGS = [0, 1, 2, 0o1001, 0o2001, 0o102, 0o302, 0o100000, 0o400002, 0xffffffff];
const FIDS = 12;

function message(type: number, body: (w: Writer) => void): Uint8Array {
  const w = new Writer().u32(0).u8(type).u16(rand(65536));
  body(w);
  const b = w.bytes();
  new DataView(b.buffer, b.byteOffset).setUint32(0, b.length, true);
  return b.slice();
}

const walkNames = (w: Writer) => {
  const n = rand(5);
  w.u16(n);
  for (let i = 0; i < n; i++) w.str(rand(5) ? name() : '..');
};

/** One random T-message. */
/** Fids the server has answered for (most requests use one of them, the rest any number). */
const live = new Set<number>();
const typeStats = new Map<string, number>();

function randomRequest(): Uint8Array {
  const fid = () => (live.size > 0 && rand(4) ? pick([...live]) : rand(FIDS + 1));
  switch (rand(24)) {
    case 0:
    case 1:
    case 2:
    case 3:
      return message(110, (w) => {
        w.u32(fid()).u32(fid());
        walkNames(w);
      });
    case 4:
      return message(12, (w) => w.u32(fid()).u32(pick(FLAGS)));
    case 5:
      return message(14, (w) => w.u32(fid()).str(name()).u32(pick(FLAGS)).u32(0o644).u32(0));
    case 6:
      return message(116, (w) =>
        w
          .u32(fid())
          .u64(rand(3) ? 0 : rand(1 << 20))
          .u32(rand(8192)),
      );
    case 7:
      return message(118, (w) => w.u32(fid()).u64(rand(64)).u32(5).data(new TextEncoder().encode('fuzz!')));
    case 8:
      return message(40, (w) =>
        w
          .u32(fid())
          .u64(rand(3) ? 0 : rand(8))
          .u32(rand(8192)),
      );
    case 9:
      return message(24, (w) => w.u32(fid()).u64(0x7ff));
    case 10:
      return message(26, (w) =>
        w
          .u32(fid())
          .u32(rand(0x200))
          .u32(rand(0o10000))
          .u32(0xffffffff)
          .u32(0xffffffff)
          .u64(rand(100))
          .u64(rand(1 << 30))
          .u64(rand(1e9))
          .u64(rand(1 << 30))
          .u64(rand(1e9)),
      );
    case 11:
      return message(72, (w) => w.u32(fid()).str(name()).u32(0o755).u32(0));
    case 12:
      return message(16, (w) => w.u32(fid()).str(name()).str(pick(TARGETS)).u32(0));
    case 13:
      return message(70, (w) => w.u32(fid()).u32(fid()).str(name()));
    case 14:
      return message(74, (w) => w.u32(fid()).str(name()).u32(fid()).str(name()));
    case 15:
      return message(76, (w) =>
        w
          .u32(fid())
          .str(name())
          .u32(rand(2) ? 0 : 0x200),
      );
    case 16:
      return message(22, (w) => w.u32(fid()));
    case 17:
      return message(120, (w) => w.u32(fid()));
    case 18:
      return message(pick([20, 122]), (w) => w.u32(fid()).u32(fid()).str(name()));
    case 19:
      return message(pick([8, 50, 30, 52, 54]), (w) => w.u32(fid()).u32(fid()).u64(0).u64(0).u32(0).str('x'));
    case 20:
      return message(104, (w) => w.u32(fid()).u32(0xffffffff).str('root').str('').u32(0));
    case 21:
      return rand(10)
        ? message(12, (w) => w.u32(fid()).u32(pick([0, 2]))) // Tlopen again; rarely Tversion (drops every fid)
        : message(100, (w) => w.u32(4096 + rand(1 << 20)).str(pick(['9P2000.L', '9P2000', 'x'])));
    case 22: {
      // raw garbage with a plausible header
      const b = new Uint8Array(7 + rand(40));
      for (let i = 0; i < b.length; i++) b[i] = rand(256);
      new DataView(b.buffer).setUint32(0, b.length, true);
      return b;
    }
    default:
      return message(pick([110, 24, 40]), (w) => {
        w.u32(0).u32(fid());
        walkNames(w);
      });
  }
}

/** The qid paths and data of a reply, for the checks. */
function inspect(reply: Uint8Array): { qids: bigint[]; data: string } {
  const r = new Reader(reply);
  r.u32();
  const type = r.u8();
  r.u16();
  const qids: bigint[] = [];
  const qid = () => {
    r.u8();
    r.u32();
    qids.push(r.u64());
  };
  let data = '';
  switch (type) {
    case 105:
    case 13:
    case 15:
    case 73:
    case 17:
      qid();
      break;
    case 111:
      for (let n = r.u16(); n > 0; n--) qid();
      break;
    case 25:
      r.u64();
      qid();
      break;
    case 117:
      data = new TextDecoder().decode(r.data(r.u32()));
      break;
    case 41: {
      const body = new Reader(r.data(r.u32()));
      for (;;) {
        try {
          body.u8();
        } catch {
          break;
        }
        body.u32();
        qids.push(body.u64());
        body.u64();
        body.u8();
        data += `${body.str()}\n`;
      }
      break;
    }
  }
  return { qids, data };
}

/** Host-side race: a directory of the share moves away and a symlink to outside takes its name. */
function hostSwap(): void {
  const dirs: string[] = [];
  const walk = (p: string) => {
    for (const n of fs.readdirSync(p)) {
      const q = path.join(p, n);
      if (fs.lstatSync(q).isDirectory()) {
        dirs.push(q);
        walk(q);
      }
    }
  };
  walk(share);
  if (dirs.length === 0) return;
  const victim = pick(dirs);
  fs.renameSync(victim, `${victim}.moved${rand(1000)}`);
  fs.symlinkSync(pick([outside, path.join(outside, 'd0'), '/', '..']), victim);
}

/** Keeps `live` in step with the server: fids made by a full walk or an attach, dropped by a
 *  clunk or remove, all gone after a version. */
function track(request: Uint8Array, reply: Uint8Array): void {
  if (request.length < 11) return;
  const v = new DataView(request.buffer, request.byteOffset, request.byteLength);
  const type = request[4]!;
  const ok = reply[4] === type + 1;
  if (type === 100) live.clear();
  else if (type === 120 || type === 122) live.delete(v.getUint32(7, true));
  else if (type === 104 && ok) live.add(v.getUint32(7, true));
  else if (type === 110 && ok && request.length >= 17 && new DataView(reply.buffer, reply.byteOffset).getUint16(7, true) === v.getUint16(15, true)) {
    live.add(v.getUint32(11, true));
  }
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

t.test(`${SESSIONS} random sessions of ${OPS} messages never leave the share`, async (t) => {
  const before = snapshot(base, share);
  const forbidden = forbiddenInodes();
  events();
  let replies = 0;
  let errors = 0;
  for (let s = 0; s < SESSIONS; s++) {
    resetShare();
    const fdsBefore = openFds();
    const server = new NinepServer(share, rand(8) === 0);
    server.handle(
      message(100, (w) => w.u32(65536).str('9P2000.L')),
      65536,
    );
    server.handle(
      message(104, (w) => w.u32(0).u32(0xffffffff).str('root').str('').u32(0)),
      65536,
    );
    live.clear();
    live.add(0);
    for (let i = 0; i < OPS; i++) {
      if (rand(40) === 0) hostSwap();
      const request = randomRequest();
      const reply = server.handle(request, 64 + rand(65536));
      track(request, reply);
      if (process.env.NINEP_FUZZ_STATS) {
        const k = `${request[4]}:${reply[4] === 7 ? 'err' : 'ok'}`;
        typeStats.set(k, (typeStats.get(k) ?? 0) + 1);
      }
      replies++;
      if (reply[4] === 7) {
        errors++;
        continue;
      }
      const { qids, data } = inspect(reply);
      const bad = qids.find((q) => forbidden.has(q));
      if (bad !== undefined || data.includes(SECRET)) {
        t.fail(`session ${s} message ${i}: reply reached outside the share (qid ${bad}, data ${JSON.stringify(data.slice(0, 80))})`);
        return;
      }
    }
    server.close();
    if (openFds() !== fdsBefore) {
      t.fail(`session ${s}: ${openFds() - fdsBefore} descriptors left open after close()`);
      return;
    }
    const seen = events();
    if (seen.length > 0) {
      t.fail(`session ${s}: the sentinel tree or the share's parent was touched: ${seen.slice(0, 5).join('; ')}`);
      return;
    }
  }
  if (process.env.NINEP_FUZZ_STATS) t.comment(JSON.stringify([...typeStats].sort()));
  t.same(snapshot(base, share), before, "the sentinel tree and the share's parent are unchanged");
  t.ok(replies - errors > replies / 20, `some requests succeeded (${replies - errors} of ${replies})`);
});
