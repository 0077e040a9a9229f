// Port redirections in coLinux syntax (coLinux slirp/co_main.c parse_redir_param):
// "/"-separated "proto:hostport:guestport[:count]", proto tcp|udp (case-insensitive), extended
// here with an optional bind address after the protocol ("tcp:0.0.0.0:2222:22",
// "tcp:[::1]:2222:22"). The default bind address is 127.0.0.1, not coLinux's INADDR_ANY
// (exposing a guest service to the LAN should be explicit). The protocols tcp6|udp6 forward to
// the guest's IPv6 address instead of its IPv4 one ("tcp6:8080:80", colinux-ctl forward --v6).
import net from 'node:net';

export interface Redirection {
  proto: 'tcp' | 'udp';
  /** To the guest's IPv6 address (tcp6/udp6) rather than its IPv4 one. */
  v6: boolean;
  bind: string;
  hostPort: number;
  guestPort: number;
  count: number;
  text: string;
}

function port(text: string, entry: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`Error in redirection '${entry}': '${text}' is not a port`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new Error(`Error in redirection '${entry}': port ${n} is out of range`);
  return n;
}

export function parseRedirection(entry: string): Redirection {
  const m = /^(tcp|udp)(6?):(?:\[([^\]]+)\]:|([^:\d][^:]*|\d+\.\d+\.\d+\.\d+):)?([^:]+):([^:]+)(?::([^:]+))?$/i.exec(entry);
  if (!m || entry.length < 7) throw new Error(`Error in redirection '${entry}': expected tcp|udp|tcp6|udp6:[bind:]hostport:guestport[:count]`);
  const bind = m[3] ?? m[4] ?? '127.0.0.1';
  if (!net.isIP(bind)) throw new Error(`Error in redirection '${entry}': '${bind}' is not an IP address`);
  // Groups 1, 2, 5 and 6 are not optional: they are there when the pattern matched.
  const hostPort = port(m[5]!, entry);
  const guestPort = port(m[6]!, entry);
  const count = m[7] === undefined ? 1 : Number(m[7]);
  if (!/^\d*$/.test(m[7] ?? '') || !Number.isInteger(count) || count < 1) {
    throw new Error(`Error in redirection '${entry}': count must be a positive number`);
  }
  if (hostPort + count - 1 > 65535 || guestPort + count - 1 > 65535) {
    throw new Error(`Error in redirection '${entry}': port range runs past 65535`);
  }
  return { proto: m[1]!.toLowerCase() as 'tcp' | 'udp', v6: m[2] === '6', bind, hostPort, guestPort, count, text: entry };
}

export function parseRedirections(list: string): Redirection[] {
  return list
    .split('/')
    .filter((s) => s.length > 0)
    .map(parseRedirection);
}
