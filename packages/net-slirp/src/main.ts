// colinux-slirp-net-daemon -i <id> -u <unit> [-r <redirections>] [--force] [options]
// Attaches CONET0+unit of the monitor and runs a SlirpStack on its frames (docs/
// colinux.md#network-helpers). Exits 0 when the monitor ends or another helper takes the unit over.
import { Calls, ForwardOp, ManagerError, Module, Rc, type ForwardCall } from '@colinux/protocol';
import { helperMain, type HelperSpec } from '@colinux/client/helper';
import { addSlirpOptions, parseSlirpOptions, type SlirpArgs } from './args.ts';
import { SlirpStack } from './stack.ts';
import { canonical, type RedirectResult } from './redirect-server.ts';
import { parseRedirection } from './redirect.ts';

const REBIND_TRIES = 20;
const REBIND_MS = 250;

export const slirpHelper: HelperSpec<SlirpArgs, SlirpStack> = {
  name: 'colinux-slirp-net-daemon',
  prefix: 'conet-slirp-daemon',
  description: 'user-mode TCP/IP (slirp) for a coLinux guest network unit',
  modules: { base: Module.CONET0, count: 16, unitHelp: 'network unit: attaches CONET0+unit' },
  // coLinux's slirp daemon words a bad unit its own way (src/colinux/user/slirp/co_main.c).
  words: { badUnit: (v) => `invalid index: -u ${v}` },
  options: { add: addSlirpOptions, parse: parseSlirpOptions },
  logLevel: (o) => (o.verbose ? 'debug' : 'info'),

  open({ args: { options: o }, log, client, module }) {
    const stack = new SlirpStack(
      {
        mtu: o.mtu,
        restrict: o.restrict,
        disableHostLoopback: !o.hostLoopback,
        ipv6: o.ipv6,
        dnsServers: o.dns,
        redirections: o.redirections,
        pcap: o.pcap,
        logger: log,
      },
      (frame) => client.send(module, frame),
    );
    // Run-time forwards (colinux-ctl forward): served from the attach on, since the manager
    // replays the unit's forwards to a new helper right away.
    client.serveCalls(Calls.FORWARD, (call) => forwardCall(stack, call));
    // Like QEMU's "info usernet": kill -USR1 <pid> logs counters and the connection table.
    process.on('SIGUSR1', () => log.info({ stats: stack.stats(), tcp: stack.tcp.describe() }, 'state'));
    return stack;
  },

  async started(stack, { args, log, module }) {
    // A helper restarted with --force may start before the one it replaces has let go of the
    // redirected ports: then ports in use are retried for a few seconds before being reported.
    const inUse = (r: RedirectResult): boolean => r.error?.includes('EADDRINUSE') ?? false;
    let results = await stack.redirects.start(args.options.redirections, { quiet: true });
    for (let i = 0; args.force && i < REBIND_TRIES && results.some(inUse); i++) {
      await new Promise((r) => setTimeout(r, REBIND_MS));
      results = [
        ...results.filter((r) => !r.error),
        ...(await stack.redirects.retry(
          results.filter((r) => r.error),
          false,
        )),
      ];
    }
    for (const r of results) if (r.error) log.error(`slirp redir ${r.proto}:${r.bind}:${r.hostPort}:${r.guestPort} failed: ${r.error}`);
    log.info(
      { monitor: args.id, module, mtu: args.options.mtu, restrict: args.options.restrict, redirections: results.filter((r) => !r.error).length },
      'running',
    );
  },

  onGuest: (stack, frame) => stack.input(frame),
  stats: (stack) => ({ stats: stack.stats() }),
  close: (stack) => stack.close(),
};

/** One FORWARD call: list, add or remove a redirection; the answer is canonical text. */
async function forwardCall(stack: SlirpStack, c: ForwardCall): Promise<string> {
  if (c.op === ForwardOp.LIST)
    return stack.redirects
      .list()
      .map((l) => `${l.forward} ${l.origin}`)
      .join('\n');
  let r;
  try {
    r = parseRedirection(c.spec);
  } catch (e) {
    throw new ManagerError(Rc.INVALID_PARAMETER, (e as Error).message);
  }
  if (r.count !== 1) throw new ManagerError(Rc.INVALID_PARAMETER, `forward '${c.spec}': one port at a time`);
  if (c.op === ForwardOp.REMOVE) {
    const gone = stack.redirects.remove(r);
    if (!gone) throw new ManagerError(Rc.NOT_FOUND, `no forward of ${r.proto} ${r.bind} port ${r.hostPort}`);
    return canonical(gone);
  }
  const [res] = await stack.redirects.add(r);
  if (res!.error) throw new ManagerError(Rc.ERROR, `slirp redir ${canonical(res!)} failed: ${res!.error}`);
  return canonical(res!);
}

if (import.meta.main || process.argv[1]?.endsWith('colinux-slirp-net-daemon.js')) await helperMain(slirpHelper);
