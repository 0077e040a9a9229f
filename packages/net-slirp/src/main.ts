// colinux-slirp-net-daemon -i <id> -u <unit> [-r <redirections>] [--force] [options]
// Attaches CONET0+unit of the monitor and runs a SlirpStack on its frames (docs/
// colinux.md#network-helpers). Exits 0 when the monitor ends or another helper takes the unit over.
import { pino } from 'pino';
import { ControlIoctl, ForwardOp, ManagerError, Module, Rc, decodeForwardCall } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { ExitStatus } from '@colinux/client/cli';
import { parseSlirpArgs, type SlirpArgs } from './args.ts';
import { SlirpStack } from './stack.ts';
import { canonical, type RedirectResult } from './redirect-server.ts';
import { parseRedirection } from './redirect.ts';

const NAME = 'conet-slirp-daemon';
const REBIND_TRIES = 20;
const REBIND_MS = 250;

export async function runSlirpDaemon(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: SlirpArgs;
  try {
    const parsed = parseSlirpArgs(argv);
    if ('help' in parsed) { process.stdout.write(parsed.help); return 0; }
    args = parsed;
  } catch (e) {
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
    return ExitStatus.USAGE;
  }
  const log = pino({ name: NAME, level: args.verbose ? 'debug' : 'info', base: { name: NAME, pid: process.pid, unit: args.unit } },
    pino.destination({ fd: 2, sync: true }));
  const module = Module.CONET0 + args.unit;

  let stackStarted!: (s: SlirpStack) => void;
  const stackReady = new Promise<SlirpStack>((resolve) => (stackStarted = resolve));
  let client: ManagerClient | undefined;
  try {
    client = await ManagerClient.connect({ env });
    // Run-time forwards (colinux-ctl forward): served from the attach on, since the manager
    // replays the unit's forwards to a new helper right away; answered once the stack runs.
    client.serveCalls(ControlIoctl.FORWARD, async (body) => forwardCall(await stackReady, decodeForwardCall(body)));
    await client.attach(args.id, [module], { force: args.force });
  } catch (e) {
    await client?.close();
    const why = e instanceof ManagerError ? e.message : `cannot reach the manager: ${(e as Error).message}`;
    process.stderr.write(`${NAME}: monitor ${args.id} unit ${args.unit}: ${why}\n`);
    return 1;
  }

  let stack: SlirpStack;
  try {
    stack = new SlirpStack({
      mtu: args.mtu, restrict: args.restrict, disableHostLoopback: !args.hostLoopback, ipv6: args.ipv6,
      dnsServers: args.dns, redirections: args.redirections, pcap: args.pcap, logger: log,
    }, (frame) => client!.send(module, frame));
  } catch (e) {
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
    await client.close();
    return 1;
  }
  client.on('message', (m) => { if (m.from === Module.LINUX) stack.input(m.data); });
  stackStarted(stack);
  // Like QEMU's "info usernet": kill -USR1 <pid> logs counters and the connection table.
  process.on('SIGUSR1', () => log.info({ stats: stack.stats(), tcp: stack.tcp.describe() }, 'state'));

  const done = new Promise<number>((resolve) => {
    client.on('end', (reason, detail) => {
      log.info({ reason, detail, stats: stack.stats() }, reason === 'taken-over' ? 'unit taken over by another helper' : 'monitor ended');
      resolve(0);
    });
    const stop = (sig: string): void => { log.info({ signal: sig, stats: stack.stats() }, 'stopping'); resolve(0); };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  // A helper restarted with --force may start before the one it replaces has let go of the
  // redirected ports: then ports in use are retried for a few seconds before being reported.
  const inUse = (r: RedirectResult): boolean => r.error?.includes('EADDRINUSE') ?? false;
  let results = await stack.redirects.start(args.redirections, { quiet: true });
  for (let i = 0; args.force && i < REBIND_TRIES && results.some(inUse); i++) {
    await new Promise((r) => setTimeout(r, REBIND_MS));
    results = [...results.filter((r) => !r.error), ...await stack.redirects.retry(results.filter((r) => r.error), false)];
  }
  for (const r of results) if (r.error) log.error(`slirp redir ${r.proto}:${r.bind}:${r.hostPort}:${r.guestPort} failed: ${r.error}`);
  log.info({ monitor: args.id, module, mtu: args.mtu, restrict: args.restrict, redirections: results.filter((r) => !r.error).length }, 'running');

  const code = await done;
  stack.close();
  await client.close();
  return code;
}

/** One FORWARD call: list, add or remove a redirection; the answer is canonical text. */
async function forwardCall(stack: SlirpStack, c: { op: number; spec: string }): Promise<string> {
  if (c.op === ForwardOp.LIST) return stack.redirects.list().map((l) => `${l.forward} ${l.origin}`).join('\n');
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

if (import.meta.main || process.argv[1]?.endsWith('colinux-slirp-net-daemon.js')) {
  // Exit explicitly: host sockets of guest connections must not keep a finished helper alive.
  process.exit(await runSlirpDaemon(process.argv.slice(2)));
}
