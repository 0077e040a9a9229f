import { execFileSync } from 'node:child_process';
import type { ModuleId } from '@colinux/protocol';
import { type ManagerClient } from '@colinux/client';
import type { HelperSpec } from '@colinux/client/helper';
import { serialCommandLine, type SerialOptions } from './args.ts';
import { openHostPort, stdioPort, type HostPort } from './host-port.ts';

/** coLinux's guest driver chunks serial writes by 1000 bytes (docs/colinux.md#serial-bytes); so do we towards the guest. */
const CHUNK = 1000;
/** Ctrl-] ends an interactive (stdio) session, the same detach key as colinux-console-nt. */
const DETACH_KEY = 0x1d;

/**
 * colinux-serial-daemon (docs/colinux.md#serial-helper): attaches SERIAL0+unit of monitor `-i` and shuttles bytes
 * between the guest's /dev/ttyS<unit> and a host port. Exits 0 when the monitor ends or the unit is
 * taken over by a copy started with --force; 1 on errors.
 */
export const serialHelper: HelperSpec<SerialOptions, HostPort> = {
  ...serialCommandLine,
  // stdin may be a terminal in raw mode: readable log lines end in CR LF.
  rawTerminal: true,

  async open({ args: { options: o } }) {
    let port: HostPort;
    try {
      port = o.device === undefined ? stdioPort() : await openHostPort(o.device);
    } catch (err) {
      throw new Error(`-f ${o.device}: cannot open: ${(err as Error).message}`);
    }
    if (o.stty !== undefined) {
      try {
        applyMode(port, o, o.stty);
      } catch (err) {
        port.close();
        throw err;
      }
    }
    return port;
  },

  started(port, { args, log, client, module, stop }) {
    port.input?.on('data', (chunk: Buffer) => {
      if (port.kind === 'stdio' && port.isTerminal && chunk.includes(DETACH_KEY)) {
        const before = chunk.subarray(0, chunk.indexOf(DETACH_KEY));
        if (before.length) sendChunks(client, module, before);
        stop(0, 'detached (Ctrl-])');
        return;
      }
      sendChunks(client, module, chunk);
    });
    // stdin at EOF (a pipe that ended) just stops input; the port stays attached for output.
    port.input?.on('error', (err: Error) => log.warn({ err: err.message }, 'host input error'));
    port.output.on('error', (err: Error) => log.warn({ err: err.message }, 'host output error'));
    log.info({ id: args.id, device: args.options.device ?? 'stdio' }, `${serialCommandLine.name}: running`);
  },

  onGuest: (port, data) => {
    port.output.write(data);
  },
  close: (port) => port.close(),
};

function sendChunks(client: ManagerClient, module: ModuleId, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += CHUNK) client.send(module, bytes.subarray(at, at + CHUNK));
}

/** `-m`: stty on a terminal; on anything else one warning line. Throws when stty refuses. */
function applyMode(port: HostPort, o: SerialOptions, words: string[]): void {
  if (!port.isTerminal || port.kind === 'stdio') {
    process.stderr.write(`${serialCommandLine.name}: warning: -m '${o.mode}' ignored: ${o.device ?? 'stdin'} is not a serial terminal\n`);
    return;
  }
  if (words.length === 0) return;
  try {
    execFileSync('stty', ['-F', o.device!, ...words], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`error in mode parameter '${o.mode}': stty: ${stderr || (err as Error).message}`);
  }
}
