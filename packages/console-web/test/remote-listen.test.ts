// A --listen address that is not loopback: accepted only with --allow-remote, and said so on stderr.
// The program runs in a network namespace created here, listening on an interface address
// (10.77.0.1, on one end of a veth pair with both ends in it), so nothing outside the namespace can
// reach it; a request from inside the namespace (over its own lo) without the token gets 403.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { ManagerClient } from '@colinux/client';
import { monitorConfig, startManager } from '@colinux/monitor-core/test/manager-fixtures';
import { REPO, until } from '@colinux/daemon/test/helpers';
import { requireTool } from '../../../test/tools.ts';

const WEB_BIN = join(REPO, 'packages/console-web/bin/colinux-console-web.js');
const NS = `cweb${process.pid}`;
const ADDRESS = '10.77.0.1';

t.test('--allow-remote on a non-loopback address: served, and logged', async (t) => {
  requireTool('ip');
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  ip('netns', 'add', NS);
  t.teardown(() => {
    try {
      ip('netns', 'del', NS);
    } catch {
      // already gone
    }
  });
  ip('-n', NS, 'link', 'add', 'web0', 'type', 'veth', 'peer', 'name', 'web1');
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  ip('-n', NS, 'link', 'set', 'web1', 'up');
  ip('-n', NS, 'addr', 'add', `${ADDRESS}/24`, 'dev', 'web0');
  ip('-n', NS, 'link', 'set', 'web0', 'up');

  const m = await startManager();
  const owner = await ManagerClient.connect({ env: m.rt.env });
  t.teardown(async () => {
    await owner.close();
    await m.stop();
  });
  await owner.create(8103, monitorConfig());

  const web = spawn('ip', ['netns', 'exec', NS, process.execPath, WEB_BIN, '-a', '8103', '--allow-remote', '--listen', `${ADDRESS}:0`], {
    env: m.rt.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  web.stdout.on('data', (b: Buffer) => (out += b.toString()));
  web.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => web.once('close', (code) => r(code)));
  t.teardown(() => web.kill('SIGKILL'));
  const url = await until(() => /^http:\/\/10\.77\.0\.1:\d+\/\?token=\S+$/m.exec(out)?.[0], 30_000, 50);
  const port = new URL(url).port;
  t.match(
    err,
    new RegExp(
      `^colinux-console-web: listening on ${ADDRESS.replaceAll('.', '\\.')}:${port}, which is not loopback \\(--allow-remote\\): keep the URL's token secret$`,
      'm',
    ),
  );
  const status = execFileSync(
    'ip',
    ['netns', 'exec', NS, process.execPath, '-e', `require('http').get('http://${ADDRESS}:${port}/', (r) => console.log(r.statusCode))`],
    { encoding: 'utf8', timeout: 10_000 },
  ).trim();
  t.equal(status, '403', 'no token: 403, from inside the namespace');
  web.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM detaches and ends it');
});
