import { ManagerClient } from '@colinux/protocol';
import { ManagerServer } from '../src/index.ts';
import { echoConsoleGuest, monitorConfig, tempRuntime } from './manager-fixtures.ts';
import fs from 'node:fs';
const rt = tempRuntime();
const server = await ManagerServer.start({ env: rt.env, logToStderr: false });
const owner = await ManagerClient.connect({ env: rt.env });
await owner.create(1, monitorConfig());
const g = echoConsoleGuest(process.argv[3] ?? 'y\r\n', 2_000_000_000);
await owner.loadSection(0, g.image.length, g.image);
await owner.start(0);
const secs = Number(process.argv[2] ?? 60);
const mib = (n: number) => Math.round(n / 1048576);
for (let i = 0; i <= secs; i += 5) {
  const m = process.memoryUsage();
  const log = fs.statSync(`${rt.dir}/monitor-1.console.log`).size;
  const mon = server.monitors.get(1)!;
  console.log(i, 'rss', mib(m.rss), 'heapUsed', mib(m.heapUsed), 'heapTotal', mib(m.heapTotal), 'ext', mib(m.external), 'ab', mib(m.arrayBuffers), 'log', log);
  await new Promise((r) => setTimeout(r, 5000));
}
await owner.closeMonitor(); await owner.close(); await server.close(); rt.remove();
