// The run-time port forwards of one monitor (colinux-ctl forward), by network unit, kept beside
// the VM in `<runtime dir>/monitor-<id>.forwards.json` (mode 0600, like the runtime dir's other
// files): written on every add and remove, read when a helper takes the unit, so a restarted or
// replaced slirp helper gets them from the file; removed when the monitor closes (and when a
// monitor of the same id is created: the manager runs the VM, so no table outlives its VM).
// Format: {"version": 1, "units": {"<unit>": ["<canonical spec>", ...]}}, specs as the helper
// answered them (`tcp:127.0.0.1:8080:80`, `tcp6:...` for the guest's IPv6 address).
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pino from 'pino';
import { forwardsFileName } from '@colinux/client';

const FORMAT_VERSION = 1;
const FILE_MODE = 0o600;

/** The table key of a forward: its canonical spec without the guest port (one per host port). */
function forwardKey(spec: string): string {
  return spec.slice(0, spec.lastIndexOf(':'));
}

export class ForwardTable {
  readonly file: string;
  private readonly log: pino.Logger;

  constructor(runtimeDir: string, monitorId: number, log: pino.Logger) {
    this.file = path.join(runtimeDir, forwardsFileName(monitorId));
    this.log = log;
    // A new monitor is a new VM: a table left by a killed manager under the same id is not its.
    this.discard();
  }

  /** The unit's forwards as the file has them; a missing file is none, a bad one is logged. */
  specs(unit: number): string[] {
    return this.read()[String(unit)] ?? [];
  }

  add(unit: number, spec: string): void {
    this.change(unit, (specs) => [...specs.filter((s) => forwardKey(s) !== forwardKey(spec)), spec]);
  }

  remove(unit: number, spec: string): void {
    this.change(unit, (specs) => specs.filter((s) => forwardKey(s) !== forwardKey(spec)));
  }

  /** The monitor closed: its forwards go with it. */
  discard(): void {
    rmSync(this.file, { force: true });
  }

  private change(unit: number, fn: (specs: string[]) => string[]): void {
    const units = this.read();
    units[String(unit)] = fn(units[String(unit)] ?? []);
    if (units[String(unit)]!.length === 0) delete units[String(unit)];
    // Written whole to a temporary name and renamed over the table, so a crash leaves the old
    // table or the new one, never half of one.
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify({ version: FORMAT_VERSION, units })}\n`, { mode: FILE_MODE });
      renameSync(tmp, this.file);
    } catch (e) {
      this.log.error({ file: this.file, err: (e as Error).message }, 'forward table not written: a restarted helper will not get this change');
    }
  }

  private read(): Record<string, string[]> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn({ file: this.file, err: (e as Error).message }, 'forward table unreadable: no forwards');
      return {};
    }
    try {
      const doc = JSON.parse(text) as { version?: unknown; units?: unknown };
      if (doc.version !== FORMAT_VERSION || typeof doc.units !== 'object' || doc.units === null)
        throw new Error(`not a version ${FORMAT_VERSION} forward table`);
      const units: Record<string, string[]> = {};
      for (const [unit, specs] of Object.entries(doc.units)) {
        if (!Array.isArray(specs) || !specs.every((s) => typeof s === 'string')) throw new Error(`unit ${unit}: not a list of forwards`);
        units[unit] = specs as string[];
      }
      return units;
    } catch (e) {
      this.log.warn({ file: this.file, err: (e as Error).message }, 'forward table unreadable: no forwards');
      return {};
    }
  }
}
