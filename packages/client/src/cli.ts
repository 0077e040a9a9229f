// Command-line conventions shared by the helper programs (docs/README.md "Command lines"): exit
// status 0 on success (also --help and --version), 1 when the work fails, 2 for a bad command
// line; every error is one line on stderr starting with the program's name.

import type { EndCause } from './client.ts';

export const ExitStatus = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** The exit status when an attachment ends: the monitor ended or another program took the module
 *  over (both the normal end of a helper or console), or the connection to the manager was lost. */
export function endStatus(cause: EndCause): number {
  return cause === 'taken-over' || cause === 'monitor-closed' ? ExitStatus.OK : ExitStatus.FAILURE;
}

/** The part of commander's Command used here (protocol does not depend on commander). */
interface CommandLike {
  configureOutput(config: { outputError?: (text: string, write: (text: string) => void) => void }): this;
  exitOverride(callback: (err: { exitCode: number }) => void): this;
}

/** Makes commander print a parse error as one `<name>: <problem>` line and exit with USAGE. */
export function usageErrorsOneLine<T extends CommandLike>(command: T, name: string): T {
  return command
    .configureOutput({
      outputError: (text, write) =>
        write(
          `${name}: ${
            text
              .replace(/^error: /, '')
              .trim()
              .split('\n')[0]
          }\n`,
        ),
    })
    .exitOverride((err) => process.exit(err.exitCode === 0 ? ExitStatus.OK : ExitStatus.USAGE));
}
