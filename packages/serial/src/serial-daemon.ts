import { execFileSync } from 'node:child_process';
import { ManagerError, Module } from '@colinux/protocol';
import { ManagerClient } from '@colinux/client';
import { ExitStatus } from '@colinux/client/cli';
import { parseSerialArgs, sttyWords, UsageError, type SerialArgs } from './args.ts';
import { openHostPort, stdioPort, type HostPort } from './host-port.ts';
import { createLogger } from './log.ts';

const NAME = 'colinux-serial-daemon';
/** coLinux's guest driver chunks serial writes by 1000 bytes (docs/colinux.md#serial-bytes); so do we towards the guest. */
const CHUNK = 1000;
/** Ctrl-] ends an interactive (stdio) session, the same detach key as colinux-console-nt. */
const DETACH_KEY = 0x1d;

/**
 * colinux-serial-daemon (docs/colinux.md#serial-helper): attaches SERIAL0+unit of monitor `-i` and shuttles bytes
 * between the guest's /dev/ttyS<unit> and a host port. Exits 0 when the monitor ends or the unit is
 * taken over by a copy started with --force; 1 on errors.
 */
export async function runSerialDaemon(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: SerialArgs;
  try {
    const parsed = parseSerialArgs(argv);
    if ('help' in parsed) {
      process.stdout.write(parsed.help);
      return 0;
    }
    args = parsed;
  } catch (err) {
    process.stderr.write(`${NAME}: ${(err as Error).message}\n`);
    return ExitStatus.USAGE;
  }
  const log = createLogger(NAME, { unit: args.unit });
  const module = Module.SERIAL0 + args.unit;

  let port: HostPort;
  try {
    port = args.device === undefined ? stdioPort() : await openHostPort(args.device);
  } catch (err) {
    process.stderr.write(`${NAME}: -f ${args.device}: cannot open: ${(err as Error).message}\n`);
    return 1;
  }
  if (args.mode !== undefined) {
    const problem = applyMode(port, args);
    if (problem) {
      process.stderr.write(`${NAME}: ${problem}\n`);
      if (problem.startsWith('error')) {
        port.close();
        return 1;
      }
    }
  }

  let client: ManagerClient;
  try {
    client = await ManagerClient.connect({ env });
    await client.attach(args.id, [module], { force: args.force });
  } catch (err) {
    port.close();
    const why = err instanceof ManagerError ? err.message : `cannot reach the manager: ${(err as Error).message}`;
    process.stderr.write(`${NAME}: monitor ${args.id} unit ${args.unit}: ${why}\n`);
    return 1;
  }
  log.info({ id: args.id, device: args.device ?? 'stdio' }, `${NAME}: running`);

  return await new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number, why: string): void => {
      if (done) return;
      done = true;
      log.info({ why }, 'exiting');
      port.close();
      void client.close().then(() => resolve(code));
    };
    client.on('message', (m: { to: number; data: Uint8Array }) => {
      if (m.to === module) port.output.write(m.data);
    });
    client.on('end', (cause: string, detail?: string) => {
      if (cause === 'taken-over') finish(0, `taken-over: ${detail ?? 'another helper attached this unit with --force'}`);
      else if (cause === 'monitor-closed') finish(0, 'monitor closed');
      else finish(1, `lost the manager: ${detail ?? 'disconnected'}`);
    });
    port.input?.on('data', (chunk: Buffer) => {
      if (port.kind === 'stdio' && port.isTerminal && chunk.includes(DETACH_KEY)) {
        const before = chunk.subarray(0, chunk.indexOf(DETACH_KEY));
        if (before.length) sendChunks(client, module, before);
        finish(0, 'detached (Ctrl-])');
        return;
      }
      sendChunks(client, module, chunk);
    });
    // stdin at EOF (a pipe that ended) just stops input; the port stays attached for output.
    port.input?.on('error', (err: Error) => log.warn({ err: err.message }, 'host input error'));
    port.output.on('error', (err: Error) => log.warn({ err: err.message }, 'host output error'));
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => finish(0, sig));
  });
}

function sendChunks(client: ManagerClient, module: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += CHUNK) client.send(module, bytes.subarray(at, at + CHUNK));
}

/** `-m`: stty on a terminal; on anything else one warning line (returned text without 'error'). */
function applyMode(port: HostPort, args: SerialArgs): string | undefined {
  let words: string[];
  try {
    words = sttyWords(args.mode!);
  } catch (err) {
    return `${(err as UsageError).message}`;
  }
  if (!port.isTerminal || port.kind === 'stdio') return `warning: -m '${args.mode}' ignored: ${args.device ?? 'stdin'} is not a serial terminal`;
  if (words.length === 0) return undefined;
  try {
    execFileSync('stty', ['-F', args.device!, ...words], { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return `error in mode parameter '${args.mode}': stty: ${stderr || (err as Error).message}`;
  }
}
