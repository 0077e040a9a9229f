// Device warnings (a guest that broke a virtqueue, …) as pino JSON on stderr, like the manager's
// log. pino is loaded at the first warning, synchronously (the worker thread never returns to its
// event loop, so a dynamic import would never finish): most guests never cause one, and pino
// costs each worker about 2.5 MB.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

export function deviceLog(monitorId: number): (message: string) => void {
  let logger: Logger | undefined;
  return (message) => {
    if (!logger) {
      const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default;
      logger = pino({ name: 'colinux-machine', base: { monitor: monitorId } }, pino.destination({ fd: 2, sync: true }));
    }
    logger.warn(message);
  };
}
