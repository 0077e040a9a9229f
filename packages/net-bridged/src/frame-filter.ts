// Which host frames belong to the guest. coLinux's bridged daemon installed the BPF filter
// `(ether dst <MAC>) or (multicast and not ether src <MAC>)` (docs/colinux.md#network-helpers); the same
// rule here, in code, keeps the guest from seeing its own frames echoed back and from seeing unicast
// traffic meant for other hosts when the NIC is promiscuous.
export function parseMac(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) return undefined;
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function isForGuest(frame: Uint8Array, mac: Uint8Array): boolean {
  if (frame.length < 14) return false;
  const multicast = (frame[0]! & 1) === 1; // I/G bit of the destination (IEEE 802-2014 8.2)
  if (multicast) {
    for (let i = 0; i < 6; i++) if (frame[6 + i] !== mac[i]) return true;
    return false;
  }
  for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return false;
  return true;
}
