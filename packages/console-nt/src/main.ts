// colinux-console-nt: the text console (docs/colinux.md#console): -a <id>, -p <pidfile>, or the most
// recent monitor; Ctrl-] (or -e) opens the menu; detaching ends the program with status 0.
import { Command } from 'commander';
import type { TransportName } from '@colinux/client';
import { ExitStatus, usageErrorsOneLine } from '@colinux/client/cli';
import { ConsoleFailure, runConsole } from './console.ts';
import { parseEscapeKey } from './escape-key.ts';

const program = usageErrorsOneLine(
  new Command('colinux-console-nt')
    .description('attach this terminal to the console of a running coLinux monitor')
    .option('-a <id>', 'attach to monitor <id> (the PID colinux-daemon printed)')
    .option('-p <pidfile>', 'read the monitor id from a file written by colinux-daemon -p')
    .option('-n <name>', 'attach to the VM installed as service <name> (colinux-daemon --install-service)')
    .option('-e <key>', 'escape key that opens the menu', '^]')
    .option('--force', 'take the console over from another console')
    .option('--read-only', 'watch only: nothing typed reaches the guest')
    .option('--transport <name>', "'node-ipc' (default) or 'net'"),
  'colinux-console-nt',
);

program.parse();
const o = program.opts<{ a?: string; p?: string; n?: string; e: string; force?: boolean; readOnly?: boolean; transport?: TransportName }>();

function fail(line: string, status: number = ExitStatus.FAILURE): never {
  process.stderr.write(`colinux-console-nt: ${line}\n`);
  process.exit(status);
}

let id: number | undefined;
if (o.a !== undefined) {
  if (!/^\d+$/.test(o.a)) fail(`-a '${o.a}': the monitor id must be a number (usage: colinux-console-nt [-a id | -p pidfile])`, ExitStatus.USAGE);
  id = Number(o.a);
}
let escapeByte = 0x1d;
try {
  escapeByte = parseEscapeKey(o.e);
} catch (err) {
  fail((err as Error).message, ExitStatus.USAGE);
}

runConsole({ id, pidFile: o.p, service: o.n, escapeByte, force: Boolean(o.force), readOnly: Boolean(o.readOnly), transport: o.transport }).then(
  (code) => process.exit(code),
  (err: Error) => fail(err instanceof ConsoleFailure ? err.message : `unexpected error: ${err.stack ?? err.message}`),
);
