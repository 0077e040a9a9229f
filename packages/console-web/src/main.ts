// colinux-console-web: the console in a browser. Attaches like colinux-console-nt (-a, -p, the
// most recent monitor; --force, --read-only), serves a page with xterm.js on loopback and prints
// its URL with a fresh access token. Ends (status 0) on detach, when the monitor ends, or on a signal.
import { Command } from 'commander';
import type { TransportName } from '@colinux/client';
import { ExitStatus, usageErrorsOneLine } from '@colinux/client/cli';
import { ConsoleFailure, attachConsole, parseEscapeKey } from '@colinux/console-nt';
import { PageServer, newToken } from './http-server.ts';
import { DEFAULT_LISTEN, parseListen, urlHost } from './listen.ts';
import { WebConsole } from './web-console.ts';

const NAME = 'colinux-console-web';
/** After telling the tabs, how long their close frames get before the server goes. */
const CLOSE_GRACE_MS = 300;

const program = usageErrorsOneLine(
  new Command(NAME)
    .description('show the console of a running coLinux monitor in a web browser')
    .option('-a <id>', 'attach to monitor <id> (the PID colinux-daemon printed)')
    .option('-p <pidfile>', 'read the monitor id from a file written by colinux-daemon -p')
    .option('-n <name>', 'attach to the VM installed as service <name> (colinux-daemon --install-service)')
    .option('--listen <host:port>', 'address of the page (port 0: any free port)', DEFAULT_LISTEN)
    .option('--allow-remote', 'allow a --listen address that is not loopback')
    .option('-e <key>', 'escape key that opens the menu from the keyboard', '^]')
    .option('--force', 'take the console over from another console')
    .option('--read-only', 'watch only: nothing typed reaches the guest')
    .option('--transport <name>', "'node-ipc' (default) or 'net'"),
  NAME,
);

program.parse();
const o = program.opts<{
  a?: string;
  p?: string;
  n?: string;
  listen: string;
  allowRemote?: boolean;
  e: string;
  force?: boolean;
  readOnly?: boolean;
  transport?: TransportName;
}>();

function say(line: string): void {
  process.stderr.write(`${NAME}: ${line}\n`);
}

function fail(line: string, status: number = ExitStatus.FAILURE): never {
  say(line);
  process.exit(status);
}

let id: number | undefined;
if (o.a !== undefined) {
  if (!/^\d+$/.test(o.a)) fail(`-a '${o.a}': the monitor id must be a number (usage: ${NAME} [-a id | -p pidfile])`, ExitStatus.USAGE);
  id = Number(o.a);
}
let escapeByte = 0;
let listen = parseListen(DEFAULT_LISTEN);
try {
  escapeByte = parseEscapeKey(o.e);
  listen = parseListen(o.listen);
} catch (err) {
  fail((err as Error).message, ExitStatus.USAGE);
}
if (!listen.loopback && !o.allowRemote) {
  fail(
    `--listen ${o.listen}: not a loopback address; anyone who reaches it with the token can type into the guest (add --allow-remote if that is what you want)`,
    ExitStatus.USAGE,
  );
}

async function main(): Promise<number> {
  const readOnly = Boolean(o.readOnly);
  const { client, id: monitor } = await attachConsole({ id, pidFile: o.p, service: o.n, force: Boolean(o.force), readOnly, transport: o.transport });
  const web = new WebConsole(client, monitor, { readOnly, escapeByte, log: say });
  const token = newToken();
  const server = new PageServer({ token, onTab: (ws) => web.addTab(ws), log: say });
  let port: number;
  try {
    port = await server.listen(listen.host, listen.port);
  } catch (err) {
    await client.closeMonitor().catch(() => {});
    await client.close();
    throw new ConsoleFailure(`--listen ${o.listen}: ${(err as Error).message}`);
  }
  if (!listen.loopback) say(`listening on ${urlHost(listen.host, port)}, which is not loopback (--allow-remote): keep the URL's token secret`);
  process.stdout.write(`http://${urlHost(listen.host, port)}/?token=${token}\n`);

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => web.detach(sig));
  const { code, line } = await web.done;
  say(line);
  await client.close();
  await new Promise((r) => setTimeout(r, CLOSE_GRACE_MS));
  await server.close();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => fail(err instanceof ConsoleFailure ? err.message : `unexpected error: ${err.stack ?? err.message}`),
);
