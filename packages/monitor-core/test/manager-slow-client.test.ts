// A client that stops reading never stalls the guest (coLinux slept the VM, docs/colinux.md#routing):
// its messages are dropped and counted once MAX_PENDING_BYTES are unsent.
import net from 'node:net';
import t from 'tap';
import { AttachFlag, FrameKind, ManagerIoctl, Module, MonitorState, Termination, encodeAttach, encodeFrame } from '@colinux/protocol';
import { ManagerClient, monitorEndpointPath } from '@colinux/client';
import { monitorConfig, printingGuest, startManager } from './manager-fixtures.ts';

t.test('a stuck PRINTK client: the guest runs to the end, drops are counted', async (t) => {
  const m = await startManager('net');
  t.teardown(() => m.stop());
  const env = m.rt.env;
  const owner = await ManagerClient.connect({ env });
  await owner.create(8001, monitorConfig());

  // A raw client that attaches PRINTK at the monitor's own endpoint (where guest output is sent
  // from since issue 12's process per monitor; at the manager's it would never be sent any) and
  // then never reads again.
  const stuck = net.connect({ path: monitorEndpointPath(env, 8001) });
  await new Promise((resolve) => stuck.once('connect', resolve));
  const attached = new Promise((resolve) => stuck.once('data', resolve));
  stuck.write(encodeFrame(FrameKind.REQUEST, ManagerIoctl.ATTACH, 1, 0, encodeAttach({ id: 8001, flags: 0, modules: [Module.PRINTK] })));
  await attached;
  stuck.pause();
  t.teardown(() => stuck.destroy());

  // A watcher that does read, to show the guest's output still flows to healthy clients.
  const watcher = await ManagerClient.connect({ env });
  await watcher.attach(8001, [Module.PRINTK], { watch: true });
  let watched = 0;
  watcher.on('message', (msg) => (watched += msg.data.length));

  const line = `${'z'.repeat(1000)}\n`;
  const repeat = 16000; // ~16 MB, far beyond the socket buffers and MAX_PENDING_BYTES
  const g = printingGuest(line, repeat);
  await owner.loadSection(0, g.image.length, g.image);
  await owner.start(0);
  let r = await owner.run();
  while (r.state !== MonitorState.TERMINATED) r = await owner.run();
  t.equal(r.reason, Termination.POWEROFF, 'the guest finished although a client never read');
  const { droppedToClients } = await watcher.monitorStatus(8001);
  t.ok(droppedToClients > 0, `drops counted (${droppedToClients})`);
  await watcher.status();
  t.ok(watched > 0, `the reading watcher received output (${watched} bytes)`);
  await watcher.close();
  await owner.close();
});

t.test('AttachFlag values are distinct bits', async (t) => {
  t.equal(AttachFlag.FORCE & AttachFlag.WATCH, 0);
});
