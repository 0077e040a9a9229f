/**
 * `initrd=`: checked by size before anything is read (it must fit in mem= beside the kernel), then
 * streamed to the manager chunk by chunk at every (re)load, never held whole by the daemon.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ManagerClient } from '@colinux/client';
import { DaemonError } from '../errors.ts';
import { describeFsError } from '../cmdline/expand.ts';

export interface InitrdFile {
  path: string;
  shown: string;
  size: number;
}

export function checkInitrd(path: string, shown: string): InitrdFile {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DaemonError(`initrd=${shown}: not a regular file`);
    return { path, shown, size: st.size };
  } catch (err) {
    if (err instanceof DaemonError) throw err;
    throw new DaemonError(`initrd=${shown}: error loading initrd file: ${describeFsError(err)}`);
  }
}

export async function streamInitrd(owner: ManagerClient, initrd: InitrdFile): Promise<void> {
  let fd: number;
  try {
    fd = openSync(initrd.path, 'r');
  } catch (err) {
    throw new DaemonError(`initrd=${initrd.shown}: error loading initrd file: ${describeFsError(err)}`);
  }
  try {
    await owner.loadInitrdFrom(initrd.size, (offset, length) => {
      const chunk = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, chunk, got, length - got, offset + got);
        if (n === 0) throw new DaemonError(`initrd=${initrd.shown}: the file shrank to ${offset + got} bytes while loading (was ${initrd.size})`);
        got += n;
      }
      return chunk;
    });
  } finally {
    closeSync(fd);
  }
}
