export { serialHelper } from './serial-daemon.ts';
export { parseSerialArgs, sttyWords } from './args.ts';
