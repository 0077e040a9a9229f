// A FIFO of byte chunks: host socket data waiting to be sent or acknowledged by the guest.
// Chunks are kept as received (no concatenation); reading copies straight into a frame.
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // index of the first live chunk
  private headOff = 0; // bytes already consumed from chunks[head]
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Copies len bytes starting offset bytes into the queue to dest[destOff..]. */
  copyOut(offset: number, len: number, dest: Uint8Array, destOff: number): void {
    if (offset < 0 || len < 0 || offset + len > this.length) {
      throw new RangeError(`copyOut(${offset}, ${len}) outside a queue of ${this.length} bytes`);
    }
    // Below, the live chunks hold this.length bytes, so chunks[i] exists while bytes are left.
    let i = this.head;
    let skip = offset + this.headOff;
    while (len > 0 && skip >= this.chunks[i]!.length) {
      skip -= this.chunks[i]!.length;
      i++;
    }
    let left = len;
    let d = destOff;
    while (left > 0) {
      const c = this.chunks[i]!;
      const n = Math.min(c.length - skip, left);
      dest.set(n === c.length ? c : c.subarray(skip, skip + n), d);
      d += n;
      left -= n;
      skip = 0;
      i++;
    }
  }

  consume(n: number): void {
    let left = Math.min(n, this.length);
    this.length -= left;
    while (left > 0) {
      const c = this.chunks[this.head]!; // left <= this.length: a live chunk is there
      const avail = c.length - this.headOff;
      if (left < avail) {
        this.headOff += left;
        break;
      }
      left -= avail;
      this.headOff = 0;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.headOff = 0;
    this.length = 0;
  }
}
