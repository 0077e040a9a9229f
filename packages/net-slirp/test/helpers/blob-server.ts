// Host-side HTTP server for tests and benchmarks: serves a deterministic blob of any size
// (1 MiB random block, each copy stamped with its index) and knows its sha256; also accepts
// uploads on POST and answers with their sha256.
import http from 'node:http';
import crypto from 'node:crypto';

const BLOCK = 1 << 20;

export class BlobServer {
  readonly server: http.Server;
  readonly size: number;
  readonly sha256: string;
  private readonly block = crypto.randomBytes(BLOCK);

  private constructor(server: http.Server, size: number) {
    this.server = server;
    this.size = size;
    const h = crypto.createHash('sha256');
    for (let off = 0; off < size; off += BLOCK) h.update(this.chunk(off / BLOCK, Math.min(BLOCK, size - off)));
    this.sha256 = h.digest('hex');
  }

  chunk(i: number, len: number): Buffer {
    const c = Buffer.from(this.block.subarray(0, len));
    if (len >= 8) c.writeBigUInt64BE(BigInt(i), 0);
    return c;
  }

  static async start(size: number, host: string): Promise<BlobServer> {
    const server = http.createServer();
    const b = new BlobServer(server, size);
    server.on('request', (req, res) => b.handle(req, res));
    await new Promise<void>((r) => server.listen(0, host, r));
    return b;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'POST') {
      const h = crypto.createHash('sha256');
      let n = 0;
      req.on('data', (d: Buffer) => {
        h.update(d);
        n += d.length;
      });
      req.on('end', () => res.end(`${h.digest('hex')} ${n}\n`));
      return;
    }
    res.writeHead(200, { 'content-length': String(this.size), 'content-type': 'application/octet-stream' });
    let i = 0;
    const pump = (): void => {
      while (i * BLOCK < this.size) {
        const len = Math.min(BLOCK, this.size - i * BLOCK);
        const ok = res.write(this.chunk(i++, len));
        if (!ok) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}
