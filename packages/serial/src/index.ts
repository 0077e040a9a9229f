export { runSerialDaemon } from './serial-daemon.ts';
export { parseSerialArgs, sttyWords } from './args.ts';
