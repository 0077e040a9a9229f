// A Linux AF_PACKET raw socket bound to one host interface: the modern equivalent of coLinux's
// WinPcap adapter (docs/colinux.md#network-helpers). Opened through koffi so no native addon is built
// (pnpm-workspace.yaml). Frames are read with an fs stream over the socket's fd: each read() on a packet
// socket returns exactly one frame (packet(7)).
import { createReadStream, type ReadStream } from 'node:fs';
import { writeSync, closeSync } from 'node:fs';
import koffi from 'koffi';

const AF_PACKET = 17;
const SOCK_RAW = 3;
const ETH_P_ALL = 0x0003;
const SOL_PACKET = 263;
const PACKET_ADD_MEMBERSHIP = 1;
const PACKET_MR_PROMISC = 1;
/** Linux 4.20+: do not hand us back the frames we send ourselves (packet(7)). */
const PACKET_IGNORE_OUTGOING = 23;

const libc = koffi.load('libc.so.6');
const socket = libc.func('int socket(int domain, int type, int protocol)');
const bind = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const setsockopt = libc.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
const ifNameToIndex = libc.func('unsigned int if_nametoindex(const char *name)');
const errnoLocation = libc.func('int *__errno_location(void)');
const strerror = libc.func('const char *strerror(int errnum)');

function lastError(what: string): Error {
  const errno = koffi.decode(errnoLocation(), 'int') as number;
  return new Error(`${what}: ${strerror(errno)} (errno ${errno})`);
}

const htons = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);

export interface PacketSocketOptions {
  ifname: string;
  promiscuous: boolean;
}

export class PacketSocket {
  readonly ifname: string;
  readonly fd: number;
  private stream: ReadStream | undefined;

  constructor(opts: PacketSocketOptions) {
    this.ifname = opts.ifname;
    const index = ifNameToIndex(opts.ifname) as number;
    if (index === 0) throw new Error(`interface '${opts.ifname}' not found`);
    const fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)) as number;
    if (fd < 0) throw lastError(`opening a packet socket on '${opts.ifname}' (needs CAP_NET_RAW)`);
    this.fd = fd;
    try {
      // struct sockaddr_ll { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype, halen; u8 addr[8] }
      const sll = Buffer.alloc(20);
      sll.writeUInt16LE(AF_PACKET, 0);
      sll.writeUInt16BE(ETH_P_ALL, 2);
      sll.writeInt32LE(index, 4);
      if (bind(fd, sll, sll.length) < 0) throw lastError(`binding to '${opts.ifname}'`);
      const one = Buffer.alloc(4);
      one.writeInt32LE(1, 0);
      // Best effort: older kernels lack it and then we filter our own frames by source MAC.
      setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, one, 4);
      if (opts.promiscuous) {
        // struct packet_mreq { int ifindex; u16 type; u16 alen; u8 address[8] }
        const mreq = Buffer.alloc(16);
        mreq.writeInt32LE(index, 0);
        mreq.writeUInt16LE(PACKET_MR_PROMISC, 4);
        if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, mreq.length) < 0) {
          throw lastError(`enabling promiscuous mode on '${opts.ifname}'`);
        }
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Starts delivering frames; each chunk is one whole Ethernet frame. */
  onFrame(handler: (frame: Uint8Array) => void, onError: (err: Error) => void): void {
    // 65536 + headroom: a read shorter than the frame would truncate it (packet(7) MSG_TRUNC).
    this.stream = createReadStream('', { fd: this.fd, highWaterMark: 65536 + 64, autoClose: false });
    this.stream.on('data', (chunk) => handler(chunk as Buffer));
    this.stream.on('error', onError);
  }

  send(frame: Uint8Array): void {
    writeSync(this.fd, frame);
  }

  close(): void {
    this.stream?.destroy();
    try {
      closeSync(this.fd);
    } catch {
      // already closed with the stream
    }
  }
}
