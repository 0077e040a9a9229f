// A helper taken over the moment it attached: the manager's END arrives in the same read as the
// ATTACH answer. The helper must still end (exit 0, "taken over"), not run on holding nothing.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { EndReason, FrameDecoder, FrameKind, Module, Rc, Requests, encodeFrame, encodeText } from '@colinux/protocol';
import { endpointPath } from '../src/index.ts';
import { runHelper, type HelperSpec } from '../src/helper.ts';

const GIVE_UP_MS = 10_000;

t.test('END in the same read as the ATTACH answer ends the helper', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'colinux-takeover-'));
  const env = { ...process.env, COLINUX_RUNTIME_DIR: base, COLINUX_LOG_LEVEL: 'silent' };
  // A stand-in manager that gives the unit away as soon as it grants it: one write, two frames.
  const server = net.createServer((s) => {
    const d = new FrameDecoder();
    s.on('data', (chunk) => {
      for (const f of d.push(chunk)) {
        if (f.kind !== FrameKind.REQUEST || f.code !== Requests.ATTACH.code) continue;
        const answer = encodeFrame(FrameKind.REPLY, f.code, f.seq, Rc.OK, encodeText(''));
        const end = encodeFrame(FrameKind.END, EndReason.TAKEN_OVER, 0, Rc.OK, encodeText('module serial1 was taken over'));
        s.write(Buffer.concat([answer, end]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(endpointPath(env), resolve));
  t.teardown(() => {
    server.close();
    fs.rmSync(base, { recursive: true, force: true });
  });
  let closed = false;
  const spec: HelperSpec<undefined, object> = {
    name: 'test-helper',
    description: 'a helper with no host side',
    modules: { base: Module.SERIAL0, count: 32, unitHelp: 'unit', defaultUnit: 0 },
    open: () => ({}),
    onGuest: () => undefined,
    close: () => {
      closed = true;
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still running ${GIVE_UP_MS} ms after it was taken over`), GIVE_UP_MS);
  });
  const outcome = await Promise.race([runHelper(spec, ['-i', '4242', '-u', '1'], env), gaveUp]);
  clearTimeout(timer);
  t.equal(outcome, 0, 'exit status 0, as for any take-over');
  t.ok(closed, 'the host side was closed');
});
