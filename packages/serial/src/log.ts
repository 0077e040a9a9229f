import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';

/**
 * pino on stderr: JSON lines for programs and files; on a terminal one readable line per record,
 * ended with CR LF because stdin may have put the terminal in raw mode (no output post-processing).
 */
export function createLogger(name: string, bindings: Record<string, unknown>): Logger {
  const level = process.env.COLINUX_LOG_LEVEL ?? 'info';
  if (!process.stderr.isTTY) return pino({ name, level, base: { name, pid: process.pid, ...bindings } }, pino.destination({ fd: 2, sync: true }));
  const human = new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        const { msg, level: lvl, why } = JSON.parse(chunk.toString()) as { msg?: string; level?: number; why?: string };
        const tag = (lvl ?? 0) >= 50 ? 'error: ' : (lvl ?? 0) >= 40 ? 'warning: ' : '';
        const text = msg?.startsWith(`${name}: `) ? msg.slice(name.length + 2) : (msg ?? '');
        process.stderr.write(`${name}: ${tag}${text}${why ? ` (${why})` : ''}\r\n`);
      } catch {
        process.stderr.write(chunk);
      }
      done();
    },
  });
  return pino({ name, level, base: { name, ...bindings } }, human);
}
