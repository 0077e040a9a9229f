// Worker: blocking reader for a non-blocking TAP fd (see tap-device.ts for why a thread).
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { waitReadable, waitWritable } from './libc.ts';

const { fd, stop, sinkFd } = workerData as { fd: number; stop: Int32Array; sinkFd: number };
const BATCH = 512 * 1024;
const MAX_FRAME = 65536;

const batch = new Uint8Array(BATCH);
let used = 0;

function flush(): void {
  if (used === 0) return;
  if (sinkFd >= 0) {
    let off = 0;
    while (off < used) {
      try {
        off += fs.writeSync(sinkFd, batch, off, used - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') throw e; // a non-blocking pipe is full
        waitWritable(sinkFd, 200);
      }
    }
  } else {
    // An exact-size copy is transferred, so one small frame does not cost a whole new batch
    // buffer, and the batch buffer is reused.
    const out = batch.slice(0, used);
    parentPort!.postMessage(out, [out.buffer]);
  }
  used = 0;
}

for (;;) {
  if (Atomics.load(stop, 0) !== 0) break;
  if (BATCH - used < MAX_FRAME + 4) flush();
  let n: number;
  try {
    n = fs.readSync(fd, batch, used + 4, MAX_FRAME, null);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
      flush();
      waitReadable(fd, 200);
      continue;
    }
    if (code === 'EBADF' || code === 'EIO') break;
    throw e;
  }
  if (n <= 0) continue;
  batch[used] = n >>> 24;
  batch[used + 1] = (n >>> 16) & 255;
  batch[used + 2] = (n >>> 8) & 255;
  batch[used + 3] = n & 255;
  used += 4 + n;
}
flush();
