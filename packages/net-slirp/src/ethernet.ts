// Ethernet II framing (IEEE 802.3 clause 3): dst[6] src[6] ethertype[2].
export const ETH_HLEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Frames must be 14..65535 bytes (the bound passt enforces on its stream, passt tap.c). */
export const MIN_FRAME = 14;
export const MAX_FRAME = 65535;
/** The shortest frame on the wire without its frame check sequence (IEEE 802.3 3.2.8: 64 bytes
 *  with it); shorter frames to the guest are padded to this. */
export const MIN_ETHERNET = 60;
export const BROADCAST_MAC = new Uint8Array([255, 255, 255, 255, 255, 255]);

export function parseMac(text: string): Uint8Array {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(text);
  if (!m) throw new Error(`error parsing MAC address: ${text}`);
  return new Uint8Array(m.slice(1).map((h) => parseInt(h, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function writeEthernet(frame: Uint8Array, dst: Uint8Array, src: Uint8Array, type: number): void {
  frame.set(dst, 0);
  frame.set(src, 6);
  frame[12] = type >>> 8;
  frame[13] = type & 255;
}
