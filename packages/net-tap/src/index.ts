export { TapDevice, forEachFrame } from './tap-device.ts';
export type { TapDeviceOptions } from './tap-device.ts';
export { tapHelper } from './main.ts';
