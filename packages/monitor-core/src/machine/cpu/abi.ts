// The numbers of the CPU core's contract (docs/cpu-core.md) that both sides of it use, declared
// once: the AssemblyScript core imports this file (through layout.ts and jit.ts) and so does the
// TypeScript host (machine/hart.ts, machine/memory-map.ts, machine/machine.ts). It therefore
// holds only `export const NAME = <number literal>;`, which both compilers accept: asc infers i32
// (i64 above i32's range) and TypeScript `number`. Where guest RAM, the ROM and the state block
// sit in wasm memory is not here: the host asks the core (ramBase(), romBase(), statePtr()).

// Exit reasons returned by run().
export const EXIT_BUDGET = 0;
export const EXIT_WFI = 1;
export const EXIT_SBI = 2;
export const EXIT_HALT = 3;

// The architectural state block at statePtr(): byte offsets of its fields, little-endian.
/** x[0..31], i64 each (x0 reads 0). */
export const STATE_X = 0;
/** f[0..31], i64 each (raw bits, NaN-boxed singles). */
export const STATE_F = 256;
/** pc, i64. */
export const STATE_PC = 512;
/** mtime, i64: the host writes the current time in timebase ticks before each run. */
export const STATE_MTIME = 520;
/** exitValue, i64: for EXIT_HALT, the value written to tohost. */
export const STATE_EXIT_VALUE = 528;
/** priv, i32 (PRIV_*). */
export const STATE_PRIV = 536;
export const STATE_SIZE = 544;

// Privilege levels (the state block's priv, setPriv).
export const PRIV_U = 0;
export const PRIV_S = 1;
export const PRIV_M = 3;

// The guest physical map the core implements (machine/memory-map.ts places the board around it).
/** The boot ROM is guest physical [0, ROM_SIZE): readable, executable, writes ignored. */
export const ROM_SIZE = 0x10000;
/** init() leaves pc here, in the ROM. */
export const RESET_PC = 0x1000;
/** Guest RAM starts at this physical address. */
export const RAM_PHYS = 0x80000000;

// The translator's hand-over (the jitCompile import).
/** Where the core lists, per function of the module it hands over, the function table index
 *  (u32) to put it at, or 0 for a new index the host writes back. */
export const JIT_SLOTS = 0x2c1000;
/** jitCompile's answer when the functions do not fit in the table: the core drops every
 *  translation at its next run. */
export const TABLE_FULL = -1;
/** The most indices the function table grows to (the core keeps them in u16 fields). */
export const MAX_TABLE_SLOTS = 40000;

// jitStats(which): the translator's statistics.
/** Calls from the interpreter into translated code. */
export const STAT_JIT_ENTRIES = 0;
/** Instructions run in translated code (including regions chained from those calls). */
export const STAT_JIT_INSNS = 1;
/** Blocks translated (members of regions). */
export const STAT_JIT_TRANSLATED = 2;
/** Cache entries of compiled code given up (their page written, or taken by another one). */
export const STAT_JIT_DROPPED = 3;
/** Batches compiled. */
export const STAT_JIT_BATCHES = 4;
/** Writes that reached the span of translated code in a page (each dropped what it overlapped). */
export const STAT_CODE_PAGE_WRITES = 5;
/** Regions translated. */
export const STAT_JIT_REGIONS = 6;
/** Block starts the interpreter looked up in the block cache. */
export const STAT_JIT_LOOKUPS = 7;
/** Misses of the decoded-instruction cache. */
export const STAT_DECODE_MISSES = 8;
/** Writes to pages holding translated code that dropped nothing (same bytes, or beside it). */
export const STAT_CODE_PAGE_DATA_WRITES = 9;
/** Flushes: every translation dropped because the function table was full. */
export const STAT_JIT_FLUSHES = 10;
