// kernel= formats, detected by content: the bundled kernel as ELF vmlinux, as a raw RISC-V Image
// (guest/images/Image.gz unpacked: what `objcopy -O binary vmlinux` gives), gzip'ed, zstd'ed and
// wrapped as an EFI zboot image, each booted by the real colinux-daemon to the guest's init and
// powered off; junk and sizes that cannot fit mem= are one line, found before the file is read.
import t from 'tap';
import { closeSync, ftruncateSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { DAEMON_BIN, REPO, monitorsOf, processesUnder, runToEnd, sandbox, start } from './helpers.ts';
import fc from 'fast-check';
import { loadKernel, planBytes, type RamFit } from '../src/kernel/image.ts';
import { KernelFormatError } from '../src/kernel/plan.ts';
import { ElfError } from '../src/kernel/elf.ts';
import { DaemonError } from '../src/errors.ts';

const IMAGES = join(REPO, 'guest/images');
const INITRD = join(IMAGES, 'initramfs.cpio.gz');
const imageGz = readFileSync(join(IMAGES, 'Image.gz'));
const image = gunzipSync(imageGz);

/** An EFI zboot file as Linux's zboot-header.S lays it out: "MZ", "zimg", payload offset/size, compression name. */
function zboot(payload: Uint8Array, compression: string): Buffer {
  const header = Buffer.alloc(512);
  header.write('MZ', 0, 'latin1');
  header.write('zimg', 4, 'latin1');
  header.writeUInt32LE(header.length, 8);
  header.writeUInt32LE(payload.length, 12);
  header.write(`${compression}\0`, 24, 'latin1');
  return Buffer.concat([header, payload, Buffer.alloc(4)]); // zboot appends the uncompressed size
}

const roomy: RamFit = { room: 256 << 20, tooSmall: () => new DaemonError('too small') };

t.test('each format gives the same load: one Image section at the text offset, .bss zero-filled', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const files: Record<string, Uint8Array> = {
    Image: image,
    'Image.gz': imageGz,
    'Image.zst': zstdCompressSync(image),
    'vmlinuz.efi': zboot(imageGz, 'gzip'),
    'vmlinuz-zstd.efi': zboot(zstdCompressSync(image), 'zstd'),
  };
  const formats: Record<string, string> = {
    Image: 'RISC-V Image',
    'Image.gz': 'gzip-compressed RISC-V Image',
    'Image.zst': 'zstd-compressed RISC-V Image',
    'vmlinuz.efi': 'EFI zboot-compressed RISC-V Image',
    'vmlinuz-zstd.efi': 'EFI zboot-compressed RISC-V Image',
  };
  const imageSize = Number(image.readBigUInt64LE(16));
  for (const [name, bytes] of Object.entries(files)) {
    writeFileSync(join(box.dir, name), bytes);
    const plan = loadKernel(join(box.dir, name), name, roomy);
    t.equal(plan.format, formats[name], `${name}: detected format`);
    t.same(
      plan.pieces.map((p) => [p.offset, p.size, p.data ? 'data' : 'zero']),
      [
        [0, image.length, 'data'],
        [image.length, imageSize - image.length, 'zero'],
      ],
      `${name}: pieces`,
    );
    t.ok(Buffer.from(plan.pieces[0]!.data!).equals(image), `${name}: the Image bytes`);
    t.equal(plan.entryOffset, 0);
    t.equal(plan.spanBytes, imageSize);
  }
  const elf = loadKernel(join(IMAGES, 'vmlinux'), 'vmlinux', roomy);
  t.equal(elf.format, 'ELF vmlinux');
  t.equal(elf.spanBytes, imageSize, 'the ELF and the Image of one kernel need the same RAM');
});

for (const [name, make] of [
  ['Image', () => image],
  ['Image.gz', () => imageGz],
  ['Image.zst', () => zstdCompressSync(image)],
  ['zboot vmlinuz', () => zboot(imageGz, 'gzip')],
] as const) {
  t.test(`kernel=${name} boots the bundled guest to its init and powers off`, async (t) => {
    const box = sandbox();
    t.teardown(() => box.cleanup());
    const kernel = join(box.dir, name.replace(' ', '-'));
    writeFileSync(kernel, make());
    const d = start(DAEMON_BIN, ['-d', '--shutdown-timeout', '120', `kernel=${kernel}`, `initrd=${INITRD}`, 'mem=64'], box.env);
    t.teardown(() => d.child.kill('SIGKILL'));
    await d.waitFor('Run /init as init process', 240_000);
    // The daemon repeats its power-off request until the init's reader on hvc1 takes it.
    d.child.kill('SIGTERM');
    const { code } = await d.exited;
    t.equal(code, 0, 'exit 0');
    t.match(d.stdout(), /colinux: powered off, exiting\.\n$/, 'the guest powered off');
    t.same(await monitorsOf(box.env), []);
  });
}

