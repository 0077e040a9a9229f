// The image lock matrix of openImage (virtio/block.ts, image-lock.ts): readers share, a writer
// excludes everyone, in both directions, between two of our opens in one process (two monitors
// of one manager) and against QEMU (Debian's qemu-system-riscv64), whose scheme we follow.
import t from 'tap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImageInUseError, openImage } from '../../src/machine/devices/virtio/block.ts';
import { requireTool } from '../../../../test/tools.ts';

const QEMU = 'qemu-system-riscv64';
requireTool(QEMU);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-image-lock-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const image = path.join(dir, 'disk.img');
fs.writeFileSync(image, Buffer.alloc(1024 * 1024));

type Mode = 'ro' | 'rw';
const modes: Mode[] = ['ro', 'rw'];

/** Opens as one of our VMs would: the descriptor, or 'busy'. */
function ours(mode: Mode): number | 'busy' {
  try {
    return openImage({ index: 0, path: image, readOnly: mode === 'ro' }).fd;
  } catch (err) {
    if (!(err instanceof ImageInUseError)) throw err;
    fs.closeSync(err.fd);
    return 'busy';
  }
}

/** QEMU started paused on the image: 'running' once it holds the image, or 'refused'. */
async function qemu(mode: Mode): Promise<{ verdict: 'running' | 'refused'; stop(): Promise<void> }> {
  const child = spawn(
    QEMU,
    [
      '-M',
      'virt',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'none',
      '-S',
      '-drive',
      `file=${image},format=raw,if=virtio,readonly=${mode === 'ro' ? 'on' : 'off'}`,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  let ended = false;
  void exited.then(() => (ended = true));
  const holds = (): boolean => {
    try {
      return fs.readdirSync(`/proc/${child.pid}/fd`).some((fd) => fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`) === image);
    } catch {
      return false;
    }
  };
  // QEMU opens and locks its drives before it pauses; give it time to either hold or leave.
  const deadline = Date.now() + 20_000;
  while (!ended && Date.now() < deadline) {
    if (holds()) {
      await new Promise((r) => setTimeout(r, 300)); // locks are taken right after the open
      if (!ended) break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    verdict: ended ? 'refused' : 'running',
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

const shares = (a: Mode, b: Mode): boolean => a === 'ro' && b === 'ro';

for (const first of modes) {
  for (const second of modes) {
    t.test(`ours ${first} then ours ${second}`, async (t) => {
      const a = ours(first);
      t.type(a, 'number');
      const b = ours(second);
      t.equal(b === 'busy' ? 'busy' : 'open', shares(first, second) ? 'open' : 'busy');
      if (typeof b === 'number') fs.closeSync(b);
      fs.closeSync(a as number);
      const again = ours(second);
      t.type(again, 'number', 'closing the first releases the image');
      fs.closeSync(again as number);
    });
    t.test(`ours ${first} then QEMU ${second}`, async (t) => {
      const a = ours(first);
      const q = await qemu(second);
      t.equal(q.verdict, shares(first, second) ? 'running' : 'refused');
      await q.stop();
      fs.closeSync(a as number);
    });
    t.test(`QEMU ${first} then ours ${second}`, async (t) => {
      const q = await qemu(first);
      t.equal(q.verdict, 'running');
      const b = ours(second);
      t.equal(b === 'busy' ? 'busy' : 'open', shares(first, second) ? 'open' : 'busy');
      if (typeof b === 'number') fs.closeSync(b);
      await q.stop();
    });
  }
}
