// Fuzz of the whole command-line front end (@file tokenizer, expansion, switches, keys, values):
// whatever the input, the result is a configuration, help, or ONE DaemonError line; never another
// exception, never a hang. COLINUX_LONG_TESTS=1 runs 100,000 cases per property.
import t from 'tap';
import fc from 'fast-check';
import { expandAtFiles } from '../src/cmdline/expand.ts';
import { parseSwitches } from '../src/cmdline/switches.ts';
import { parseConfig } from '../src/config/build.ts';
import { DaemonError } from '../src/errors.ts';

const RUNS = process.env.COLINUX_LONG_TESTS === '1' ? 100_000 : 3000;

const fragments = [
  'kernel=',
  'initrd=',
  'mem=',
  'firmware=',
  'cocon=',
  'cursor=',
  'color=',
  'setcobd=',
  'cobd',
  'eth',
  'ttys',
  'exec',
  'cofs',
  'scsi',
  'pci',
  'hda',
  'sdb1',
  '=',
  ',',
  '"',
  '""',
  '#',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '@',
  '@a',
  '@b',
  '-',
  '-d',
  '-k',
  '-p',
  '-t',
  '-v',
  '-c',
  '-h',
  '--status-driver',
  '--shutdown-timeout',
  'slirp',
  'tuntap',
  'pcap-bridge',
  'ndis-bridge',
  'promisc',
  'nopromisc',
  'restrict',
  'no-host-loopback',
  'mtu=',
  '1500',
  'tcp:2222:22',
  '/',
  ':',
  ':cobd0',
  '02:00:00:00:00:01',
  '0',
  '1',
  '15',
  '16',
  '31',
  '32',
  '99999999999',
  'x',
  '0x',
  '80x25',
  'vmlinux',
  'root=/dev/vda',
  'memmap=',
  'async',
  'white,blue',
  '\u00e9',
  '\x00',
  '\x7f',
  '\ufffd',
];
const text = fc.oneof(
  fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
);

/** Runs the front end with in-memory @files `a` and `b`; returns what happened. */
function frontEnd(argv: string[], files: Record<string, string>): 'config' | 'help' | 'none' | 'error' {
  try {
    const tokens = expandAtFiles(argv, (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return content;
    });
    const sw = parseSwitches(tokens);
    if (sw.kind === 'help') return 'help';
    return parseConfig(sw.config) ? 'config' : 'none';
  } catch (err) {
    if (!(err instanceof DaemonError)) throw err;
    if (err.message === '' || /[\n\r]/.test(err.message)) throw new Error(`not one line: ${JSON.stringify(err.message)}`);
    if (err.message.length > 2000) throw new Error(`error line of ${err.message.length} chars`);
    return 'error';
  }
}

t.test('random @file contents and argv: config, help or exactly one error line', async (t) => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(fc.array(text, { maxLength: 6 }), text, text, (argv, a, b) => {
      seen.add(frontEnd(argv, { a, b }));
    }),
    { numRuns: RUNS },
  );
  // The generator reaches every outcome, so the property is not vacuous.
  t.ok(seen.has('error') && seen.has('config'), `outcomes seen: ${[...seen].join(', ')}`);
});

t.test('well-formed configurations with one corrupted value: still one line', async (t) => {
  const keys = ['mem', 'cocon', 'cursor', 'color', 'eth0', 'eth15', 'ttys0', 'exec0', 'hdb', 'cobd0', 'setcobd', 'cofs31'];
  fc.assert(
    fc.property(fc.constantFrom(...keys), text, fc.boolean(), (key, value, inFile) => {
      const token = `${key}=${value}`;
      const outcome = inFile ? frontEnd(['kernel=vmlinux', '@a'], { a: `${token.replace(/[\s#]/g, '_')}\n` }) : frontEnd(['kernel=vmlinux', token], {});
      return outcome === 'config' || outcome === 'error';
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} corrupted values`);
});
