import { Command, CommanderError } from 'commander';

export interface SerialArgs { id: number; unit: number; device?: string; mode?: string; force: boolean }

export class UsageError extends Error {}

/** `-i <id> -u <unit> [-f <device>] [-m <mode>] [--force]` (docs/colinux.md#serial-helper): -i non-zero, -u 0..31. */
export function parseSerialArgs(argv: readonly string[]): SerialArgs | { help: string } {
  const program = new Command('colinux-serial-daemon')
    .description('Connects guest serial port /dev/ttyS<unit> to a host terminal, pty, FIFO, socket or this program\'s stdin/stdout')
    .requiredOption('-i <id>', 'monitor id (the PID printed by colinux-daemon)')
    .option('-u <unit>', 'serial unit 0..31', '0')
    .option('-f <device>', 'host device: a tty or pty (/dev/pts/N), FIFO, Unix socket or file; default stdin/stdout in raw mode')
    .option('-m <mode>', 'line settings for a tty: stty words ("115200 cs8 -parenb") or coLinux/Windows MODE syntax ("BAUD=115200 PARITY=n DATA=8 STOP=1")')
    .option('--force', 'take the unit over from the helper that holds it')
    .helpOption('-h, --help', 'print this help')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return { help: program.helpInformation() };
      throw new UsageError(err.message.replace(/^error: /, ''));
    }
    throw err;
  }
  const o = program.opts<{ i: string; u: string; f?: string; m?: string; force?: boolean }>();
  if (!/^[0-9]{1,10}$/.test(o.i) || Number(o.i) === 0 || Number(o.i) > 0xffffffff) throw new UsageError(`-i ${JSON.stringify(o.i)}: expected a non-zero monitor id`);
  if (!/^[0-9]{1,2}$/.test(o.u) || Number(o.u) > 31) throw new UsageError(`-u ${JSON.stringify(o.u)}: expected a unit 0..31`);
  if (o.f === '') throw new UsageError('-f: empty device name');
  return { id: Number(o.i), unit: Number(o.u), device: o.f, mode: o.m, force: o.force === true };
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
      case 'dtr': case 'rts': case 'octs': case 'to': case 'xon': case 'odsr': case 'idsr':
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
