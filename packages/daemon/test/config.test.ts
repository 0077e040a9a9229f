import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/build.ts';
import { checkHostResources } from '../src/config/host.ts';
import { parseCocon, parseColor, parseMac, splitFields, unquote } from '../src/config/values.ts';
import { helperSpecs } from '../src/launch/commands.ts';
import { bootLineFor } from '../src/daemon.ts';
import type { Token } from '../src/cmdline/tokenize.ts';

/** Tokens from "sources": each array is one source (0 = command line, then @files). */
function toks(...sources: string[][]): Token[] {
  return sources.flatMap((list, source) => list.map((text, i) => ({ text, origin: `source ${source} token ${i + 1}`, source })));
}
const parse = (...words: string[]) => parseConfig(toks(words), { random: () => 0.5 })!;

t.test('no tokens: no configuration; tokens without kernel=: one error', async (t) => {
  t.equal(parseConfig([]), undefined);
  t.throws(() => parse('mem=64', 'root=/dev/vda'), { message: /no kernel= given.*'mem=64'/ });
});

t.test('keys match exactly; the rest is the boot line, in order, quotes kept', async (t) => {
  const c = parse('kernel=vmlinux', 'root=/dev/vda', 'memmap=64M$0x90000000', 'pci=noacpi', 'hdc=ide-cd', 'init="/bin/sh"', 'eth0x=1', 'ro');
  t.equal(c.kernel, 'vmlinux');
  t.equal(c.bootLine, 'root=/dev/vda memmap=64M$0x90000000 pci=noacpi init="/bin/sh" eth0x=1 ro');
  t.same(c.blockDevices, [{ index: 0, path: 'ide-cd', aliases: ['hdc'], key: 'hdc' }], 'hdX= stays a coLinux alias key');
  t.equal(c.memoryMiB, 128, 'default RAM');
  t.same(c.console, { cols: 80, rows: 25, scrollback: 475 });
});

t.test('single-valued keys: the last one wins, earlier ones do not leak into the boot line', async (t) => {
  const c = parseConfig(toks(['mem=32'], ['kernel=a', 'mem=64', 'root=x'], ['kernel=b']))!;
  t.equal(c.kernel, 'b');
  t.equal(c.memoryMiB, 64, 'mem=32 came first (command line, position 0)');
  t.equal(c.bootLine, 'root=x');
  const later = parseConfig(toks(['kernel=a', 'mem=32', 'mem=48']))!;
  t.equal(later.memoryMiB, 48);
});

t.test('indexed keys: twice in one source is an error, a later source overrides', async (t) => {
  t.throws(() => parse('kernel=k', 'cobd0=a.img', 'cobd0=b.img'), { message: /cobd0=b\.img: cobd0 defined twice \(source 0 token 2 and source 0 token 3\)/ });
  const c = parseConfig(toks(['kernel=k', 'cobd0=a.img'], ['cobd0=b.img']))!;
  t.same(
    c.blockDevices.map((d) => d.path),
    ['b.img'],
  );
  t.throws(() => parse('kernel=k', 'eth16=slirp'), { message: /eth16=slirp: invalid eth index 16 \(allowed 0\.\.15\)/ });
  t.throws(() => parse('kernel=k', 'exec8=/bin/true'), { message: /invalid exec index 8/ });
  t.throws(() => parse('kernel=k', 'cobd99999999999999999999=x'), { message: /invalid cobd index 99999999999999999999/ });
  t.throws(() => parse('kernel=k', 'ttys3='), { message: /missing value for 'ttys3'/ });
  t.throws(() => parse('kernel=k', 'scsi0=disk,x.img'), { message: /not available on this machine/ });
});

t.test('aliases: sd before hd, lowest free slot, :cobdN references', async (t) => {
  const c = parse('kernel=k', 'cobd0=root.img', 'cobd2=two.img', 'hda=:cobd0', 'hdb=data.img', 'sda=usb.img');
  t.same(
    c.blockDevices.map((d) => [d.index, d.path, d.aliases]),
    [
      [0, 'root.img', ['hda']],
      [1, 'usb.img', ['sda']],
      [2, 'two.img', []],
      [3, 'data.img', ['hdb']],
    ],
  );
  t.equal(bootLineFor(c), 'cobd_alias=hda:0,sda:1,hdb:3', 'the guest init learns the aliases from the boot line');
  t.equal(bootLineFor(parse('kernel=k', 'root=/dev/hda1', 'hda=x.img')), 'root=/dev/hda1 cobd_alias=hda:0');
  t.throws(() => parse('kernel=k', 'hda=:cobd5'), { message: /hda=:cobd5: alias on unused cobd5/ });
  t.throws(() => parse('kernel=k', 'hda=:nonsense'), { message: /expected :cobd<N>/ });
});

