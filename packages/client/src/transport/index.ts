import { netTransport } from './net.ts';
import { nodeIpcTransport } from './node-ipc.ts';
import type { Transport, TransportName } from './types.ts';

export type { Connection, Transport, TransportName, TransportServer } from './types.ts';
export { netTransport, nodeIpcTransport };

/** `name`, else COLINUX_TRANSPORT, else node-ipc (the project's chosen transport). */
export function selectTransport(name?: TransportName, env: NodeJS.ProcessEnv = process.env): Transport {
  const chosen = name ?? env.COLINUX_TRANSPORT ?? 'node-ipc';
  if (chosen === 'net') return netTransport;
  if (chosen === 'node-ipc') return nodeIpcTransport;
  throw new Error(`COLINUX_TRANSPORT='${chosen}': expected 'node-ipc' or 'net'`);
}
