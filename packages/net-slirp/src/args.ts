// The options of colinux-slirp-net-daemon beyond the shared -i/-u/--force (runHelper,
// @colinux/client/helper): coLinux's -r redirections, and this implementation's own.
import type { Command } from 'commander';
import { UsageError } from '@colinux/client/helper';
import { parseRedirections, type Redirection } from './redirect.ts';

export interface SlirpArgs {
  redirections: Redirection[];
  mtu: number;
  restrict: boolean;
  hostLoopback: boolean;
  ipv6: boolean;
  pcap?: string;
  dns?: string[];
  verbose: boolean;
}

export function addSlirpOptions(cmd: Command): Command {
  return cmd
    .option('-r, --redirections <list>', "port redirections 'tcp|udp:[bind:]hostport:guestport[:count]', '/'-separated")
    .option('--mtu <bytes>', 'MTU announced by DHCP and router advertisements (1280..65520)', '1500')
    .option('--restrict', 'no outbound connections: only redirections reach the guest')
    .option('--no-host-loopback', 'the gateway address does not reach the host loopback')
    .option('--no-ipv6', 'no IPv6 (NDP, router advertisements, v6 NAT)')
    .option('--dns <servers>', 'host DNS servers to forward to (comma-separated, ip[:port]); default resolv.conf')
    .option('--pcap <file>', 'capture the guest side to a pcap file')
    .option('-v, --verbose', 'debug logging');
}

export function parseSlirpOptions(o: Record<string, unknown>): SlirpArgs {
  const mtu = Number(o.mtu);
  if (!Number.isInteger(mtu) || mtu < 1280 || mtu > 65520) throw new UsageError(`--mtu ${String(o.mtu)}: must be 1280..65520`);
  return {
    redirections: typeof o.redirections === 'string' ? parseRedirections(o.redirections) : [],
    mtu,
    restrict: o.restrict === true,
    hostLoopback: o.hostLoopback !== false,
    ipv6: o.ipv6 !== false,
    pcap: typeof o.pcap === 'string' ? o.pcap : undefined,
    dns: typeof o.dns === 'string' ? o.dns.split(',').filter(Boolean) : undefined,
    verbose: o.verbose === true,
  };
}
