// colinux-bare-metal: run a bare-metal RV64 ELF (riscv-tests style) on the wasm core in M-mode and
// exit with its result. Output: bytes written to the 16550 THR and HTIF console putchar. Result:
// HTIF `tohost` (1 = pass, (code << 1) | 1 = fail) or the SiFive test finisher (0x5555 pass,
// 0x3333 | code << 16 fail).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { usageErrorsOneLine } from '@colinux/client/cli';
import { EXIT_HALT, EXIT_WFI, Hart } from '../machine/hart.ts';
import { BareMetalBoard } from './board.ts';
import { MIP_MSIP, MIP_MTIP, RAM_BASE } from '../machine/memory-map.ts';
import {
  PRIV_M,
  STAT_CODE_PAGE_WRITES,
  STAT_JIT_BATCHES,
  STAT_JIT_DROPPED,
  STAT_JIT_ENTRIES,
  STAT_JIT_FLUSHES,
  STAT_JIT_INSNS,
  STAT_JIT_REGIONS,
  STAT_JIT_TRANSLATED,
} from '../machine/cpu/abi.ts';
import { parseElf } from './elf.ts';

/** RAM_BASE as a bigint, for ELF addresses. */
const RAM = BigInt(RAM_BASE);
/** Instructions per run() call: small enough that the CLINT timer is seen promptly. */
const SLICE = 20_000;
/** Timebase: one mtime tick per 10 retired instructions. */
const INSNS_PER_TICK = 10n;

interface Options {
  ram: string;
  maxInsns?: string;
  stats?: boolean;
}

function fail(message: string): never {
  process.stderr.write(`colinux-bare-metal: ${message}\n`);
  process.exit(2);
}

