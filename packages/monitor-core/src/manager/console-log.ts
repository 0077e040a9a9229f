// monitor-<id>.console.log in the runtime dir: the guest console from the first byte of boot,
// rotated at ROTATE_BYTES keeping KEEP older files (.1 newest), so a long-running guest cannot
// fill the disk and a crash can still be read after the monitor is gone.
import fs from 'node:fs';
import path from 'node:path';
import { consoleLogName } from '@colinux/client';

export const ROTATE_BYTES = 4 * 1024 * 1024;
export const KEEP = 2;

export class ConsoleLog {
  readonly file: string;
  private fd: number | undefined;
  private size = 0;
  private readonly rotateBytes: number;

  constructor(dir: string, monitorId: number, rotateBytes = ROTATE_BYTES) {
    this.file = path.join(dir, consoleLogName(monitorId));
    this.rotateBytes = rotateBytes;
    this.fd = fs.openSync(this.file, 'w', 0o600);
  }

  write(bytes: Uint8Array): void {
    if (this.fd === undefined) return;
    if (this.size > 0 && this.size + bytes.length > this.rotateBytes) this.rotate();
    fs.writeSync(this.fd, bytes);
    this.size += bytes.length;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private rotate(): void {
    this.close();
    for (let i = KEEP; i >= 1; i--) {
      const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
      try {
        fs.renameSync(from, `${this.file}.${i}`);
      } catch {
        // a missing older generation is normal right after start
      }
    }
    try {
      this.fd = fs.openSync(this.file, 'w', 0o600);
    } catch {
      // The runtime dir was removed under the manager (server.ts makes it again): no log until
      // the monitor's next start rather than an error for every guest write.
      this.fd = undefined;
    }
    this.size = 0;
  }
}
