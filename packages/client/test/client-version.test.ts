// A manager speaking another protocol version is a clear error for the client.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FrameDecoder, FrameKind, ManagerError, Rc, encodeFrame, encodeStatusReply } from '@colinux/protocol';
import { ManagerClient, endpointPath } from '../src/index.ts';

t.test('status() rejects a manager of another protocol version', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-ver-'));
  const env = { COLINUX_RUNTIME_DIR: base };
  // A stand-in manager from the future: it answers STATUS with version 99.
  const server = net.createServer((s) => {
    const d = new FrameDecoder();
    s.on('data', (chunk) => {
      for (const f of d.push(chunk)) {
        const body = encodeStatusReply({ protocolVersion: 99, state: 4, monitorCount: 0, pid: 1, startedAt: 0, rssBytes: 0, monitors: [] });
        s.write(encodeFrame(FrameKind.REPLY, f.code, f.seq, Rc.VERSION_MISMATCHED, body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(endpointPath(env), resolve));
  t.teardown(() => {
    server.close();
    fs.rmSync(base, { recursive: true, force: true });
  });
  const c = await ManagerClient.connect({ env, transport: 'net' });
  const err = (await c.status().catch((e: unknown) => e)) as ManagerError;
  t.ok(err instanceof ManagerError);
  t.equal(err.rc, Rc.VERSION_MISMATCHED);
  t.match(err.message, /manager speaks protocol version 99, this program speaks 1/);
  await c.close();
});