function main(): void {
  const program = usageErrorsOneLine(new Command('colinux-bare-metal'), 'colinux-bare-metal')
    .description('Run a bare-metal RISC-V ELF on the colinux CPU core')
    .argument('<elf>', `RV64 ELF linked at 0x${RAM_BASE.toString(16)}`)
    .option('--ram <MiB>', 'guest RAM in MiB', '64')
    .option('--max-insns <N>', 'stop with exit 124 after N instructions')
    .option('--stats', 'print instructions, seconds and MIPS to stderr')
    .parse();
  const [path] = program.args as [string];
  const opts = program.opts<Options>();
  const ramMiB = Number(opts.ram);
  if (!Number.isInteger(ramMiB) || ramMiB < 1 || ramMiB > 2048) fail(`--ram ${opts.ram}: need an integer 1..2048`);
  const maxInsns = opts.maxInsns === undefined ? Infinity : Number(opts.maxInsns);
  if (!(maxInsns > 0)) fail(`--max-insns ${opts.maxInsns}: need a positive number`);

  let file: Uint8Array;
  try {
    file = readFileSync(path);
  } catch (err) {
    fail(`${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let elf;
  try {
    elf = parseElf(file, path);
  } catch (err) {
    fail((err as Error).message);
  }

  const ramSize = ramMiB * 1024 * 1024;
  const output: number[] = [];
  const flush = () => {
    if (output.length) process.stdout.write(Buffer.from(output.splice(0)));
  };
  const board = new BareMetalBoard((b) => {
    output.push(b);
    if (b === 10 || output.length > 4096) flush();
  });
  // The timebase follows retired instructions (and skipped idle time), also between slices.
  let idleTicks = 0n;
  const hart: Hart = new Hart(ramSize, board, undefined, () => Number(hart.instret()) / Number(INSNS_PER_TICK) + Number(idleTicks));
  const ram = new Uint8Array(hart.memory.buffer, hart.ramBase, ramSize);
  for (const seg of elf.segments) {
    const off = seg.paddr - RAM;
    if (off < 0n || off + BigInt(seg.memSize) > BigInt(ramSize)) {
      fail(`${path}: segment at 0x${seg.paddr.toString(16)} (+${seg.memSize}) is outside RAM 0x${RAM_BASE.toString(16)}+${ramMiB}MiB`);
    }
    ram.set(seg.data, Number(off));
  }
  const tohost = elf.symbols.get('tohost');
  const fromhost = elf.symbols.get('fromhost');
  if (tohost !== undefined) hart.cpu.setTohost(Number(tohost));
  hart.cpu.setPc(elf.entry);
  hart.cpu.setPriv(PRIV_M);

  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  let result: number | null = null;
  const drivePending = () => {
    const mask = board.pendingMask();
    hart.clearPending(~mask & (MIP_MTIP | MIP_MSIP));
    hart.setPending(mask);
  };
  board.onInterruptChange = drivePending;
  while (result === null) {
    board.mtime = BigInt(hart.instret()) / INSNS_PER_TICK + idleTicks;
    hart.setMtime(Number(board.mtime));
    drivePending();
    const exit = hart.cpu.run(SLICE);
    if (board.finish) {
      result = board.finish.code;
    } else if (exit === EXIT_HALT) {
      const v = hart.exitValue;
      if (v >> 56n === 1n && ((v >> 48n) & 0xffn) === 1n) {
        board.write(0x1000_0000, 1, Number(v & 0xffn)); // HTIF console putchar (device 1, cmd 1)
        new DataView(hart.memory.buffer).setBigUint64(hart.ramBase + Number(tohost! - RAM), 0n, true);
        if (fromhost !== undefined) new DataView(hart.memory.buffer).setBigUint64(hart.ramBase + Number(fromhost - RAM), 1n, true);
      } else if (v & 1n) {
        result = Number(v >> 1n);
      } else {
        flush();
        fail(`${path}: unsupported HTIF request 0x${v.toString(16)} in tohost`);
      }
    } else if (exit === EXIT_WFI && board.pendingMask() === 0) {
      if (board.mtimecmp === 0xffff_ffff_ffff_ffffn) {
        flush();
        fail(`${path}: wfi at pc 0x${hart.pc.toString(16)} with no timer armed: nothing can wake the hart`);
      }
      // Skip the idle time: jump the clock to the armed compare value.
      idleTicks += board.mtimecmp - board.mtime;
    }
    if (hart.instret() >= maxInsns) {
      flush();
      process.stderr.write(`colinux-bare-metal: ${path}: stopped after ${hart.instret()} instructions (--max-insns), pc 0x${hart.pc.toString(16)}\n`);
      process.exit(124);
    }
  }
  flush();
  if (opts.stats) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const n = hart.instret();
    // CPU-time MIPS stays meaningful when the host is shared; wall-clock MIPS is what a user sees.
    process.stderr.write(
      `instructions ${n} seconds ${seconds.toFixed(3)} MIPS ${(n / seconds / 1e6).toFixed(1)} ` +
        `cpu-seconds ${cpuSeconds.toFixed(3)} cpu-MIPS ${(n / cpuSeconds / 1e6).toFixed(1)}\n`,
    );
    // The translator's statistics (docs/cpu-core.md, jitStats).
    const jit = (which: number) => Number(hart.cpu.jitStats(which));
    process.stderr.write(
      `translated ${((100 * jit(STAT_JIT_INSNS)) / Math.max(1, n)).toFixed(1)} % of instructions, ` +
        `${(jit(STAT_JIT_INSNS) / Math.max(1, jit(STAT_JIT_ENTRIES))).toFixed(0)} per entry, ` +
        `${jit(STAT_JIT_TRANSLATED)} blocks translated in ${jit(STAT_JIT_REGIONS)} regions, ` +
        `${jit(STAT_JIT_DROPPED)} entries dropped, ${jit(STAT_CODE_PAGE_WRITES)} writes to code pages, ` +
        `${jit(STAT_JIT_BATCHES)} batches, ${jit(STAT_JIT_FLUSHES)} flushes, ${hart.jitCompileMs.toFixed(0)} ms compiling\n`,
    );
  }
  process.exitCode = result === 0 ? 0 : result || 1;
}

main();
