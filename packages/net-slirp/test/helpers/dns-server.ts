// A tiny authoritative DNS server (RFC 1035 4.1) on the host's loopback for tests: answers A
// queries for the names it is given, NOERROR with no answer for anything else, and counts queries.
import dgram from 'node:dgram';

export class TestDnsServer {
  readonly socket: dgram.Socket;
  queries = 0;
  private readonly records: Map<string, number[]>;

  private constructor(socket: dgram.Socket, records: Record<string, string>) {
    this.socket = socket;
    this.records = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v.split('.').map(Number)]));
    socket.on('message', (msg, rinfo) => this.answer(msg, rinfo.address, rinfo.port));
  }

  static async start(records: Record<string, string>): Promise<TestDnsServer> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    return new TestDnsServer(s, records);
  }

  get address(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  private answer(q: Buffer, address: string, port: number): void {
    if (q.length < 12) return;
    this.queries++;
    let i = 12;
    const labels: string[] = [];
    for (let len = q[i]; len !== undefined && len !== 0; len = q[i]) {
      labels.push(q.subarray(i + 1, i + 1 + len).toString());
      i += 1 + len;
    }
    const qEnd = i + 5;
    const qtype = q.readUInt16BE(i + 1);
    const ip = this.records.get(labels.join('.').toLowerCase());
    const header = Buffer.from(q.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2); // response, recursion desired+available, NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(ip && qtype === 1 ? 1 : 0, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    const parts = [header, q.subarray(12, qEnd)];
    if (ip && qtype === 1) parts.push(Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip]));
    this.socket.send(Buffer.concat(parts), port, address);
  }

  close(): void {
    this.socket.close();
  }
}
