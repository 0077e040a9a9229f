import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';

/**
 * pino logger on stderr: JSON lines when stderr is not a terminal (CI, files, other programs), and a
 * one-line human form `colinux-daemon: <msg> key=value ...` on a terminal. Level from -v:
 * 0 -> info, 1..2 -> debug, 3+ -> trace; COLINUX_LOG_LEVEL overrides.
 */
export function createLogger(name: string, verbose = 0, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.COLINUX_LOG_LEVEL ?? (verbose >= 3 ? 'trace' : verbose >= 1 ? 'debug' : 'info');
  if (!process.stderr.isTTY) return pino({ name, level, base: { name, pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  const human = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        const { msg, level: lvl, time: _t, name: n, pid: _p, hostname: _h, ...rest } = JSON.parse(chunk.toString()) as Record<string, unknown>;
        const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
        const tag = typeof lvl === 'number' && lvl >= 50 ? 'error: ' : typeof lvl === 'number' && lvl >= 40 ? 'warning: ' : '';
        process.stderr.write(`${String(n)}: ${tag}${String(msg ?? '')}${extra ? ` (${extra})` : ''}\n`);
      } catch {
        process.stderr.write(chunk);
      }
      done();
    },
  });
  return pino({ name, level, base: { name } }, human);
}
