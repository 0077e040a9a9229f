// The DTB we write, read back by the reference tool (`dtc -I dtb -O dts`, Debian package
// device-tree-compiler), and the boot-line defaults.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { buildDtb, bootargs } from '../src/machine/dtb/machine-dtb.ts';
import { BOARD } from '../src/machine/memory-map.ts';
import { requireTool } from '../../../test/tools.ts';

requireTool('dtc');

function decompile(dtb: Uint8Array): string {
  const dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', '-q', '-'], { input: dtb, encoding: 'utf8' });
  // dtc prints some string lists as one string with \0 separators; compare them as lists.
  return dts.replaceAll('\\0', '", "');
}

t.test('dtc reads back the machine tree', async (t) => {
  const dtb = buildDtb({
    ramSize: 128 * 1024 * 1024,
    bootargs: 'console=hvc0 earlycon=sbi keep_bootcon root=/dev/vda',
    initrd: { start: 0x87000000, end: 0x87123456 },
    // The board table's entries; the expectations below spell out QEMU virt's addresses and IRQs.
    uarts: [
      { unit: 0, ...BOARD.uart(0) },
      { unit: 2, ...BOARD.uart(2) },
    ],
    virtio: [BOARD.virtio(0), BOARD.virtio(1)],
    sstc: true,
    rngSeed: new Uint8Array(64).fill(7),
  });
  t.equal(new DataView(dtb.buffer).getUint32(0), 0xd00dfeed, 'FDT magic');
  const dts = decompile(dtb);
  t.match(dts, /bootargs = "console=hvc0 earlycon=sbi keep_bootcon root=\/dev\/vda";/);
  t.match(dts, /linux,initrd-start = <0x00 0x87000000>;/);
  t.match(dts, /linux,initrd-end = <0x00 0x87123456>;/);
  t.match(dts, /stdout-path = "\/soc\/serial@10000000";/);
  t.match(dts, /memory@80000000 \{[^}]*reg = <0x00 0x80000000 0x00 0x8000000>;/s);
  t.match(dts, /riscv,isa = "rv64imafdc_zicsr_zifencei_zicntr_sstc";/);
  t.match(dts, /riscv,isa-base = "rv64i";/);
  t.match(dts, /riscv,isa-extensions = "i", "m", "a", "f", "d", "c", "zicsr", "zifencei", "zicntr", "sstc";/);
  t.match(dts, /timebase-frequency = <0x989680>;/);
  t.match(dts, /mmu-type = "riscv,sv39";/);
  t.match(dts, /compatible = "riscv,cpu-intc";/);
  t.match(dts, /plic@c000000 \{[^}]*interrupts-extended = <0x01 0x0b 0x01 0x09>;/s);
  t.match(dts, /clint@2000000 \{[^}]*interrupts-extended = <0x01 0x03 0x01 0x07>;/s);
  t.match(dts, /serial@10000000 \{[^}]*compatible = "ns16550a";[^}]*interrupts = <0x0a>;/s);
  t.match(dts, /virtio_mmio@10002000 \{[^}]*interrupts = <0x02>;/s);
  t.match(dts, /virtio_mmio@10001000 \{[^}]*reg = <0x00 0x10001000 0x00 0x1000>;[^}]*interrupts = <0x01>;/s);
  t.match(dts, /serial@10000200 \{[^}]*reg = <0x00 0x10000200 0x00 0x100>;[^}]*interrupts = <0x0d>;/s);
  t.match(dts, /rtc@101000 \{[^}]*google,goldfish-rtc/s);
  t.match(dts, /test@100000 \{[^}]*"sifive,test1", "sifive,test0", "syscon"/s);
  t.match(dts, /poweroff \{[^}]*syscon-poweroff[^}]*value = <0x5555>;/s);
  t.match(dts, /reboot \{[^}]*syscon-reboot[^}]*value = <0x7777>;/s);
  t.match(dts, /rng-seed = <0x7070707 /);
  t.match(dts, /aliases \{[^}]*serial0 = "\/soc\/serial@10000000";[^}]*serial2 = "\/soc\/serial@10000200";/s, 'UART units keep their numbers');
});

t.test('without UARTs there is no stdout-path and no serial node', async (t) => {
  const dts = decompile(buildDtb({ ramSize: 1 << 26, bootargs: '', uarts: [], virtio: [], sstc: false, rngSeed: new Uint8Array(8) }));
  t.notMatch(dts, /stdout-path/);
  t.notMatch(dts, /serial@/);
  t.notMatch(dts, /aliases/);
  t.notMatch(dts, /initrd/);
  t.match(dts, /riscv,isa = "rv64imafdc_zicsr_zifencei_zicntr";/);
});

t.test('boot line: defaults first, dropped when the user gives their own', async (t) => {
  t.equal(bootargs('root=/dev/vda ro'), 'console=hvc0 earlycon=sbi keep_bootcon root=/dev/vda ro');
  t.equal(bootargs('console=ttyS0 root=/dev/vda'), 'earlycon=sbi keep_bootcon console=ttyS0 root=/dev/vda');
  t.equal(bootargs('earlycon=uart8250,mmio,0x10000000 quiet'), 'console=hvc0 earlycon=uart8250,mmio,0x10000000 quiet');
  t.equal(bootargs(''), 'console=hvc0 earlycon=sbi keep_bootcon');
});
