import { DaemonError, shown } from '../errors.ts';
import { parseMac, randomMac, splitFields } from './values.ts';

/** Options of the slirp helper that an `ethN=slirp,...` line may carry after the redirections. */
export interface SlirpOptions {
  restrict?: true;
  noHostLoopback?: true;
  mtu?: number;
}

export type NetDevice =
  | { unit: number; type: 'slirp'; mac: string; redirections?: string; options?: SlirpOptions }
  | { unit: number; type: 'tuntap'; mac: string; name?: string }
  | { unit: number; type: 'pcap-bridge'; mac: string; name?: string; promisc: boolean };

const HOST_ONLY = new Set(['ndis-bridge']);

/** `eth<N>=` (docs/colinux.md#keys). The first comma field must be exactly one of the transport words. */
export function parseEth(unit: number, raw: string, random?: () => number): NetDevice {
  const key = `eth${unit}`;
  const fields = splitFields(raw);
  const type = fields[0]!;
  const macField = (i: number): string => (fields[i] ? parseMac(key, fields[i]!) : randomMac(random));
  switch (type) {
    case 'slirp': {
      const redirections = fields[2] || undefined;
      if (redirections !== undefined) checkRedirections(key, redirections);
      const options = slirpOptions(key, raw, fields.slice(3));
      return { unit, type, mac: macField(1), ...(redirections ? { redirections } : {}), ...(options ? { options } : {}) };
    }
    case 'tuntap': {
      tooMany(key, raw, fields, 4);
      const name = fields[1] || undefined;
      if (name !== undefined) checkInterfaceName(key, name);
      // Field 3 (host IP) is parsed and ignored, as in coLinux.
      return { unit, type, mac: macField(2), ...(name ? { name } : {}) };
    }
    case 'pcap-bridge': {
      tooMany(key, raw, fields, 4);
      const name = fields[1] || undefined;
      if (name !== undefined) checkInterfaceName(key, name);
      const p = fields[3] ?? '';
      if (p !== '' && p !== 'promisc' && p !== 'nopromisc') {
        throw new DaemonError(`${key}=${raw}: pcap-bridge option ${shown(p)} must be 'promisc' or 'nopromisc'`);
      }
      return { unit, type, mac: macField(2), promisc: p !== 'nopromisc', ...(name ? { name } : {}) };
    }
    default:
      if (HOST_ONLY.has(type)) {
        throw new DaemonError(`${key}=${raw}: network type '${type}' is not available on this host (Windows only); use slirp, tuntap or pcap-bridge`);
      }
      throw new DaemonError(`${key}=${raw}: unsupported network transport type ${shown(type)}; supported types are: slirp, tuntap, pcap-bridge`);
  }
}

/** MTU bounds of the slirp helper (net-slirp args.ts): IPv6's minimum link MTU up to 65520. */
const MTU_MIN = 1280;
const MTU_MAX = 65520;

/**
 * Fields after the redirections, one keyword each, as pcap-bridge's `promisc`: `restrict` (no
 * outbound connections, only redirections), `no-host-loopback` (the gateway address does not
 * reach the host's loopback), `mtu=<bytes>`. The libslirp/QEMU option names.
 */
function slirpOptions(key: string, raw: string, words: string[]): SlirpOptions | undefined {
  const o: SlirpOptions = {};
  for (const w of words) {
    const mtu = /^mtu=(\d{1,5})$/.exec(w);
    if (w === 'restrict') o.restrict = true;
    else if (w === 'no-host-loopback') o.noHostLoopback = true;
    else if (mtu && Number(mtu[1]) >= MTU_MIN && Number(mtu[1]) <= MTU_MAX) o.mtu = Number(mtu[1]);
    else if (w.startsWith('mtu=')) throw new DaemonError(`${key}=${raw}: slirp option ${shown(w)}: the MTU must be ${MTU_MIN}..${MTU_MAX}`);
    else throw new DaemonError(`${key}=${raw}: unknown slirp option ${shown(w)}; expected restrict, no-host-loopback or mtu=<bytes>`);
  }
  return Object.keys(o).length ? o : undefined;
}

function tooMany(key: string, raw: string, fields: string[], max: number): void {
  if (fields.length > max) throw new DaemonError(`${key}=${raw}: too many comma-separated fields (at most ${max})`);
}

/** Linux interface names: 1..15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace. */
function checkInterfaceName(key: string, name: string): void {
  if (name.length > 15 || /[\s/:]/.test(name) || name === '.' || name === '..') {
    throw new DaemonError(`${key}: bad host interface name ${shown(name)}: 1..15 characters without '/', ':' or spaces`);
  }
}

/**
 * Slirp redirections, `proto:hostport:guestport[:count]` joined by `/` (docs/colinux.md#keys). coLinux left
 * the check to the helper, which aborted after the guest had started; checking here fails early.
 */
export function checkRedirections(key: string, list: string): void {
  for (const entry of list.split('/')) {
    const m = /^(tcp|udp):([0-9]{1,5}):([0-9]{1,5})(?::([0-9]{1,5}))?$/i.exec(entry);
    const host = Number(m?.[2]);
    const guest = Number(m?.[3]);
    const count = m?.[4] === undefined ? 1 : Number(m[4]);
    if (!m || count < 1 || host < 1 || guest < 1 || host + count - 1 > 65535 || guest + count - 1 > 65535) {
      throw new DaemonError(`${key}: error in redirection ${shown(entry)}: expected tcp|udp:<hostport>:<guestport>[:<count>] with ports 1..65535`);
    }
  }
}
