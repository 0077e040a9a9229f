// The host leg of the bridge against a real Linux stack: a veth pair between two network
// namespaces created here; the far namespace's kernel answers ARP for its address.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isForGuest, parseMac } from '../src/frame-filter.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('ip');

const tag = `cbr${process.pid}`;
const nsA = `${tag}-a`;
const nsB = `${tag}-b`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

t.test("frame filter follows coLinux's BPF rule", async (t) => {
  const mac = parseMac('02:00:00:00:00:09')!;
  const frame = (dst: string, src: string) => Uint8Array.from(Buffer.from(dst + src + '0800', 'hex'));
  t.ok(isForGuest(frame('020000000009', '020000000001'), mac), 'unicast to the guest');
  t.notOk(isForGuest(frame('020000000007', '020000000001'), mac), 'unicast to another host');
  t.ok(isForGuest(frame('ffffffffffff', '020000000001'), mac), 'broadcast from another host');
  t.notOk(isForGuest(frame('ffffffffffff', '020000000009'), mac), "the guest's own broadcast echoed");
  t.notOk(isForGuest(new Uint8Array(13), mac), 'runt');
  t.equal(parseMac('02:00:00:00:00'), undefined);
  t.equal(parseMac('zz:00:00:00:00:00'), undefined);
});

t.test("a packet socket in one namespace gets ARP answered by the other namespace's kernel", async (t) => {
  ip('netns', 'add', nsA);
  ip('netns', 'add', nsB);
  t.teardown(() => {
    for (const ns of [nsA, nsB])
      try {
        ip('netns', 'del', ns);
      } catch {
        /* already gone */
      }
  });
  ip('link', 'add', `${tag}a`, 'type', 'veth', 'peer', 'name', `${tag}b`);
  ip('link', 'set', `${tag}a`, 'netns', nsA);
  ip('link', 'set', `${tag}b`, 'netns', nsB);
  ip('-n', nsA, 'link', 'set', `${tag}a`, 'up');
  ip('-n', nsB, 'addr', 'add', '10.9.0.2/24', 'dev', `${tag}b`);
  ip('-n', nsB, 'link', 'set', `${tag}b`, 'up');

  const probe = fileURLToPath(new URL('./fixtures/arp-probe.ts', import.meta.url));
  const child = spawn('ip', ['netns', 'exec', nsA, process.execPath, probe, `${tag}a`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, 'probe exited cleanly');
  t.match(out, /^arp reply from [0-9a-f]{12} for 10\.9\.0\.2$/m);
});
