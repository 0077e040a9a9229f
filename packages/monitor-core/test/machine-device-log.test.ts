// Device warnings from the worker: pino JSON on stderr, with pino loaded only at the first one.
import { spawnSync } from 'node:child_process';
import t from 'tap';

const DEVICE_LOG = new URL('../src/machine/device-log.ts', import.meta.url);

t.test('a warning is one pino JSON line on stderr naming the monitor; none loads nothing', async (t) => {
  const script = `
    const { deviceLog } = await import(${JSON.stringify(DEVICE_LOG.href)});
    const before = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).some((f) => f.includes('/pino/'));
    const log = deviceLog(42);
    console.log(JSON.stringify({ before }));
    log('virtio-blk: descriptor 3 points outside RAM; device needs reset');
    log('second');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { before: false }, 'pino not loaded before the first warning');
  const lines = r.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(lines.length, 2);
  t.match(lines[0], { level: 40, name: 'colinux-machine', monitor: 42, msg: 'virtio-blk: descriptor 3 points outside RAM; device needs reset' });
  t.match(lines[1], { level: 40, monitor: 42, msg: 'second' });
});