t.test('eth variants and their helper command strings (docs/colinux.md#launching)', async (t) => {
  const c = parse(
    'kernel=k',
    'eth0=slirp,,tcp:2222:22/udp:5353:53:2',
    'eth1=tuntap,tap7,02:11:22:33:44:55,10.0.0.1',
    'eth2=pcap-bridge,veth0,02:aa:bb:cc:dd:ee,nopromisc',
    'ttys1=/dev/pts/9,"BAUD=9600 DATA=8"',
    'exec0=/bin/echo,hello  world',
  );
  t.same(c.net[0], { unit: 0, type: 'slirp', mac: '02:80:80:80:80:80', redirections: 'tcp:2222:22/udp:5353:53:2' });
  const specs = helperSpecs(c, 4242, 'nt');
  t.same(
    specs.map((s) => [s.program, ...s.args].join(' ')),
    [
      'colinux-console-nt -a 4242',
      'colinux-slirp-net-daemon -i 4242 -u 0 -r tcp:2222:22/udp:5353:53:2',
      'colinux-net-daemon -i 4242 -u 1 -n tap7',
      'colinux-bridged-net-daemon -i 4242 -u 2 -n veth0 -mac 02:aa:bb:cc:dd:ee -p 0',
      'colinux-serial-daemon -i 4242 -u 1 -f /dev/pts/9 -m BAUD=9600 DATA=8',
      '/bin/echo hello world',
    ],
  );
  t.same(
    specs.map((s) => s.module),
    [6, 8, 9, 10, 89, undefined],
  );
  t.same(helperSpecs(c, 1, undefined)[0]!.label, 'eth0', '-d: no console');
  t.throws(() => parse('kernel=k', 'eth0=ndis-bridge'), { message: /not available on this host/ });
  t.throws(() => parse('kernel=k', 'eth0=vde'), { message: /unsupported network transport type 'vde'/ });
  t.throws(() => parse('kernel=k', 'eth0=slirp,02:00:00:00:00:0g'), { message: /eth0: bad MAC address '02:00:00:00:00:0g'/ });
  t.throws(() => parse('kernel=k', 'eth0=slirp,01:00:5e:00:00:01'), { message: /multicast/ });
  t.throws(() => parse('kernel=k', 'eth0=slirp,,tcp:0:22'), { message: /error in redirection 'tcp:0:22'/ });
  t.throws(() => parse('kernel=k', 'eth0=slirp,,tcp:65535:22:2'), { message: /error in redirection/ });
  t.throws(() => parse('kernel=k', 'eth0=pcap-bridge,eth0,,maybe'), { message: /'promisc' or 'nopromisc'/ });
  t.throws(() => parse('kernel=k', 'eth0=slirp,,,mtu=9000000'), {
    message: /^eth0=slirp,,,mtu=9000000: slirp option 'mtu=9000000': the MTU must be 1280\.\.65520$/,
  });
  t.throws(() => parse('kernel=k', 'eth0=slirp,,,mtu=576'), { message: /the MTU must be 1280\.\.65520/ });
  t.throws(() => parse('kernel=k', 'eth0=slirp,,,restricted'), {
    message: /^eth0=slirp,,,restricted: unknown slirp option 'restricted'; expected restrict, no-host-loopback or mtu=<bytes>$/,
  });
  t.throws(() => parse('kernel=k', 'eth0=tuntap,a-name-longer-than-15'), { message: /bad host interface name/ });
  t.throws(() => parse('kernel=k', 'ttys0=,9600'), { message: /missing host serial device name/ });
  t.throws(() => parse('kernel=k', 'exec1=,args'), { message: /missing program path/ });
});

