// Builders for guest frames used as fuzz seeds and in namespace-side test scripts. Checksums
// use the stack's RFC 1071 routine; the namespace tests are where the Linux kernel checks it.
import { checksum, fold, sum16 } from '../../src/checksum.ts';
import { be16, u8 } from '../../src/bytes.ts';

export const GUEST_MAC = [0x02, 0, 0, 0, 0, 0x15];
export const GW_MAC = [0x52, 0x55, 10, 0, 2, 2];
export const GUEST4 = [10, 0, 2, 15];
export const GW4 = [10, 0, 2, 2];
export const DNS4 = [10, 0, 2, 3];
export const GUEST6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x15];
export const GW6 = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

function eth(type: number, dst = GW_MAC): number[] {
  return [...dst, ...GUEST_MAC, type >>> 8, type & 255];
}

export function ipv4(proto: number, src: number[], dst: number[], l4: number[]): Uint8Array {
  const total = 20 + l4.length;
  const f = new Uint8Array([...eth(0x0800), 0x45, 0, total >>> 8, total & 255, 0, 1, 0x40, 0, 64, proto, 0, 0, ...src, ...dst, ...l4]);
  fixChecksums(f);
  return f;
}

export function ipv6(next: number, src: number[], dst: number[], l4: number[], hop = 64): Uint8Array {
  const f = new Uint8Array([...eth(0x86dd), 0x60, 0, 0, 0, l4.length >>> 8, l4.length & 255, next, hop, ...src, ...dst, ...l4]);
  fixChecksums(f);
  return f;
}

export function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, window: number, opts: number[] = [], data: number[] = []): number[] {
  const hl = 20 + opts.length;
  return [
    sport >>> 8,
    sport & 255,
    dport >>> 8,
    dport & 255,
    seq >>> 24,
    (seq >>> 16) & 255,
    (seq >>> 8) & 255,
    seq & 255,
    ack >>> 24,
    (ack >>> 16) & 255,
    (ack >>> 8) & 255,
    ack & 255,
    (hl / 4) << 4,
    flags,
    window >>> 8,
    window & 255,
    0,
    0,
    0,
    0,
    ...opts,
    ...data,
  ];
}

export function udp(sport: number, dport: number, data: number[]): number[] {
  const l = 8 + data.length;
  return [sport >>> 8, sport & 255, dport >>> 8, dport & 255, l >>> 8, l & 255, 0, 0, ...data];
}

export function arpRequest(target: number[]): Uint8Array {
  return new Uint8Array([...eth(0x0806, [255, 255, 255, 255, 255, 255]), 0, 1, 8, 0, 6, 4, 0, 1, ...GUEST_MAC, ...GUEST4, 0, 0, 0, 0, 0, 0, ...target]);
}

export function dhcpDiscover(): Uint8Array {
  const b = new Array(240).fill(0);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  b[4] = 0x12;
  b[5] = 0x34;
  GUEST_MAC.forEach((x, i) => {
    b[28 + i] = x;
  });
  b[236] = 0x63;
  b[237] = 0x82;
  b[238] = 0x53;
  b[239] = 0x63;
  b.push(53, 1, 1, 55, 3, 1, 3, 6, 255);
  return ipv4(17, [0, 0, 0, 0], [255, 255, 255, 255], udp(68, 67, b));
}

/** Recomputes the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6 checksum when the
 *  (possibly mutated) headers still describe a packet inside the frame. */
export function fixChecksums(f: Uint8Array): void {
  if (f.length < 14) return;
  const type = be16(f, 12);
  if (type === 0x0800 && f.length >= 34 && u8(f, 14) >>> 4 === 4) {
    const ihl = (u8(f, 14) & 15) * 4;
    if (ihl < 20 || 14 + ihl > f.length) return;
    f[24] = 0;
    f[25] = 0;
    const c = checksum(f, 14, ihl);
    f[24] = c >>> 8;
    f[25] = c & 255;
    const total = be16(f, 16);
    if (total < ihl || 14 + total > f.length) return;
    fixL4(f, 4, u8(f, 23), 14 + ihl, total - ihl);
  } else if (type === 0x86dd && f.length >= 54) {
    const plen = be16(f, 18);
    if (54 + plen > f.length) return;
    fixL4(f, 6, u8(f, 20), 54, plen);
  }
}

function fixL4(f: Uint8Array, v: number, proto: number, off: number, len: number): void {
  const at = proto === 6 ? 16 : proto === 17 ? 6 : proto === 1 || proto === 58 ? 2 : -1;
  if (at < 0 || len < at + 2) return;
  f[off + at] = 0;
  f[off + at + 1] = 0;
  let acc = 0;
  if (proto !== 1) {
    acc = v === 4 ? sum16(f, 26, 8, 0) : sum16(f, 22, 32, 0);
    acc += proto + len;
  }
  let c = fold(sum16(f, off, len, acc));
  if (c === 0 && proto === 17) c = 0xffff;
  f[off + at] = c >>> 8;
  f[off + at + 1] = c & 255;
}

export function seeds(): Uint8Array[] {
  const mss = [2, 4, 0x05, 0xb4, 1, 3, 3, 7];
  return [
    arpRequest(GW4),
    dhcpDiscover(),
    ipv4(17, GUEST4, DNS4, udp(4000, 53, [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 116, 101, 115, 116, 0, 0, 1, 0, 1])),
    ipv4(17, GUEST4, GW4, udp(4001, 9, [1, 2, 3])),
    ipv4(6, GUEST4, GW4, tcp(40000, 9, 1000, 0, 0x02, 64240, mss)),
    ipv4(6, GUEST4, GW4, tcp(40000, 9, 1001, 5000, 0x18, 502, [], [104, 105])),
    ipv4(6, GUEST4, GW4, tcp(40000, 9, 1001, 5000, 0x11, 502)),
    ipv4(1, GUEST4, GW4, [8, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4]),
    ipv4(1, GUEST4, [192, 0, 2, 1], [8, 0, 0, 0, 0, 1, 0, 1]),
    ipv6(58, [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x15], [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], [133, 0, 0, 0, 0, 0, 0, 0], 255),
    ipv6(58, GUEST6, [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2], [135, 0, 0, 0, 0, 0, 0, 0, ...GW6, 1, 1, ...GUEST_MAC], 255),
    ipv6(58, GUEST6, GW6, [128, 0, 0, 0, 0, 7, 0, 1, 9, 9]),
    ipv6(6, GUEST6, GW6, tcp(40001, 9, 77, 0, 0x02, 64800, mss)),
    ipv6(17, GUEST6, GW6, udp(4002, 9, [1])),
  ];
}
