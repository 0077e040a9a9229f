// colinux-ctl suspend and resume (docs/suspend.md, docs/ctl.md). Suspend is a control request:
// the manager asks the monitor's owner, writes the bundle and the owner exits. Resume starts a
// colinux-daemon with `resume=<bundle>` in the background (it owns the resumed VM, as any
// daemon owns its VM), its output in the runtime dir, and waits until the guest runs again or the
// daemon gives up.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rc } from '@colinux/protocol';
import { runtimeDir } from '@colinux/client';
import { Refused, withManager, type Output } from './commands.ts';

/** The daemon's bin, found as Node resolves the package (packages/daemon/bin in the repository). */
const DAEMON_BIN = fileURLToPath(import.meta.resolve('@colinux/daemon/bin'));
/** Resume reads and checks the bundle and every disk first: a 4 GiB guest takes a while. */
const RESUME_WAIT_MS = 300_000;
const POLL_MS = 100;
const RESUMED = /^colinux: resumed from .* in (\d+) ms$/m;

export async function suspend(out: Output, id: number, file: string): Promise<void> {
  const text = await withManager(out, (c) => c.suspend(id, path.resolve(file)));
  const r = JSON.parse(text) as { id: number; file: string; bytes: number; ramPages: number; ms: number };
  out.write(
    out.json
      ? `${JSON.stringify({ id: r.id, file: r.file, bytes: r.bytes, ramPages: r.ramPages, ms: r.ms, suspended: true })}\n`
      : `monitor ${r.id} suspended to ${r.file} (${(r.bytes / 1048576).toFixed(1)} MiB, ${r.ms} ms)\n`,
  );
}

/** The last line of the daemon's output that says why it stopped. */
function lastError(log: string): string {
  const lines = log.split('\n').filter((l) => /^colinux/.test(l));
  return lines[lines.length - 1] ?? (log.trim().split('\n').pop() || 'the daemon exited');
}

export async function resume(out: Output, file: string, overrides: string[], force: boolean): Promise<void> {
  const bundle = path.resolve(file);
  const dir = runtimeDir(); // made 0700 if missing: the daemon's manager will serve there
  const logFile = path.join(dir, `daemon-resume-${process.pid}.log`);
  const fd = fs.openSync(logFile, 'w', 0o600);
  const args = [DAEMON_BIN, '-d', ...(force ? ['--force'] : []), `resume=${bundle}`, ...overrides];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  const deadline = Date.now() + RESUME_WAIT_MS;
  let ms: string | undefined;
  for (;;) {
    const log = fs.readFileSync(logFile, 'utf8');
    ms = RESUMED.exec(log)?.[1];
    if (ms !== undefined) break;
    if (code !== undefined) {
      fs.rmSync(logFile, { force: true });
      throw new Refused(Rc.ERROR, lastError(log).replace(/^colinux(-daemon)?: /, ''));
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Refused(Rc.TIMEOUT, `the daemon did not resume ${bundle} within ${RESUME_WAIT_MS / 1000} s (its output: ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  // The monitor id is the daemon's pid; its output goes on in a file named after it.
  const id = child.pid!;
  const named = path.join(dir, `daemon-${id}.log`);
  fs.renameSync(logFile, named);
  child.unref();
  out.write(
    out.json
      ? `${JSON.stringify({ id, file: bundle, ms: Number(ms), daemonLog: named, resumed: true })}\n`
      : `monitor ${id} resumed from ${bundle} in ${ms} ms (daemon output: ${named})\n`,
  );
}
