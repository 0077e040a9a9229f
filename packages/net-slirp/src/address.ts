// Address helpers: IPv4 as 4 bytes, IPv6 as 16 bytes, with text forms for keys and logs.
import net from 'node:net';
import { be16 } from './bytes.ts';

export function parseIpv4(text: string): Uint8Array {
  if (!net.isIPv4(text)) throw new Error(`'${text}' is not an IPv4 address`);
  return new Uint8Array(text.split('.').map(Number));
}

export function parseIpv6(text: string): Uint8Array {
  if (!net.isIPv6(text)) throw new Error(`'${text}' is not an IPv6 address`);
  let t = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(t)?.[1];
  if (dotted !== undefined) {
    // RFC 4291 2.2 form 3: the last 32 bits written as an IPv4 address
    const b = parseIpv4(dotted);
    t = `${t.slice(0, -dotted.length)}${be16(b, 0).toString(16)}:${be16(b, 2).toString(16)}`;
  }
  const [head, rest] = t.includes('::') ? t.split('::') : [t, undefined];
  const h = head
    ? head
        .split(':')
        .filter((s) => s !== '')
        .map((s) => parseInt(s, 16))
    : [];
  const r = rest
    ? rest
        .split(':')
        .filter((s) => s !== '')
        .map((s) => parseInt(s, 16))
    : [];
  const words = rest === undefined ? h : [...h, ...new Array(8 - h.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  words.slice(0, 8).forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 255;
  });
  return out;
}

export function parseIp(text: string): Uint8Array {
  return net.isIPv4(text) ? parseIpv4(text) : parseIpv6(text);
}

export function formatIp(a: Uint8Array): string {
  if (a.length === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(be16(a, i).toString(16));
  // Collapse the longest run of zero words (RFC 5952 4.2).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return w.join(':');
  return `${w.slice(0, best).join(':')}::${w.slice(best + bestLen).join(':')}`;
}

export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function inPrefix(a: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  if (a.length !== prefix.length) return false;
  const full = bits >>> 3;
  for (let i = 0; i < full; i++) if (a[i] !== prefix[i]) return false;
  const rem = bits & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return ((a[full] ?? 0) & mask) === ((prefix[full] ?? 0) & mask); // bits past the end compare as 0
}

/** "host:port", "[v6]:port" or a bare address (default port). */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (br) return { host: br[1]!, port: br[2] ? Number(br[2]) : defaultPort };
  if (net.isIP(text)) return { host: text, port: defaultPort };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m && net.isIPv4(m[1]!)) return { host: m[1]!, port: Number(m[2]) };
  throw new Error(`'${text}' is not an address or address:port`);
}
