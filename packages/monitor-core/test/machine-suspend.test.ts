// Suspend and resume at the machine level (docs/suspend.md): the bundled guest runs a shell loop
// printing a counter on its console; its state is taken from one worker and given to a new one
// built from the same configuration, which carries on from the next number with the shell's
// variables, its clock counting on from where it stopped, and a disk that was written before.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { GUEST_IMAGES, WorkerMachine, baseSpec, bundledGuest, startGuest, type Spec } from './machine-harness.ts';
import { Module } from '@colinux/protocol';
import type { FromMachine } from '../src/machine/contract.ts';

const READY = 'colinux-guest: ready';
const out = (m: WorkerMachine) => m.output.get(Module.CONSOLE) ?? '';
const type = (m: WorkerMachine, line: string) => m.send({ type: 'message', module: Module.CONSOLE, data: new TextEncoder().encode(`${line}\n`) });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'suspend-machine-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const disk = path.join(dir, 'root.ext2');
fs.writeFileSync(disk, zlib.gunzipSync(fs.readFileSync(path.join(GUEST_IMAGES, 'root.ext2.gz'))));

const spec: Spec = {
  ...baseSpec,
  memoryMiB: 64,
  bootLine: 'root=/dev/cobd0',
  blockDevices: [{ index: 0, path: disk, readOnly: false, aliases: [] }],
};

function lastCount(text: string): number {
  const all = [...text.matchAll(/count-(\d+)\b/g)].map((m) => Number(m[1]));
  return all.length ? all[all.length - 1]! : 0;
}

t.test('a guest suspended in one worker runs on in another from the next instruction', async (t) => {
  const a = new WorkerMachine(spec);
  t.teardown(() => a.close());
  startGuest(a, bundledGuest());
  await a.until(() => out(a).includes(READY) || a.terminated(), 180_000, 'ready');
  t.ok(out(a).includes(READY), 'the guest reaches the shell');
  type(a, 'export MARK=kept$((6*7)); echo before > /root-file; sync');
  type(a, 'i=0; while true; do i=$((i+1)); echo count-$i; sleep 0.2; done &');
  await a.until(() => lastCount(out(a)) >= 3, 60_000, 'count-3');

  const begin = performance.now();
  a.send({ type: 'suspend' });
  const answer = await a.until(() => a.messages.find((m): m is Extract<FromMachine, { type: 'suspended' }> => m.type === 'suspended'), 30_000, 'suspended');
  t.comment(`captured in ${(performance.now() - begin).toFixed(0)} ms, RAM ${answer.state?.ram.length} bytes for ${answer.state?.ramPages} pages`);
  t.notOk(answer.error, 'suspended without error');
  const state = answer.state!;
  t.ok(state.ramPages > 0 && state.ramPages < spec.memoryMiB * 256, 'sparse: fewer pages than RAM has');
  const seen = lastCount(out(a));
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(lastCount(out(a)), seen, 'the suspended guest prints nothing more');
  await a.close();

  const b = new WorkerMachine(spec);
  t.teardown(() => b.close());
  b.send({
    type: 'restore',
    name: 'test',
    state: { cpu: state.cpu, devices: state.devices, rom: state.rom, ram: state.ram, mtime: state.mtime, wallMs: state.wallMs },
  });
  const restored = await b.until(() => b.messages.find((m): m is Extract<FromMachine, { type: 'restored' }> => m.type === 'restored'), 30_000, 'restored');
  t.notOk(restored.error, 'restored without error');
  await b.until(() => /count-\d+/.test(out(b)), 30_000, 'the counter again');
  const first = Number(/count-(\d+)/.exec(out(b))![1]);
  t.equal(first, seen + 1, `the loop continues from the next number (${seen} -> ${first})`);
  const before = out(b).length;
  type(b, 'echo "mark=$MARK"; cat /root-file; kill %1');
  await b.until(() => out(b).slice(before).includes('mark=kept42') && out(b).slice(before).includes('before'), 30_000, 'the shell state');
  t.pass('the shell keeps its variables and the disk its file');
  t.notOk(b.terminated(), 'the guest is still running');
});

