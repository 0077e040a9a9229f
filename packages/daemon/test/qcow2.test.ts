// Copy-on-write qcow2 disks with QEMU's qemu-img/qemu-io as the independent peer: overlays made by
// `qemu-img create -b base -F raw` boot as cobd0 (the root) and serve cobd1; what qemu-io wrote
// reads back byte-exact in the guest, and a compressed image qemu-img made too; what the guest
// writes and syncs is what qemu-img reads, `qemu-img check` finds no errors, the bases are
// unchanged; the manager killed in the middle of guest writes leaves overlays qemu-img check
// accepts (leaked clusters allowed), with everything synced before still there.
import t from 'tap';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BUNDLED_GUEST, DAEMON_BIN, REPO, commandOf, processesUnder, runToEnd, sandbox, serialShell, start, until } from './helpers.ts';
import { requireTool } from '../../../test/tools.ts';

const CTL = join(REPO, 'packages/ctl/bin/colinux-ctl.js');
const QEMU_IMG = 'qemu-img';
const QEMU_IO = 'qemu-io';
const DEBUGFS = 'debugfs';
requireTool(QEMU_IMG);
requireTool(QEMU_IO);
requireTool(DEBUGFS);

const MiB = 1024 * 1024;
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** The guest bytes of an image as qemu-img reads them (-U: our VM may hold the image's lock). */
function qemuRaw(dir: string, image: string): Buffer {
  const out = join(dir, 'converted.raw');
  execFileSync(QEMU_IMG, ['convert', '-U', '-O', 'raw', image, out]);
  return readFileSync(out);
}

function check(image: string, shared = false): { status: number | null; out: string } {
  const r = spawnSync(QEMU_IMG, ['check', ...(shared ? ['-U'] : []), image], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

function debugfsCat(dir: string, image: string, file: string): string {
  const raw = join(dir, 'root-now.raw');
  execFileSync(QEMU_IMG, ['convert', '-U', '-O', 'raw', image, raw]);
  return execFileSync(DEBUGFS, ['-R', `cat ${file}`, raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

t.test('qcow2 overlays made by qemu-img: boot, read, write, check, hard kill', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const dir = box.dir;
  // cobd0: the root file system, an overlay on the shipped ext2 image.
  const rootBase = join(dir, 'root.ext2');
  writeFileSync(rootBase, gunzipSync(readFileSync(join(REPO, 'guest/images/root.ext2.gz'))));
  const rootOverlay = join(dir, 'root.qcow2');
  execFileSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', '-b', 'root.ext2', '-F', 'raw', rootOverlay], { cwd: dir });
  // cobd1: random bytes under an overlay into which qemu-io wrote a pattern (partly over two
  // clusters) and zeroed a range.
  const dataBase = join(dir, 'data.raw');
  const baseBytes = Buffer.alloc(4 * MiB);
  for (let i = 0; i < baseBytes.length; i += 4) baseBytes.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  writeFileSync(dataBase, baseBytes);
  const dataOverlay = join(dir, 'data.qcow2');
  execFileSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', '-b', dataBase, '-F', 'raw', dataOverlay]);
  execFileSync(QEMU_IO, ['-f', 'qcow2', '-c', 'write -P 0x5c 1000960 196608', '-c', 'write -z 3M 65536', dataOverlay]);
  const expected = Buffer.from(baseBytes);
  expected.fill(0x5c, 1000960, 1000960 + 196608);
  expected.fill(0, 3 * MiB, 3 * MiB + 65536);
  t.equal(md5(qemuRaw(dir, dataOverlay)), md5(expected), 'qemu-img reads the overlay as base + the qemu-io writes');
  // cobd2: a compressed image qemu-img wrote (no backing file).
  const text = Buffer.from('colinux qcow2 compressed clusters\n'.repeat(65536)).subarray(0, 2 * MiB);
  writeFileSync(join(dir, 'text.raw'), text);
  const compressed = join(dir, 'text.qcow2');
  execFileSync(QEMU_IMG, ['convert', '-c', '-O', 'qcow2', join(dir, 'text.raw'), compressed]);
  const baseSums = [md5(readFileSync(rootBase)), md5(readFileSync(dataBase))];

  const socketPath = join(dir, 'ttyS0.sock');
  const serial = serialShell(socketPath, t);
  const d = start(
    DAEMON_BIN,
    [
      '-d',
      '--shutdown-timeout',
      '120',
      ...BUNDLED_GUEST,
      `cobd0=${rootOverlay}`,
      `cobd1=${dataOverlay}`,
      `cobd2=${compressed}`,
      'root=/dev/cobd0',
      `ttys0=${socketPath}`,
    ],
    box.env,
  );
  t.teardown(() => d.child.kill('SIGKILL'));
  const [, id] = (await d.waitFor(/^PID: (\d+)\n/m)).match(/^PID: (\d+)\n/m)!;
  await d.waitFor(/EXT4-fs \(vda\): mounted filesystem/, 240_000);
  await serial.ready();
  t.pass('the guest booted with its root on a qcow2 overlay and a shell answered on ttyS0');

  const status = JSON.parse((await runToEnd(CTL, ['--json', 'status', id!], box.env)).stdout);
  t.same(
    status.disks.map((x: { name: string; format: string }) => `${x.name}:${x.format}`),
    ['cobd0:qcow2', 'cobd1:qcow2', 'cobd2:qcow2'],
    'colinux-ctl status shows the format',
  );

  t.match(await serial.sh('md5sum /dev/cobd1'), new RegExp(`${md5(expected)} +/dev/cobd1`), 'what qemu-io wrote reads back byte-exact in the guest');
  t.match(await serial.sh('md5sum /dev/cobd2'), new RegExp(`${md5(text)} +/dev/cobd2`), 'a compressed image qemu-img wrote reads back byte-exact');
  t.match(await serial.sh('mount | grep " / "'), /\/dev\/(vda|root|cobd0) on \/ type ext[24] \(rw/, 'the root is the overlay, read-write');

  // The guest writes (a whole range across partial clusters, a few bytes unaligned, a file on
  // the root file system), syncs and drops its caches, then reads back.
  await serial.sh('dd if=/dev/urandom of=/dev/cobd1 bs=4096 seek=300 count=100 && printf hello-qcow2 | dd of=/dev/cobd1 bs=1 seek=70001 && sync');
  await serial.sh('echo qcow2-root-$((6*7)) > /note && sync && echo 3 > /proc/sys/vm/drop_caches');
  const guestSum = (await serial.sh('md5sum /dev/cobd1')).match(/([0-9a-f]{32}) +\/dev\/cobd1/)![1];
  const afterGuest = qemuRaw(dir, dataOverlay);
  t.equal(md5(afterGuest), guestSum, 'qemu-img reads exactly what the guest reads after its writes');
  t.equal(afterGuest.subarray(70001, 70012).toString(), 'hello-qcow2');
  t.ok(
    afterGuest.subarray(0, 70001).equals(expected.subarray(0, 70001)) && afterGuest.subarray(70012, 300 * 4096).equals(expected.subarray(70012, 300 * 4096)),
    'bytes the guest did not write are unchanged',
  );
  for (const image of [rootOverlay, dataOverlay]) {
    const c = check(image, true);
    t.equal(c.status, 0, `qemu-img check ${image}: ${c.out.trim()}`);
    t.match(c.out, /No errors were found on the image/);
  }
  t.equal(debugfsCat(dir, rootOverlay, '/note'), 'qcow2-root-42\n', 'the synced file is in the root overlay (read by debugfs)');

  // colinux-ctl disk snapshot: cobd1 continues on a new overlay, the old one is frozen as its backing.
  const snap = JSON.parse((await runToEnd(CTL, ['--json', 'disk', 'snapshot', id!, 'cobd1'], box.env)).stdout);
  t.match(snap, { id: Number(id), unit: 1, name: 'cobd1', overlay: new RegExp(`^${dir}/data\\.snap-\\d{8}T\\d{6}\\.qcow2$`) });
  const chain = execFileSync(QEMU_IMG, ['info', '-U', '--backing-chain', snap.overlay], { encoding: 'utf8' });
  t.match(
    chain,
    /backing file: data\.qcow2[^\n]*\n[\s\S]*backing file format: qcow2[\s\S]*backing file: \S*data\.raw/,
    'qemu-img sees the chain new overlay -> data.qcow2 -> data.raw',
  );
  const status2 = JSON.parse((await runToEnd(CTL, ['--json', 'status', id!], box.env)).stdout);
  t.equal(status2.disks[1].path, snap.overlay, 'colinux-ctl status shows the new top of cobd1');
  await serial.sh('dd if=/dev/urandom of=/dev/cobd1 bs=4096 seek=10 count=40 && sync && echo 3 > /proc/sys/vm/drop_caches');
  const snapSum = (await serial.sh('md5sum /dev/cobd1')).match(/([0-9a-f]{32}) +\/dev\/cobd1/)![1];
  t.not(snapSum, guestSum);
  t.equal(md5(qemuRaw(dir, snap.overlay)), snapSum, "qemu-img reads the guest's new writes through the new overlay");
  t.equal(md5(qemuRaw(dir, dataOverlay)), guestSum, 'the old overlay kept what it held at the snapshot');
  t.equal(check(snap.overlay, true).status, 0, 'qemu-img check of the new overlay');
  const busy = await runToEnd(CTL, ['disk', 'reset', snap.overlay], box.env);
  t.match([busy.code, busy.stderr], [1, /is in use by a running VM: power it off first \(CO_RC_ERROR\)\n$/], 'disk reset refuses an overlay the VM uses');
  const noDisk = await runToEnd(CTL, ['disk', 'snapshot', id!, '5'], box.env);
  t.match([noDisk.code, noDisk.stderr], [1, /has no cobd5 \(CO_RC_ERROR\)/], 'a snapshot of a missing disk is refused');

  // Hard kill: the monitor's process (which owns the disks and writes the overlays; one process per
  // monitor, docs/manager.md) and the manager die while the guest allocates and writes clusters.
  // Each round allocates clusters (a new 256 KiB range of cobd1, new files on the root).
  await serial.sh(
    '(i=0; while :; do dd if=/dev/urandom of=/dev/cobd1 bs=65536 count=4 seek=$((i * 4 % 60)) 2>/dev/null; echo $i > /tmp-file-$i; sync; i=$((i+1)); echo $i > /round; done) >/dev/null 2>&1 & true',
  );
  await until(async () => (Number((await serial.sh('cat /round 2>/dev/null || echo 0')).trim().split(/\s+/).pop()) >= 5 ? true : undefined), 120_000, 500);
  const managerPid = Number(readFileSync(join(box.runtimeDir, 'manager.lock'), 'utf8').trim());
  t.ok(managerPid > 0, 'the manager pid from its lock file');
  const monitorPid = processesUnder(box.runtimeDir).find((p) => commandOf(p).includes('colinux-monitor-core.js --monitor'));
  t.ok(monitorPid, 'the monitor process');
  process.kill(monitorPid!, 'SIGKILL');
  process.kill(managerPid, 'SIGKILL');
  await d.exited;
  await until(() => (processesUnder(box.runtimeDir).length === 0 ? true : undefined), 30_000);
  for (const image of [rootOverlay, dataOverlay, snap.overlay]) {
    const c = check(image);
    // 0: clean; 3: leaked clusters only (qemu-img(1) "check": exit codes).
    t.ok(c.status === 0 || c.status === 3, `qemu-img check after the kill accepts ${image} (status ${c.status}): ${c.out.trim()}`);
    t.notMatch(c.out, /\bERROR\b|^\d+ errors were found/m);
  }
  t.ok(Number(/^(\d+)\/64 = /m.exec(check(snap.overlay).out)?.[1]) > 8, 'the loop had allocated clusters in the overlay before the kill');
  t.equal(debugfsCat(dir, rootOverlay, '/note'), 'qcow2-root-42\n', 'what the guest synced survived the kill');
  t.same([md5(readFileSync(rootBase)), md5(readFileSync(dataBase))], baseSums, 'the backing files are unchanged');
  t.same(processesUnder(box.runtimeDir).map(commandOf), [], 'nothing left running');

  // colinux-ctl disk reset of the powered-off VM's top overlay: it reads as its backing file again.
  const reset = JSON.parse((await runToEnd(CTL, ['--json', 'disk', 'reset', snap.overlay], box.env)).stdout);
  t.same(reset, { overlay: snap.overlay, backing: 'data.qcow2', reset: true });
  t.equal(check(snap.overlay).status, 0, 'qemu-img check of the emptied overlay');
  t.ok(qemuRaw(dir, snap.overlay).equals(qemuRaw(dir, dataOverlay)), 'the emptied overlay reads as its backing file');
  const rawReset = await runToEnd(CTL, ['disk', 'reset', dataBase], box.env);
  t.match([rawReset.code, rawReset.stderr], [1, /only a qcow2 overlay \(\.qcow2\) can be reset/]);
});

t.test('a broken qcow2 image: one line naming the unit and the problem, nothing left running', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const base = join(box.dir, 'base.raw');
  writeFileSync(base, Buffer.alloc(MiB));
  const cases: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
    ['not-qcow2', () => Buffer.alloc(MiB), /cobd0: .*not-qcow2\.qcow2: not a qcow2 image/],
    ['truncated', (b) => b.subarray(0, 50), /cobd0: .*truncated\.qcow2: not a qcow2 image/],
    [
      'bad-l1',
      (b) => {
        const c = Buffer.from(b);
        c.writeBigUInt64BE(0x12345n, 40);
        return c;
      },
      /cobd0: .*L1 table offset 74565 is not a non-zero multiple of the cluster size 65536/,
    ],
    [
      'missing-backing',
      (b) => {
        const c = Buffer.from(b);
        const at = Number(c.readBigUInt64BE(8));
        c.write('nope', at);
        return c;
      },
      /cobd0: \S*missing-backing\.qcow2: cannot open its backing file \S*nope\S*: ENOENT/,
    ],
  ];
  const good = join(box.dir, 'good.qcow2');
  execFileSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', good]);
  for (const [name, mutate, line] of cases) {
    const image = join(box.dir, `${name}.qcow2`);
    writeFileSync(image, mutate(readFileSync(good)));
    const r = await runToEnd(DAEMON_BIN, [`kernel=${join(REPO, 'guest/images/vmlinux')}`, 'mem=32', `cobd0=${image}`], box.env);
    t.not(r.code, 0, `${name}: the daemon fails`);
    // (The daemon's structured log line about starting the manager is not an error line.)
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('{"level"'));
    t.equal(lines.length, 1, `${name}: one line on stderr: ${r.stderr.trim()}`);
    t.match(lines[0], line);
  }
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => !c.includes('monitor-core')),
    [],
    'nothing but the manager left',
  );
});
