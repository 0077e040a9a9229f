// node-ipc (raw mode) and node:net behind one interface: the same tests for both.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { netTransport, nodeIpcTransport, runtimeDir, type Connection } from '../src/index.ts';

for (const transport of [nodeIpcTransport, netTransport]) {
  t.test(transport.name, async (t) => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-tr-'));
    t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
    const dir = runtimeDir({ COLINUX_RUNTIME_DIR: path.join(base, 'rt') });
    const sock = path.join(dir, 'manager.sock');

    const absent = (await transport.connect(sock, 1000).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    t.equal(absent.code, 'ENOENT', 'nobody serves: ENOENT');

    const serverSide: Connection[] = [];
    const server = await transport.listen(sock, dir, (c) => {
      serverSide.push(c);
      c.onData((d) => c.write(d)); // echo
    });
    t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'the socket root stays 0700');

    const c = await transport.connect(sock, 1000);
    const payload = crypto.randomBytes(8 * 1024 * 1024);
    const got: Buffer[] = [];
    let n = 0;
    const echoed = new Promise<void>((resolve) =>
      c.onData((d) => {
        got.push(Buffer.from(d));
        n += d.length;
        if (n >= payload.length) resolve();
      }),
    );
    c.write(payload);
    await echoed;
    t.ok(Buffer.concat(got).equals(payload), '8 MiB echoed intact');

    const closedOnServer = new Promise<void>((resolve) => serverSide[0]!.onClose(resolve)); // the echo above went through it
    c.end();
    await closedOnServer;
    t.ok(serverSide[0]?.closed, 'the server sees the client go');
    await server.close();
    const refused = (await transport.connect(sock, 1000).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    t.ok(['ENOENT', 'ECONNREFUSED'].includes(refused.code ?? ''), `after close: ${refused.code}`);
  });
}
