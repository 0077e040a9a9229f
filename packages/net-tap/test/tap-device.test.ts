// TapDevice against the kernel of a throwaway namespace: frames the kernel sends are read
// (worker thread, batches posted to the main thread), and a frame we write is taken by the
// kernel (its ARP reply fills the neighbour table).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { requireTool } from '../../../test/tools.ts';

requireTool('ip');

t.test('read the kernel ARP request, write the reply', async (t) => {
  const ns = `tapdev-test-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => {
    try {
      execFileSync('ip', ['netns', 'del', ns]);
    } catch {
      /* gone */
    }
  });
  const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, new URL('./helpers/tap-arp.ts', import.meta.url).pathname], { timeout: 30_000 });
  const r = JSON.parse(out.toString()) as { name: string; frames: number; arpRequests: number; neigh: string };
  t.equal(r.name, 'tap0');
  t.ok(r.arpRequests >= 1, `the kernel's ARP request was read (${r.frames} frames)`);
  t.match(r.neigh, /lladdr 02:99:00:00:00:02/, 'the written ARP reply reached the kernel');
});

t.test('a bad interface name is one clear error', async (t) => {
  const { TapDevice } = await import('../src/tap-device.ts');
  t.throws(() => TapDevice.open('this-name-is-far-too-long'), /TAP interface name 'this-name-is-far-too-long' must be 1-15 bytes/);
});
