import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DaemonError } from '../errors.ts';
import { describeFsError } from '../cmdline/expand.ts';
import type { DaemonConfig } from './build.ts';

export interface HostBlockDevice {
  index: number;
  path: string;
  readOnly: boolean;
  aliases: string[];
}
export interface HostChecked {
  blockDevices: HostBlockDevice[];
  sharedDirs: Array<{ unit: number; path: string; readOnly: boolean }>;
}

/**
 * Checks every host file the configuration names BEFORE anything is started, so a typo ends the
 * daemon with one line and nothing left running. Paths become absolute: the manager that opens them
 * runs in another directory.
 */
export function checkHostResources(config: DaemonConfig, cwd = process.cwd()): HostChecked {
  const abs = (p: string): string => resolve(cwd, p);
  if (config.firmware !== undefined) config.firmware = readableFile('firmware', config.firmware, abs(config.firmware));
  const blockDevices = config.blockDevices.map((d) => {
    const key = d.key;
    const path = abs(d.path);
    const st = statOrFail(key, d.path, path);
    if (!st.isFile() && !st.isBlockDevice()) throw new DaemonError(`${key}=${d.path}: not a regular file or block device`);
    if (st.isFile() && st.size === 0) throw new DaemonError(`${key}=${d.path}: image file is empty`);
    accessOrFail(key, d.path, path, constants.R_OK);
    let readOnly = false;
    try {
      accessSync(path, constants.W_OK);
    } catch {
      readOnly = true;
    }
    return { index: d.index, path, readOnly, aliases: d.aliases };
  });
  const sharedDirs = config.sharedDirs.map((s) => {
    const path = abs(s.path);
    const st = statOrFail(`cofs${s.unit}`, s.path, path);
    if (!st.isDirectory()) throw new DaemonError(`cofs${s.unit}=${s.path}: not a directory`);
    accessOrFail(`cofs${s.unit}`, s.path, path, constants.R_OK | constants.X_OK);
    return { unit: s.unit, path, readOnly: s.readOnly };
  });
  for (const port of config.serial) {
    const path = abs(port.device);
    // colinux-serial-daemon also takes a FIFO pair <path>.in/<path>.out (QEMU's pipe convention).
    const pair = !existsSync(path) && existsSync(`${path}.in`) && existsSync(`${path}.out`);
    for (const p of pair ? [`${path}.in`, `${path}.out`] : [path]) {
      const shownPath = pair ? `${port.device}${p.slice(path.length)}` : port.device;
      statOrFail(`ttys${port.unit}`, shownPath, p);
      accessOrFail(`ttys${port.unit}`, shownPath, p, constants.R_OK | constants.W_OK);
    }
    port.device = path;
  }
  return { blockDevices, sharedDirs };
}

export function readableFile(key: string, value: string, path: string): string {
  const st = statOrFail(key, value, path);
  if (!st.isFile()) throw new DaemonError(`${key}=${value}: not a regular file`);
  accessOrFail(key, value, path, constants.R_OK);
  return path;
}

function statOrFail(key: string, value: string, path: string) {
  try {
    return statSync(path);
  } catch (err) {
    throw new DaemonError(`${key}=${value}: ${describeFsError(err)}`);
  }
}

function accessOrFail(key: string, shownPath: string, path: string, mode: number): void {
  try {
    accessSync(path, mode);
  } catch (err) {
    throw new DaemonError(`${key}=${shownPath}: ${describeFsError(err)}${mode & constants.W_OK ? ' (needs read and write access)' : ''}`);
  }
}
