import { runDaemon } from './daemon.ts';

const code = await runDaemon(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; a handle some library left open must not keep the daemon alive.
setTimeout(() => process.exit(code), 1000).unref();
