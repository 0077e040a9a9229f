// Where the manager endpoint lives (docs/protocol.md#endpoint): a per-user runtime directory of
// mode 0700 so no other user can reach the socket, as coLinux's driver device was per machine but
// guarded by the OS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ENDPOINT_NAME = 'manager.sock';
export const LOCK_NAME = 'manager.lock';

function uidOf(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** Resolves the runtime dir without touching the file system. */
export function runtimeDirPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.COLINUX_RUNTIME_DIR) return path.resolve(env.COLINUX_RUNTIME_DIR);
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'colinux');
  return path.join(os.tmpdir(), `colinux-${uidOf() ?? os.userInfo().username}`);
}

/**
 * COLINUX_RUNTIME_DIR, else $XDG_RUNTIME_DIR/colinux, else <tmpdir>/colinux-<uid>; created 0700.
 * Refuses a directory that is a symlink or owned by someone else (a planted directory under a
 * shared /tmp would otherwise let another user sit on our endpoint).
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = runtimeDirPath(env);
  if (path.resolve(dir) === path.resolve(os.tmpdir()) || dir === '/tmp') throw new Error(`runtime dir ${dir}: must not be the shared temp dir itself`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`runtime dir ${dir}: not a directory`);
  const uid = uidOf();
  if (uid !== undefined && st.uid !== uid) throw new Error(`runtime dir ${dir}: owned by uid ${st.uid}, not by you (uid ${uid})`);
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  return dir;
}

/** The socket path inside the runtime dir. */
export function endpointPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(runtimeDir(env), ENDPOINT_NAME);
}

export function lockPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(runtimeDir(env), LOCK_NAME);
}

/** The endpoint of monitor `id`'s own process (docs/manager.md "Monitor processes"): helpers
 *  reach it directly after the manager's ATTACH names it. */
export function monitorEndpointName(id: number): string {
  return `monitor-${id}.sock`;
}

/** `monitor-<id>.sock` in the runtime dir, parsed back: the id, or undefined for other names. */
export function monitorIdOfEndpoint(name: string): number | undefined {
  const m = /^monitor-([0-9]{1,10})\.sock$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function monitorEndpointPath(env: NodeJS.ProcessEnv, id: number): string {
  return path.join(runtimeDir(env), monitorEndpointName(id));
}

/** A monitor process's output (its log), in the runtime dir. */
export function monitorLogName(id: number): string {
  return `monitor-${id}.log`;
}

/** The console log the manager keeps of monitor `id` (rotated to `.1`, `.2`), in the runtime dir. */
export function consoleLogName(id: number): string {
  return `monitor-${id}.console.log`;
}

/** The run-time port forwards of a monitor (colinux-ctl forward), kept while it exists. */
export function forwardsFileName(id: number): string {
  return `monitor-${id}.forwards.json`;
}