t.test('eth=slirp carries the helper options after the redirections', async (t) => {
  const c = parse('kernel=k', 'eth0=slirp,,tcp:2222:22,restrict,no-host-loopback,mtu=9000', 'eth1=slirp,02:11:22:33:44:55,,mtu=1280');
  t.same(c.net[0], {
    unit: 0,
    type: 'slirp',
    mac: '02:80:80:80:80:80',
    redirections: 'tcp:2222:22',
    options: { restrict: true, noHostLoopback: true, mtu: 9000 },
  });
  t.same(
    helperSpecs(c, 7, undefined).map((s) => [s.program, ...s.args].join(' ')),
    ['colinux-slirp-net-daemon -i 7 -u 0 -r tcp:2222:22 --restrict --no-host-loopback --mtu 9000', 'colinux-slirp-net-daemon -i 7 -u 1 --mtu 1280'],
  );
});

t.test('value parsers', async (t) => {
  t.same(splitFields('tuntap,"LAN-Connection 14",00:11:22:33:44:55'), ['tuntap', 'LAN-Connection 14', '00:11:22:33:44:55']);
  t.same(splitFields('a,"x""y",'), ['a', 'x"y', '']);
  t.equal(unquote('"C:\\a b"'), 'C:\\a b');
  t.equal(parseMac('k', 'AA:bb:CC:00:11:22'), 'aa:bb:cc:00:11:22');
  t.same(parseCocon('100x40'), { cols: 100, rows: 40, scrollback: 460 });
  t.same(parseCocon('0x50,30,100'), { cols: 80, rows: 30, scrollback: 70 }, 'strtol base 0 and , separator');
  t.throws(() => parseCocon('10x10'), { message: /cocon=10x10: invalid geometry/ });
  t.throws(() => parseCocon('80x25x600'), { message: /total lines <= 500/ });
  t.equal(parseColor('white,blue'), 0x1f);
  t.throws(() => parseColor('red,red'), { message: /same colour/ });
  t.throws(() => parse('kernel=k', 'mem=12x'), { message: /mem=12x: expected a size in MiB/ });
  t.throws(() => parse('kernel=k', 'mem=4'), { message: /mem=4: out of range/ });
  t.throws(() => parse('kernel=k', 'cursor=101'), { message: /cursor=101/ });
  t.throws(() => parse('kernel=k', 'setcobd=maybe'), { message: /only 'async' or 'sync'/ });
  t.throws(() => parse('kernel=k', `x=${'y'.repeat(1100)}`), { message: /boot line is 1102 bytes/ });
});

t.test('host checks: absolute paths, missing and wrong kinds of files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'colinux-host-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'disk.img'), Buffer.alloc(4096));
  writeFileSync(join(dir, 'empty.img'), '');
  mkdirSync(join(dir, 'share'));
  const ok = parse('kernel=k', 'cobd0=disk.img', 'cofs1=share');
  const host = checkHostResources(ok, dir);
  t.same(host.blockDevices, [{ index: 0, path: join(dir, 'disk.img'), readOnly: false, aliases: [] }]);
  t.same(host.sharedDirs, [{ unit: 1, path: join(dir, 'share'), readOnly: false }]);
  t.throws(() => checkHostResources(parse('kernel=k', 'cobd0=none.img'), dir), { message: /^cobd0=none\.img: no such file$/ });
  t.throws(() => checkHostResources(parse('kernel=k', 'hdb=empty.img'), dir), { message: /^hdb=empty\.img: image file is empty$/ });
  t.throws(() => checkHostResources(parse('kernel=k', 'cobd3=share'), dir), { message: /not a regular file or block device/ });
  t.throws(() => checkHostResources(parse('kernel=k', 'cofs0=disk.img'), dir), { message: /^cofs0=disk\.img: not a directory$/ });
  t.same(
    checkHostResources(parse('kernel=k', 'cofs2=share,ro', 'cofs3=share,rw'), dir).sharedDirs,
    [
      { unit: 2, path: join(dir, 'share'), readOnly: true },
      { unit: 3, path: join(dir, 'share'), readOnly: false },
    ],
    'cofs<N>=<dir>,ro is a read-only share',
  );
  t.throws(() => checkHostResources(parse('kernel=k', 'cofs0=nodir,ro'), dir), { message: /^cofs0=nodir: no such file$/ });
  t.throws(() => parse('kernel=k', 'cofs0=,ro'), { message: /cofs0/ });
  t.throws(() => checkHostResources(parse('kernel=k', 'ttys0=/dev/nonexistent-tty'), dir), { message: /^ttys0=\/dev\/nonexistent-tty: no such file$/ });
  t.throws(() => checkHostResources(parse('kernel=k', 'firmware=nofw.bin'), dir), { message: /^firmware=nofw\.bin: no such file$/ });
});
