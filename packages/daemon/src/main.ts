import { runDaemon } from './daemon.ts';

// A closed stdout (`colinux-daemon ... | head`) must not kill the owner of a running guest.
process.stdout.on('error', () => undefined);
const code = await runDaemon(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; a handle some library left open must not keep the daemon alive.
setTimeout(() => process.exit(code), 1000).unref();
