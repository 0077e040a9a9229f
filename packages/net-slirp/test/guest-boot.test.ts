// End to end with the emulator: colinux-daemon boots the bundled guest with eth0=slirp and a
// redirection; the guest's udhcpc gets its lease from our stack through virtio-net and the
// manager, busybox httpd in the guest answers on the redirected host port, and the slirp
// daemon exits 0 when the VM powers off.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { spawn } from 'node:child_process';

const ROOT = new URL('../../../', import.meta.url).pathname;
const DAEMON = path.join(ROOT, 'packages/daemon/bin/colinux-daemon.js');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

t.test('bundled guest on slirp: DHCP lease, redirected httpd, clean exit', async (t) => {
  const rt = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-rt-'));
  const env = { ...process.env, COLINUX_RUNTIME_DIR: rt };
  const port = await freePort();
  const d = spawn(
    process.execPath,
    [DAEMON, '-d', '-k', `kernel=${ROOT}guest/images/vmlinux`, `initrd=${ROOT}guest/images/initramfs.cpio.gz`, 'mem=64', `eth0=slirp,,tcp:${port}:80`],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  d.stdout.on('data', (b: Buffer) => {
    log += b.toString();
  });
  d.stderr.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const exited = new Promise<number | null>((r) => d.once('exit', (c) => r(c)));
  t.teardown(async () => {
    d.kill('SIGKILL');
    // Stop the manager this test's runtime dir started (the daemon starts it on demand).
    const stop = spawn(process.execPath, [DAEMON, '--remove-driver'], { env, stdio: 'ignore' });
    await new Promise((r) => stop.once('exit', r));
    fs.rmSync(rt, { recursive: true, force: true });
  });

  let page = '';
  const end = Date.now() + 240_000;
  while (Date.now() < end && !page) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      page = await get(port);
    } catch {
      /* not up yet */
    }
  }
  t.match(page, /coLinux guest/, 'the guest httpd answers on the redirected host port');
  t.match(log, /"msg":"DHCP lease"/, 'the guest got its DHCP lease from the slirp daemon');
  t.match(log, /"ip":"10\.0\.2\.15"/, 'at 10.0.2.15');
  d.kill('SIGTERM'); // the daemon asks the guest to power off
  t.equal(await exited, 0, 'colinux-daemon exits 0 after the power-off');
  await new Promise((r) => setTimeout(r, 500));
  t.match(log, /"reason":"monitor-closed"/, 'the slirp daemon saw the monitor close');
});
