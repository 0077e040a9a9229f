// Command line of colinux-slirp-net-daemon (docs/colinux.md#network-helpers), with the coLinux error
// texts for a missing or bad -i/-u, plus this implementation's options.
import { Command, CommanderError } from 'commander';
import { parseRedirections, type Redirection } from './redirect.ts';

export interface SlirpArgs {
  id: number; unit: number; redirections: Redirection[]; force: boolean;
  mtu: number; restrict: boolean; hostLoopback: boolean; ipv6: boolean;
  pcap?: string; dns?: string[]; verbose: boolean;
}

export class UsageError extends Error {}

export function parseSlirpArgs(argv: readonly string[]): SlirpArgs | { help: string } {
  const cmd = new Command('colinux-slirp-net-daemon')
    .description('user-mode TCP/IP (slirp) for a coLinux guest network unit')
    .option('-i, --id <id>', 'monitor id (the colinux-daemon pid) to attach to')
    .option('-u, --unit <unit>', 'network unit: attaches CONET0+unit (0..15)')
    .option('-r, --redirections <list>', "port redirections 'tcp|udp:[bind:]hostport:guestport[:count]', '/'-separated")
    .option('--force', 'take the unit over from a helper already attached')
    .option('--mtu <bytes>', 'MTU announced by DHCP and router advertisements (1280..65520)', '1500')
    .option('--restrict', 'no outbound connections: only redirections reach the guest')
    .option('--no-host-loopback', 'the gateway address does not reach the host loopback')
    .option('--no-ipv6', 'no IPv6 (NDP, router advertisements, v6 NAT)')
    .option('--dns <servers>', 'host DNS servers to forward to (comma-separated, ip[:port]); default resolv.conf')
    .option('--pcap <file>', 'capture the guest side to a pcap file')
    .option('-v, --verbose', 'debug logging')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .helpOption('-h, --help', 'this help');
  try {
    cmd.parse(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') return { help: cmd.helpInformation() };
    throw new UsageError((e as Error).message.replace(/^error: /, ''));
  }
  const o = cmd.opts<Record<string, string | boolean | undefined>>();
  if (o.unit === undefined) throw new UsageError('device index not specified');
  if (o.id === undefined) throw new UsageError('coLinux instance not specified');
  const unit = Number(o.unit);
  if (!/^\d+$/.test(String(o.unit)) || unit >= 16) throw new UsageError(`invalid index: -u ${String(o.unit)}`);
  if (!/^\d+$/.test(String(o.id))) throw new UsageError(`invalid instance id: -i ${String(o.id)}`);
  const mtu = Number(o.mtu);
  if (!Number.isInteger(mtu) || mtu < 1280 || mtu > 65520) throw new UsageError(`--mtu ${String(o.mtu)}: must be 1280..65520`);
  return {
    id: Number(o.id), unit,
    redirections: typeof o.redirections === 'string' ? parseRedirections(o.redirections) : [],
    force: o.force === true, mtu, restrict: o.restrict === true,
    hostLoopback: o.hostLoopback !== false, ipv6: o.ipv6 !== false,
    pcap: typeof o.pcap === 'string' ? o.pcap : undefined,
    dns: typeof o.dns === 'string' ? o.dns.split(',').filter(Boolean) : undefined,
    verbose: o.verbose === true,
  };
}
