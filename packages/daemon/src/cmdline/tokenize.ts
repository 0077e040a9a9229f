import { DaemonError, shown } from '../errors.ts';

/**
 * Tokenizer for `@file` contents (docs/colinux.md#config-files), with coLinux's documented bugs fixed:
 * - a token may start with any printable byte, so switches (`-k`, `-t nt`) work inside files;
 * - `#` starts a comment only at the start of a token or outside quotes (coLinux also cut quoted
 *   text at `#`);
 * - an unterminated quote or a stray control byte is an error naming file and line, not a silently
 *   shortened token.
 * As in coLinux, quote characters stay in the token; each value parser strips them (docs/colinux.md#keys),
 * and the kernel boot line receives them unchanged (docs/colinux.md#keys).
 */
export interface Token {
  text: string;
  /** Human-readable origin for error lines: `command line` or `file 'x' line N`. */
  origin: string;
  /** 0 = the command line; 1, 2, … = the @files in the order they appear. Later sources override earlier ones. */
  source: number;
}

const MAX_FILE_BYTES = 1 << 20;

export function tokenizeConfigText(text: string, fileName: string, source: number): Token[] {
  if (text.length > MAX_FILE_BYTES) {
    throw new DaemonError(`error loading config file ${shown(fileName)}: larger than ${MAX_FILE_BYTES} bytes`);
  }
  const tokens: Token[] = [];
  let line = 1;
  let current = '';
  let inToken = false;
  let inQuotes = false;
  let inComment = false;
  let tokenLine = 1;
  const finish = (): void => {
    if (inToken) tokens.push({ text: current, origin: `file ${shown(fileName)} line ${tokenLine}`, source });
    current = '';
    inToken = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = c.charCodeAt(0);
    if (c === '\n') {
      if (inQuotes) throw new DaemonError(`error in config file ${shown(fileName)} line ${line}: unterminated quote in ${shown(current)}`);
      finish();
      inComment = false;
      line++;
      continue;
    }
    if (inComment) continue;
    if (c === ' ' || c === '\t' || c === '\r') {
      if (inQuotes) current += c;
      else finish();
      continue;
    }
    if (code < 0x20 || code === 0x7f || c === '\ufffd') {
      throw new DaemonError(`error in config file ${shown(fileName)} line ${line}: control or invalid byte 0x${code.toString(16).padStart(2, '0')}`);
    }
    if (c === '#' && !inQuotes) {
      finish();
      inComment = true;
      continue;
    }
    if (!inToken) {
      inToken = true;
      tokenLine = line;
    }
    if (c === '"') inQuotes = !inQuotes;
    current += c;
  }
  if (inQuotes) throw new DaemonError(`error in config file ${shown(fileName)} line ${line}: unterminated quote in ${shown(current)}`);
  finish();
  return tokens;
}
