// The machine's devicetree: QEMU-virt node names and addresses (QEMU hw/riscv/virt.c), both
// ISA properties (`riscv,isa` for older kernels, `riscv,isa-base`/`-extensions` for 6.6+ with
// the fallback off), and /chosen carrying the coLinux boot line, initrd and rng seed.

import { FdtWriter, concat, empty, str, u32, u64 } from './fdt-writer.ts';
import { BOARD, PLIC_SOURCES, RAM_BASE, TIMEBASE_HZ, type IrqPlacement } from '../memory-map.ts';

const PHANDLE_INTC = 1;
const PHANDLE_PLIC = 2;
const PHANDLE_TEST = 3;
// Interrupt numbers on the hart-local controller (priv spec §3.1.9 mip bit positions).
const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const IRQ_S_EXT = 9;
const IRQ_M_EXT = 11;

export const ISA_EXTENSIONS = ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'zicntr'];

export interface DtbLayout {
  ramSize: number;
  bootargs: string;
  initrd?: { start: number; end: number };
  /** Each UART and virtio slot where the board table (memory-map.ts) puts it. */
  uarts: Array<IrqPlacement & { unit: number }>;
  virtio: IrqPlacement[];
  /** The core implements Sstc (docs/cpu-core.md: it compares stimecmp with mtime). */
  sstc: boolean;
  rngSeed: Uint8Array;
}

/** "console=hvc0 earlycon=sbi keep_bootcon" + the boot line, minus defaults it overrides. */
export function bootargs(bootLine: string): string {
  const tokens = bootLine.split(/\s+/).filter(Boolean);
  const has = (key: string) => tokens.some((t) => t === key || t.startsWith(`${key}=`));
  const defaults: string[] = [];
  if (!has('console')) defaults.push('console=hvc0');
  if (!has('earlycon')) defaults.push('earlycon=sbi', 'keep_bootcon');
  return [...defaults, ...tokens].join(' ');
}

function hex(n: number): string {
  return n.toString(16);
}

