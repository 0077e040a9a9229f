// The command line of colinux-serial-daemon (docs/colinux.md#serial-helper): the shared
// -i/-u/--force of runHelper (-i non-zero, -u 0..31, default 0) and -f <device>, -m <mode>.
import type { Command } from 'commander';
import { Module } from '@colinux/protocol';
import { parseHelperArgs, UsageError, type HelperCommandLine } from '@colinux/client/helper';

/** -f and -m; stty: the words -m gives (a bad mode is a command-line error). */
export interface SerialOptions {
  device?: string;
  mode?: string;
  stty?: string[];
}
export interface SerialArgs {
  id: number;
  unit: number;
  device?: string;
  mode?: string;
  force: boolean;
}

export const serialCommandLine: HelperCommandLine<SerialOptions> = {
  name: 'colinux-serial-daemon',
  description: "Connects guest serial port /dev/ttyS<unit> to a host terminal, pty, FIFO, socket or this program's stdin/stdout",
  modules: { base: Module.SERIAL0, count: 32, unitHelp: "serial unit: the guest's /dev/ttyS<unit>", defaultUnit: 0 },
  words: {
    noInstance: "required option '-i <id>' not specified",
    badInstance: (v) => `-i ${JSON.stringify(v)}: expected a non-zero monitor id`,
    badUnit: (v) => `-u ${JSON.stringify(v)}: expected a unit 0..31`,
  },
  options: {
    add: (cmd: Command) =>
      cmd
        .option('-f <device>', 'host device: a tty or pty (/dev/pts/N), FIFO, Unix socket or file; default stdin/stdout in raw mode')
        .option(
          '-m <mode>',
          'line settings for a tty: stty words ("115200 cs8 -parenb") or coLinux/Windows MODE syntax ("BAUD=115200 PARITY=n DATA=8 STOP=1")',
        ),
    parse: (o) => {
      if (o.f === '') throw new UsageError('-f: empty device name');
      const mode = o.m as string | undefined;
      return { device: o.f as string | undefined, mode, stty: mode === undefined ? undefined : sttyWords(mode) };
    },
  },
};

/** The command line as one record. */
export function parseSerialArgs(argv: readonly string[]): SerialArgs | { help: string } {
  const a = parseHelperArgs(serialCommandLine, argv);
  return 'help' in a ? a : { id: a.id, unit: a.unit, device: a.options.device, mode: a.options.mode, force: a.force };
}

const PARITY: Record<string, string[]> = { n: ['-parenb'], e: ['parenb', '-parodd'], o: ['parenb', 'parodd'] };

/**
 * The stty words for a mode string. coLinux took Windows MODE syntax (`BAUD=115200 PARITY=n DATA=8
 * STOP=1 dtr=on rts=on`, docs/colinux.md#keys); words without `=` are passed to stty as they are.
 */
export function sttyWords(mode: string): string[] {
  const words: string[] = [];
  for (const word of mode.trim().split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq < 0) {
      words.push(word);
      continue;
    }
    const key = word.slice(0, eq).toLowerCase();
    const value = word.slice(eq + 1).toLowerCase();
    const bad = () => new UsageError(`error in mode parameter '${word}'`);
    switch (key) {
      case 'baud':
        if (!/^[0-9]{2,7}$/.test(value)) throw bad();
        words.push(value);
        break;
      case 'parity':
        if (!PARITY[value]) throw bad();
        words.push(...PARITY[value]!);
        break;
      case 'data':
        if (!/^[5-8]$/.test(value)) throw bad();
        words.push(`cs${value}`);
        break;
      case 'stop':
        if (value !== '1' && value !== '2') throw bad();
        words.push(value === '2' ? 'cstopb' : '-cstopb');
        break;
      case 'dtr':
      case 'rts':
      case 'octs':
      case 'to':
      case 'xon':
      case 'odsr':
      case 'idsr':
        // Modem lines and flow control: raised by opening the tty; Windows-only knobs are accepted and ignored.
        if (!/^(on|off|hs|tg)$/.test(value)) throw bad();
        if (key === 'xon') words.push(value === 'on' ? 'ixon' : '-ixon');
        break;
      default:
        throw bad();
    }
  }
  return words;
}
