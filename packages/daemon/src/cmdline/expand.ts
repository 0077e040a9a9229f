import { readFileSync, statSync } from 'node:fs';
import { DaemonError, shown } from '../errors.ts';
import { tokenizeConfigText, type Token } from './tokenize.ts';

export type ReadText = (path: string) => string;

const MAX_DEPTH = 8;
const MAX_FILE_BYTES = 1 << 20;

/**
 * Replaces every `@file` token, at its position, by the file's tokens (docs/colinux.md#config-files). Paths are
 * taken literally, relative to the current directory, as coLinux does. Unlike coLinux an `@file`
 * inside a file is expanded too (with a depth limit and a cycle check), so a file can include a
 * shared base configuration.
 */
export function expandAtFiles(argv: readonly string[], readText: ReadText = defaultRead): Token[] {
  const out: Token[] = [];
  let nextSource = 1;
  const visit = (tokens: readonly Token[], chain: readonly string[]): void => {
    for (const token of tokens) {
      if (!token.text.startsWith('@')) {
        out.push(token);
        continue;
      }
      const path = token.text.slice(1);
      if (path === '') throw new DaemonError(`error loading config file '' (${token.origin}): '@' needs a file name`);
      if (chain.includes(path)) throw new DaemonError(`error loading config file ${shown(path)}: it includes itself (${token.origin})`);
      if (chain.length >= MAX_DEPTH) throw new DaemonError(`error loading config file ${shown(path)}: @files nested deeper than ${MAX_DEPTH}`);
      let text: string;
      try {
        text = readText(path);
      } catch (err) {
        throw new DaemonError(`error loading config file ${shown(path)}: ${describeFsError(err)}`);
      }
      visit(tokenizeConfigText(text, path, nextSource++), [...chain, path]);
    }
  };
  visit(
    argv.map((text, i) => ({ text, origin: `command line argument ${i + 1}`, source: 0 })),
    [],
  );
  return out;
}

/** Only regular files of sane size: `@/dev/zero` or a FIFO must not hang the daemon. */
function defaultRead(path: string): string {
  const st = statSync(path);
  if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
  if (st.size > MAX_FILE_BYTES) throw Object.assign(new Error(`larger than ${MAX_FILE_BYTES} bytes`), { code: 'ETOOBIG' });
  return readFileSync(path, 'utf8');
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'name too long';
    default:
      return e?.message ?? String(err);
  }
}