t.test('a 9p share: open files and the cwd carry over, renamed before the suspend; a file removed while suspended does not', async (t) => {
  const share = fs.mkdtempSync(path.join(os.tmpdir(), 'suspend-share-'));
  t.teardown(() => fs.rmSync(share, { recursive: true, force: true }));
  fs.mkdirSync(path.join(share, 'sub'));
  fs.writeFileSync(path.join(share, 'sub', 'lines'), 'one\ntwo\nthree\n');
  fs.writeFileSync(path.join(share, 'gone'), 'x\n');
  const shared: Spec = { ...baseSpec, memoryMiB: 64, sharedDirs: [{ unit: 0, path: share, readOnly: false }] };
  const a = new WorkerMachine(shared);
  t.teardown(() => a.close());
  startGuest(a, bundledGuest());
  await a.until(() => out(a).includes(READY) || a.terminated(), 180_000, 'ready');
  type(
    a,
    'mkdir -p /mnt && mount -t 9p -o trans=virtio cofs0 /mnt && cd /mnt/sub && exec 4</mnt/sub/lines 5>>/mnt/sub/log 6</mnt/gone && read first <&4 && echo "first=$first"',
  );
  await a.until(() => /first=one/.test(out(a)), 60_000, 'the share mounted and a line read');
  // Renamed on the host before the suspend: a fid follows its file, not the name it was walked by.
  fs.renameSync(path.join(share, 'sub'), path.join(share, 'moved'));
  a.send({ type: 'suspend' });
  const answer = await a.until(() => a.messages.find((m): m is Extract<FromMachine, { type: 'suspended' }> => m.type === 'suspended'), 30_000, 'suspended');
  t.notOk(answer.error, 'suspended');
  await a.close();
  fs.unlinkSync(path.join(share, 'gone')); // while suspended: its fid cannot be reopened

  const b = new WorkerMachine(shared);
  t.teardown(() => b.close());
  const st = answer.state!;
  b.send({ type: 'restore', name: 'test', state: { cpu: st.cpu, devices: st.devices, rom: st.rom, ram: st.ram, mtime: st.mtime, wallMs: st.wallMs } });
  await b.until(() => b.messages.some((m) => m.type === 'restored'), 30_000, 'restored');
  // The markers are computed by the guest shell, so the echoed command line never matches them.
  type(b, 'read second <&4; echo "second=$second"; echo appended >&5; ls; cat <&6 || echo "gone-$((6*7))"; echo "end-$((6*7))"');
  await b.until(() => /end-42/.test(out(b)), 60_000, 'the commands after the resume');
  t.match(out(b), /second=two/, 'the open file reads on from its next line');
  t.match(out(b), /gone-42/, 'reading the file removed while suspended fails');
  t.match(out(b), /lines/, 'ls in the working directory (renamed on the host) lists it', { output: out(b) });
  t.equal(fs.readFileSync(path.join(share, 'moved', 'log'), 'utf8'), 'appended\n', 'a file open for appending is written in its new place');
});

t.test('a state that does not fit the machine is refused with one line', async (t) => {
  const a = new WorkerMachine({ ...baseSpec, memoryMiB: 16 });
  t.teardown(() => a.close());
  a.send({
    type: 'restore',
    name: 'x.bundle',
    state: { cpu: new Uint8Array(8), devices: {}, rom: new Uint8Array(0), ram: new Uint8Array(24), mtime: 0, wallMs: 0 },
  });
  const r = await a.until(() => a.messages.find((m): m is Extract<FromMachine, { type: 'restored' }> => m.type === 'restored'), 30_000, 'restored');
  t.match(r.error, /^x\.bundle: RAM: 0 bytes of RAM saved, this machine has 16777216/, r.error ?? 'no error');
  t.notOk(r.error?.includes('\n'), 'one line');
});
