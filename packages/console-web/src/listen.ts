// --listen <host>:<port>: loopback unless the user says otherwise. Anyone who can reach the port
// and has the token can type into the guest, so a non-loopback address needs --allow-remote.
import net from 'node:net';

export const DEFAULT_LISTEN = '127.0.0.1:0';

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:0` (port 0: any free port). Throws one line. */
export function parseListen(spec: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(spec);
  if (!m) throw new Error(`--listen '${spec}': expected <host>:<port>, e.g. 127.0.0.1:8080 or [::1]:8080`);
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--listen '${spec}': port ${port} is beyond 65535`);
  if (m[1] !== undefined && net.isIPv6(host) === false) throw new Error(`--listen '${spec}': '${host}' is not an IPv6 address`);
  return { host, port, loopback: isLoopback(host) };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/** The host part of a URL for `address` (IPv6 in brackets). */
export function urlHost(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}
