// On-demand start of the manager, as colinux-daemon loads coLinux's driver when it is absent.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ManagerClient } from './client.ts';
import { runtimeDir } from './endpoint.ts';

/** A connect attempt to a socket that is not there yet fails at once; a manager starting on demand
 *  is on the daemon's critical path, so look often. */
const POLL_MS = 10;

/** Resolves when something answers STATUS at the endpoint (true), or false after `timeoutMs`.
 *  It asks at least once, so `timeoutMs = 0` is a single look (an absent socket fails at once). */
export async function waitForManager(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await ManagerClient.connect({ env, timeoutMs: 1000 });
      try {
        await c.status();
        return true;
      } finally {
        await c.close();
      }
    } catch {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/**
 * Spawns `process.execPath <bin> --serve` detached (`bin`: the monitor-core program,
 * managerBinPath() of @colinux/monitor-core/bin-path) (its log goes to manager.log in the
 * runtime dir) and waits until the endpoint answers STATUS. Two callers racing is fine: the
 * manager's lock lets one serve and the other exit, and both callers see the winner answer.
 */
export async function startManager(bin: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 15000): Promise<void> {
  const dir = runtimeDir(env);
  const logFd = fs.openSync(path.join(dir, 'manager.log'), 'a', 0o600);
  try {
    const child = spawn(process.execPath, [bin, '--serve'], {
      env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    child.unref();
  } finally {
    fs.closeSync(logFd);
  }
  if (!(await waitForManager(env, timeoutMs))) {
    throw new Error(`the manager did not answer at ${path.join(dir, 'manager.sock')} within ${timeoutMs} ms; see ${path.join(dir, 'manager.log')}`);
  }
}
