export { runDaemon } from './daemon.ts';
export { expandAtFiles } from './cmdline/expand.ts';
export { tokenizeConfigText, type Token } from './cmdline/tokenize.ts';
export { parseSwitches } from './cmdline/switches.ts';
export { parseConfig, type DaemonConfig } from './config/build.ts';
export { parseElf64 } from './kernel/elf.ts';
export { planKernelLoad, loadKernel } from './kernel/image.ts';
export { helperSpecs } from './launch/commands.ts';
export { DaemonError } from './errors.ts';
