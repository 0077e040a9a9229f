import { runSerialDaemon } from './serial-daemon.ts';

const code = await runSerialDaemon(process.argv.slice(2));
process.exitCode = code;
setTimeout(() => process.exit(code), 500).unref();
