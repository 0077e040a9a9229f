/**
 * A problem the user can fix: printed as ONE line on stderr, then the daemon exits with `exitCode`.
 * coLinux exits with -1 for every failure (docs/colinux.md#exit-statuses); as a process status that is 255.
 */
export class DaemonError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 255) {
    // Always ONE readable line: values from the command line may carry newlines, control bytes or
    // a megabyte of text.
    super(escapeControls(message).replace(/[^\s]{161,}/g, (run) => `${run.slice(0, 150)}...(${run.length} chars)`));
    this.name = 'DaemonError';
    this.exitCode = exitCode;
  }
}

/** coLinux's process statuses (docs/colinux.md#exit-statuses): -1 generic, -3 VERSION_MISMATCHED, -14 ERROR_ACCESSING_DRIVER. */
export const ExitCode = {
  OK: 0,
  ERROR: 255,
  VERSION_MISMATCHED: 253,
  ERROR_ACCESSING_DRIVER: 242,
} as const;

export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- control bytes are what this escapes
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A value as it appears in a message: quoted, control bytes escaped, long values shortened. */
export function shown(value: string): string {
  const escaped = escapeControls(value);
  return `'${escaped.length > 120 ? `${escaped.slice(0, 117)}...` : escaped}'`;
}
