// Capture of the guest side in libpcap format (pcap-savefile(5)): a 24-byte global header,
// then a 16-byte record header per frame; LINKTYPE_ETHERNET (1).
import fs from 'node:fs';

/** A capture holds the guest's traffic: readable by its owner only. */
const PCAP_MODE = 0o600;

export class PcapWriter {
  private readonly fd: number;
  constructor(path: string) {
    this.fd = fs.openSync(path, 'w', PCAP_MODE);
    // The mode of open() applies only to a new file; an existing one is truncated and narrowed.
    fs.fchmodSync(this.fd, PCAP_MODE);
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(65535, 16);
    h.writeUInt32LE(1, 20);
    fs.writeSync(this.fd, h);
  }

  write(frame: Uint8Array): void {
    const now = Date.now();
    const h = Buffer.allocUnsafe(16);
    h.writeUInt32LE(Math.floor(now / 1000), 0);
    h.writeUInt32LE((now % 1000) * 1000, 4);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    fs.writevSync(this.fd, [h, frame]);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