export function buildDtb(layout: DtbLayout): Uint8Array {
  const exts = layout.sstc ? [...ISA_EXTENSIONS, 'sstc'] : ISA_EXTENSIONS;
  const isa =
    'rv64imafdc' +
    exts
      .slice(6)
      .map((e) => `_${e}`)
      .join('');
  const w = new FdtWriter();
  w.beginNode('').prop('#address-cells', u32(2)).prop('#size-cells', u32(2)).prop('compatible', str('riscv-virtio')).prop('model', str('coLinux RISC-V virt'));

  w.beginNode('chosen').prop('bootargs', str(layout.bootargs));
  if (layout.initrd) {
    w.prop('linux,initrd-start', u64(layout.initrd.start)).prop('linux,initrd-end', u64(layout.initrd.end));
  }
  // The kernel's console is hvc0 (bootargs); a UART only becomes stdout when one exists.
  if (layout.uarts.length) w.prop('stdout-path', str(`/soc/serial@${hex(layout.uarts[0]!.base)}`));
  w.prop('rng-seed', layout.rngSeed).endNode();

  // serialN aliases give each UART its coLinux unit as the Linux line number, so ttys1 alone
  // is still /dev/ttyS1 (of_serial uses of_alias_get_id).
  if (layout.uarts.length) {
    w.beginNode('aliases');
    for (const u of layout.uarts) w.prop(`serial${u.unit}`, str(`/soc/serial@${hex(u.base)}`));
    w.endNode();
  }

  w.beginNode(`memory@${hex(RAM_BASE)}`)
    .prop('device_type', str('memory'))
    .prop('reg', concat(u64(RAM_BASE), u64(layout.ramSize)))
    .endNode();

  w.beginNode('cpus').prop('#address-cells', u32(1)).prop('#size-cells', u32(0)).prop('timebase-frequency', u32(TIMEBASE_HZ));
  w.beginNode('cpu@0')
    .prop('device_type', str('cpu'))
    .prop('reg', u32(0))
    .prop('status', str('okay'))
    .prop('compatible', str('riscv'))
    .prop('riscv,isa', str(isa))
    .prop('riscv,isa-base', str('rv64i'))
    .prop('riscv,isa-extensions', str(...exts))
    .prop('mmu-type', str('riscv,sv39'));
  w.beginNode('interrupt-controller')
    .prop('#interrupt-cells', u32(1))
    .prop('interrupt-controller')
    .prop('compatible', str('riscv,cpu-intc'))
    .prop('phandle', u32(PHANDLE_INTC))
    .endNode();
  w.endNode().endNode();

  // syscon-poweroff/-reboot sit at the root as on QEMU virt.
  w.beginNode('poweroff')
    .prop('compatible', str('syscon-poweroff'))
    .prop('regmap', u32(PHANDLE_TEST))
    .prop('offset', u32(0))
    .prop('value', u32(0x5555))
    .endNode();
  w.beginNode('reboot').prop('compatible', str('syscon-reboot')).prop('regmap', u32(PHANDLE_TEST)).prop('offset', u32(0)).prop('value', u32(0x7777)).endNode();

  w.beginNode('soc').prop('#address-cells', u32(2)).prop('#size-cells', u32(2)).prop('compatible', str('simple-bus')).prop('ranges', empty());

  const { testFinisher, rtc, plic, clint } = BOARD;
  w.beginNode(`test@${hex(testFinisher.base)}`)
    .prop('compatible', str('sifive,test1', 'sifive,test0', 'syscon'))
    .prop('reg', concat(u64(testFinisher.base), u64(testFinisher.size)))
    .prop('phandle', u32(PHANDLE_TEST))
    .endNode();

  w.beginNode(`rtc@${hex(rtc.base)}`)
    .prop('compatible', str('google,goldfish-rtc'))
    .prop('reg', concat(u64(rtc.base), u64(rtc.size)))
    .prop('interrupt-parent', u32(PHANDLE_PLIC))
    .prop('interrupts', u32(rtc.irq))
    .endNode();

  for (const uart of layout.uarts) {
    w.beginNode(`serial@${hex(uart.base)}`)
      .prop('compatible', str('ns16550a'))
      .prop('reg', concat(u64(uart.base), u64(uart.size)))
      .prop('clock-frequency', u32(3_686_400))
      .prop('interrupt-parent', u32(PHANDLE_PLIC))
      .prop('interrupts', u32(uart.irq))
      .endNode();
  }

  for (const v of layout.virtio) {
    w.beginNode(`virtio_mmio@${hex(v.base)}`)
      .prop('compatible', str('virtio,mmio'))
      .prop('reg', concat(u64(v.base), u64(v.size)))
      .prop('interrupt-parent', u32(PHANDLE_PLIC))
      .prop('interrupts', u32(v.irq))
      .endNode();
  }

  w.beginNode(`plic@${hex(plic.base)}`)
    .prop('#address-cells', u32(0))
    .prop('#interrupt-cells', u32(1))
    .prop('interrupt-controller')
    .prop('compatible', str('sifive,plic-1.0.0', 'riscv,plic0'))
    .prop('reg', concat(u64(plic.base), u64(plic.size)))
    .prop('riscv,ndev', u32(PLIC_SOURCES))
    // Context 0 = hart 0 M-mode, context 1 = hart 0 S-mode, the order QEMU virt uses.
    .prop('interrupts-extended', u32(PHANDLE_INTC, IRQ_M_EXT, PHANDLE_INTC, IRQ_S_EXT))
    .prop('phandle', u32(PHANDLE_PLIC))
    .endNode();

  w.beginNode(`clint@${hex(clint.base)}`)
    .prop('compatible', str('sifive,clint0', 'riscv,clint0'))
    .prop('reg', concat(u64(clint.base), u64(clint.size)))
    .prop('interrupts-extended', u32(PHANDLE_INTC, IRQ_M_SOFT, PHANDLE_INTC, IRQ_M_TIMER))
    .endNode();

  w.endNode().endNode();
  return w.finish();
}
