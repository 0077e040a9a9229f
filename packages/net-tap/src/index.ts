export { TapDevice, forEachFrame } from './tap-device.ts';
export type { TapDeviceOptions } from './tap-device.ts';
export { parseTapArgs, runTapDaemon } from './main.ts';
