export { SlirpStack } from './stack.ts';
export type { SlirpStackOptions } from './stack.ts';
export type { SlirpOptions, SlirpConfig } from './config.ts';
export { parseRedirection, parseRedirections } from './redirect.ts';
export type { Redirection } from './redirect.ts';
export type { RedirectResult } from './redirect-server.ts';
