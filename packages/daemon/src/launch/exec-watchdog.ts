// The execN watchdog: execN programs must not outlive their VM, also when colinux-daemon is killed
// with SIGKILL and cannot stop them itself. The daemon starts this process (`process.execPath
// exec-watchdog.ts`, in a session of its own) with the first execN program and keeps the write end
// of its stdin, telling it `+<pgid>` when an execN program starts (each leads a process group of its
// own) and `-<pgid>` when it has ended. stdin ends when the daemon closes it at its final stop, or
// when the kernel closes it because the daemon died: every group still known then gets SIGTERM,
// and SIGKILL if any member is left after STOP_GRACE_MS. Run directly by Node: node: imports only.
import { createInterface } from 'node:readline';

const STOP_GRACE_MS = 2000;
const POLL_MS = 50;

const groups = new Set<number>();

/** Signals every known group; forgets the groups that have no member left. */
function signalGroups(signal: NodeJS.Signals | 0): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      groups.delete(pgid); // ESRCH: nobody is left in it
    }
  }
}

let stopping = false;

function stop(): void {
  if (stopping) return;
  stopping = true;
  signalGroups('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  const poll = setInterval(() => {
    signalGroups(0);
    if (groups.size > 0 && Date.now() < deadline) return;
    signalGroups('SIGKILL');
    clearInterval(poll);
    process.exit(0);
  }, POLL_MS);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) return;
    if (line.startsWith('+')) groups.add(pgid);
    else if (line.startsWith('-')) groups.delete(pgid);
  })
  .on('close', stop);
process.stdin.on('error', stop);
// Nobody should signal it, but if someone does, the programs must not be left behind either.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, stop);
