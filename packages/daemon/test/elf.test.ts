import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ElfError, parseElf64 } from '../src/kernel/elf.ts';
import { planKernelLoad } from '../src/kernel/image.ts';
import { FIXTURES } from './helpers.ts';

const guest = readFileSync(join(FIXTURES, 'guest-idle.elf'));

t.test('a vmlinux-style image: sections placed by load address, .bss zero-filled, non-alloc skipped', async (t) => {
  const elf = parseElf64(guest);
  t.equal(elf.machine, 243);
  t.equal(elf.entry, 0xffffffff80000000n);
  const plan = planKernelLoad(elf);
  t.same(
    plan.pieces.map((p) => [p.name, p.offset, p.size, p.data ? 'data' : 'zero']),
    [
      ['.head.text', 0, plan.pieces[0]!.size, 'data'],
      ['.rodata', 0x1000, plan.pieces[1]!.size, 'data'],
      ['.data', plan.pieces[2]!.offset, 8, 'data'],
      ['.bss', plan.pieces[3]!.offset, 4096, 'zero'],
    ],
  );
  t.equal(plan.entryOffset, 0);
  t.equal(plan.spanBytes, plan.pieces[3]!.offset + 4096);
  // .data holds the 64-bit 42 the fixture stores there.
  t.same([...plan.pieces[2]!.data!], [42, 0, 0, 0, 0, 0, 0, 0]);
  t.notOk(plan.pieces.some((p) => p.name.startsWith('.symtab') || p.name === '.strtab'));
});

t.test('rejects what is not a RISC-V ELF64 kernel, with the reason', async (t) => {
  const patched = (at: number, bytes: number[]) => {
    const copy = Uint8Array.from(guest);
    copy.set(bytes, at);
    return copy;
  };
  t.throws(() => parseElf64(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1)), { message: /too short/ });
  t.throws(() => parseElf64(new Uint8Array(0)), { message: /bad magic/ });
  t.throws(() => parseElf64(Buffer.from('#!/bin/sh\necho not a kernel\n'.padEnd(80))), { message: /not an ELF file/ });
  t.throws(() => parseElf64(patched(4, [1])), { message: /not a 64-bit ELF/ });
  t.throws(() => parseElf64(patched(5, [2])), { message: /not a little-endian/ });
  t.throws(() => planKernelLoad(parseElf64(patched(18, [62, 0]))), { message: /not a RISC-V kernel \(ELF for x86-64, e_machine 62/ });
  t.throws(() => planKernelLoad(parseElf64(patched(16, [1, 0]))), { message: /not an executable ELF file \(e_type 1\)/ });
  // e_shoff far beyond the end of the file
  t.throws(() => parseElf64(patched(40, [0, 0, 0, 0, 0, 0, 0, 0x10])), { message: /section header table lies outside the file/ });
  // e_phoff beyond the end
  t.throws(() => parseElf64(patched(32, [0xff, 0xff, 0xff, 0x7f])), { message: /program header table lies outside/ });
  // entry point outside the PT_LOAD segment
  t.throws(() => planKernelLoad(parseElf64(patched(24, [0, 0, 0, 0, 0, 0, 0, 0]))), { message: /entry point 0x0 is outside every PT_LOAD/ });
});

t.test('fuzz: random corruption of a real image never throws anything but ElfError', async (t) => {
  const runs = process.env.COLINUX_LONG_TESTS === '1' ? 100_000 : 2000;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(guest.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(guest.length),
      (edits, cut) => {
        const copy = Uint8Array.from(guest.subarray(0, Math.max(cut, 64)));
        for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
        try {
          const plan = planKernelLoad(parseElf64(copy));
          for (const p of plan.pieces) if (p.data && p.data.length !== p.size) return false;
        } catch (err) {
          if (!(err instanceof ElfError)) throw err;
        }
        return true;
      },
    ),
    { numRuns: runs },
  );
  t.pass(`${runs} corrupted images handled`);
});