t.test('not a kernel, a broken one, or one that cannot fit: one line, found before reading the file whole', async (t) => {
  const box = sandbox();
  t.teardown(() => box.cleanup());
  const w = (name: string, bytes: Uint8Array) => writeFileSync(join(box.dir, name), bytes);
  w('junk.bin', Buffer.from('#!/bin/sh\necho not a kernel\n'.repeat(40)));
  w('cut.gz', imageGz.subarray(0, imageGz.length >> 1));
  w('lzma.efi', zboot(Buffer.alloc(1000, 1), 'lzma'));
  w('text.gz', readFileSync(INITRD)); // a valid gzip stream of something else
  // An Image whose header claims 1 GiB: refused from the header alone.
  const huge = Buffer.from(image.subarray(0, 4096));
  huge.writeBigUInt64LE(1n << 30n, 16);
  w('huge-Image', huge);
  // A real Image followed by 16 MiB of zeros, gzip'ed: small on disk, too large once unpacked.
  w('padded.gz', gzipSync(Buffer.concat([image, Buffer.alloc(16 << 20)])));
  // A 1.5 GiB sparse initrd: refused from its size, in well under the time a read would take.
  const bigInitrd = join(box.dir, 'big.initrd');
  const fd = openSync(bigInitrd, 'w');
  ftruncateSync(fd, 1536 * 1024 * 1024);
  closeSync(fd);
  t.equal(statSync(bigInitrd).size, 1536 * 1024 * 1024);
  const accepted = 'accepted: ELF vmlinux, RISC-V Image, either compressed with gzip or zstd, EFI zboot vmlinuz';
  const cases: Array<[string, string[], RegExp]> = [
    ['junk', ['kernel=junk.bin'], new RegExp(`^colinux-daemon: kernel=junk\\.bin: not a kernel \\(${accepted}\\)$`)],
    ['truncated gzip', ['kernel=cut.gz'], /^colinux-daemon: kernel=cut\.gz: corrupt gzip data \(unexpected end of file\)$/],
    [
      'zboot with another compression',
      ['kernel=lzma.efi'],
      /^colinux-daemon: kernel=lzma\.efi: EFI zboot image compressed with 'lzma' \(accepted: gzip, zstd\)$/,
    ],
    ['gzip of something else', ['kernel=text.gz'], new RegExp(`^colinux-daemon: kernel=text\\.gz: gzip-compressed data is not a kernel \\(${accepted}\\)$`)],
    ['Image larger than mem=', ['kernel=huge-Image', 'mem=64'], /^colinux-daemon: mem=64: too small, the kernel image needs at least 1026 MiB$/],
    [
      'compressed Image larger than mem=',
      ['kernel=padded.gz', 'mem=8'],
      /^colinux-daemon: mem=8: too small, kernel=padded\.gz decompresses to more than the 6 MiB left for it$/,
    ],
    [
      '1.5 GiB initrd',
      [`kernel=${join(IMAGES, 'Image.gz')}`, 'initrd=big.initrd', 'mem=64'],
      /^colinux-daemon: mem=64: too small, the kernel image and the initrd need at least 15\d\d MiB$/,
    ],
    [
      '1.5 GiB initrd, more than half of RAM',
      [`kernel=${join(IMAGES, 'Image.gz')}`, 'initrd=big.initrd', 'mem=2048'],
      /^colinux-daemon: mem=2048: too small, initrd=big\.initrd \(1536 MiB\) may take at most half of RAM$/,
    ],
  ];
  for (const [name, args, line] of cases) {
    const begun = Date.now();
    const r = await runToEnd(DAEMON_BIN, args, box.env, box.dir);
    t.equal(r.code, 255, `${name}: exit code`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    t.equal(lines.length, 1, `${name}: one line (${JSON.stringify(r.stderr)})`);
    t.match(lines[0] ?? '', line, `${name}: the line`);
    t.same(processesUnder(box.runtimeDir), [], `${name}: no process left`);
    if (name.startsWith('1.5 GiB initrd')) t.ok(Date.now() - begun < 10_000, `${name}: refused without reading it (${Date.now() - begun} ms)`);
  }
  t.equal(await monitorsOf(box.env), undefined, 'the manager was never started');
});

t.test('fuzz: corrupted Image headers, compressed streams and zboot wrappers give a plan or one format error', async (t) => {
  const runs = process.env.COLINUX_LONG_TESTS === '1' ? 20_000 : 300;
  const head = image.subarray(0, 8192);
  const seeds = [head, gzipSync(head), zstdCompressSync(head), zboot(gzipSync(head), 'gzip'), zboot(zstdCompressSync(head), 'zstd')];
  const small: RamFit = { room: 4 << 20, tooSmall: () => new DaemonError('too small') };
  fc.assert(
    fc.property(
      fc.nat(seeds.length - 1),
      fc.array(fc.tuple(fc.nat(8191), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(8192),
      (which, edits, cut) => {
        const seed = seeds[which]!;
        const copy = Uint8Array.from(seed.subarray(0, Math.max(cut, 1)));
        for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
        try {
          const plan = planBytes(copy, small);
          return plan.pieces.every((p) => !p.data || p.data.length === p.size);
        } catch (err) {
          if (err instanceof KernelFormatError || err instanceof ElfError || err instanceof DaemonError)
            return err.message !== '' && !/[\n\r]/.test(err.message);
          throw err;
        }
      },
    ),
    { numRuns: runs },
  );
  t.pass(`${runs} corrupted kernels`);
});
