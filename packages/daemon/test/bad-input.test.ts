// Bad input through the real colinux-daemon bin: ONE line naming key, value and problem, a
// non-zero exit, and nothing left running (no monitor in the manager, no helper process).
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDriver } from '@colinux/monitor-core';
import { DAEMON_BIN, FIXTURES, commandOf, monitorsOf, processesUnder, runToEnd, sandbox, until } from './helpers.ts';

const KERNEL = join(FIXTURES, 'guest-idle.elf');

t.test('each bad input: one error line, exit 255, nothing started', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  writeFileSync(join(box.dir, 'notes.txt'), 'not a kernel\n');
  writeFileSync(join(box.dir, 'disk.img'), Buffer.alloc(8192));
  writeFileSync(join(box.dir, 'big.initrd'), Buffer.alloc(9 * 1024 * 1024));
  mkdirSync(join(box.dir, 'adir'));
  writeFileSync(join(box.dir, 'dup.conf'), `kernel=${KERNEL}\ncobd0=disk.img\ncobd0=disk.img\n`);
  const cases: Array<[string, string[], RegExp]> = [
    ['missing kernel', ['kernel=none.elf'], /^colinux-daemon: kernel=none\.elf: error loading vmlinux file: no such file$/],
    [
      'not a kernel',
      ['kernel=notes.txt'],
      /^colinux-daemon: kernel=notes\.txt: not a kernel \(accepted: ELF vmlinux, RISC-V Image, either compressed with gzip or zstd, EFI zboot vmlinuz\)$/,
    ],
    ['non-RISC-V kernel', [`kernel=${process.execPath}`], /^colinux-daemon: kernel=.*node: not a RISC-V kernel \(ELF for (x86-64|AArch64)/],
    [
      'bad MAC',
      [`kernel=${KERNEL}`, 'eth0=slirp,00:11:22:33:44'],
      /^colinux-daemon: eth0: bad MAC address '00:11:22:33:44': expected xx:xx:xx:xx:xx:xx in hex$/,
    ],
    ['out-of-range index', [`kernel=${KERNEL}`, 'ttys32=/dev/null'], /^colinux-daemon: ttys32=\/dev\/null: invalid ttys index 32 \(allowed 0\.\.31\)$/],
    ['duplicate indexed key', ['@dup.conf'], /^colinux-daemon: cobd0=disk\.img: cobd0 defined twice \(file 'dup\.conf' line 2 and file 'dup\.conf' line 3\)$/],
    ['missing image', [`kernel=${KERNEL}`, 'cobd0=gone.img'], /^colinux-daemon: cobd0=gone\.img: no such file$/],
    ['image is a directory', [`kernel=${KERNEL}`, 'hda=adir'], /^colinux-daemon: hda=adir: not a regular file or block device$/],
    [
      'host-specific network',
      [`kernel=${KERNEL}`, 'eth1=ndis-bridge,"LAN 1"'],
      /^colinux-daemon: eth1=ndis-bridge,"LAN 1": network type 'ndis-bridge' is not available on this host/,
    ],
    ['missing @file', ['@nowhere.conf'], /^colinux-daemon: error loading config file 'nowhere\.conf': no such file$/],
    [
      'initrd does not fit',
      [`kernel=${KERNEL}`, 'initrd=big.initrd', 'mem=8'],
      /^colinux-daemon: mem=8: too small, the kernel image and the initrd need at least 12 MiB$/,
    ],
    ['unknown switch', ['-q', `kernel=${KERNEL}`], /^colinux-daemon: unknown option '-q'$/],
    [
      'console that does not exist',
      ['-t', 'fltk', `kernel=${KERNEL}`],
      /^colinux-daemon: -t fltk: no console program colinux-console-fltk \(use -t nt, or -d for none\)$/,
    ],
    ['unreadable serial device', [`kernel=${KERNEL}`, 'ttys0=/dev/no-such-tty'], /^colinux-daemon: ttys0=\/dev\/no-such-tty: no such file$/],
  ];
  for (const [name, args, line] of cases) {
    const r = await runToEnd(DAEMON_BIN, args, box.env, box.dir);
    t.equal(r.code, 255, `${name}: exit code`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    t.equal(lines.length, 1, `${name}: one line (${JSON.stringify(r.stderr)})`);
    t.match(lines[0] ?? '', line, `${name}: the line`);
    t.equal(r.stdout, '', `${name}: nothing on stdout`);
    t.same(processesUnder(box.runtimeDir), [], `${name}: no process left`);
  }
  t.equal(await monitorsOf(box.env), undefined, 'the manager was never started for bad input');
});

t.test('a failure after CREATE closes the monitor and starts no helper', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  t.equal(await installDriver(box.env), 'daemon: driver installed');
  const r = await runToEnd(DAEMON_BIN, ['-d', '-p', join(box.dir, 'no/such/dir/pid'), `kernel=${KERNEL}`, 'mem=16', 'ttys0=/dev/null'], box.env, box.dir);
  t.equal(r.code, 255);
  t.match(r.stderr, /^colinux: error creating PID file '.*no\/such\/dir\/pid': /m);
  t.same(await monitorsOf(box.env), [], 'no monitor left in the manager');
  // The monitor's own process ends a moment after its monitor closed (one process per monitor).
  await until(() => (processesUnder(box.runtimeDir).length === 1 ? true : undefined), 15_000).catch(() => undefined);
  t.same(
    processesUnder(box.runtimeDir)
      .map(commandOf)
      .filter((c) => !c.includes('monitor-core.js --serve')),
    [],
    'only the manager runs',
  );
});
