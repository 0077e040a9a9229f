// Code the host writes behind the hart's back (DMA by the virtio devices, the SBI console): the
// translator keeps no check of a block's guest bytes, so the host must report such writes
// through the core's `ramWritten` export (docs/cpu-core.md), and code translated from the
// written bytes must not run again. Driven through the real Hart (hart.ts), whose jitCompile
// really compiles the translated blocks.
import t, { type Test } from 'tap';
import { Hart } from '../src/machine/hart.ts';
import { GuestRam } from '../src/machine/guest-ram.ts';

const RAM = 0x8000_0000;
const RAM_SIZE = 1 << 20;
const FUNC = 0x1000; // RAM offset of the called function

const ADDI_A0_A0 = (imm: number) => ((imm & 0xfff) << 20) | (10 << 15) | (10 << 7) | 0x13;
const RET = 0x00008067;
/** jal rd, offset (unpriv spec 2.5). */
const JAL = (rd: number, off: number) =>
  (((off >> 20) & 1) << 31) | (((off >> 1) & 0x3ff) << 21) | (((off >> 11) & 1) << 20) | (((off >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;

function machine() {
  const hart = new Hart(RAM_SIZE, { read: () => 0, write: () => {} });
  const ram = new GuestRam(hart.memory.buffer, hart.ramBase, RAM_SIZE);
  ram.onWrite = (offset, len) => hart.cpu.ramWritten(offset, len);
  // 0: jal ra, FUNC / 4: jal x0, 0 (back to 0), forever; FUNC: addi a0, a0, 1 / ret
  ram.view.setUint32(0, JAL(1, FUNC), true);
  ram.view.setUint32(4, JAL(0, -4), true);
  ram.view.setUint32(FUNC, ADDI_A0_A0(1), true);
  ram.view.setUint32(FUNC + 4, RET, true);
  hart.cpu.setPriv(3);
  hart.cpu.setPc(BigInt(RAM));
  return { hart, ram };
}

/** Run whole rounds of the loop (4 instructions each, the pc back at 0) and return a0's growth
 *  per round. */
function perRound(t: Test, hart: Hart, rounds: number): number {
  const a0 = hart.reg(10);
  t.equal(hart.pc, BigInt(RAM), 'at the start of a round');
  hart.cpu.run(4 * rounds);
  t.equal(hart.pc, BigInt(RAM), 'whole rounds ran');
  return Number(hart.reg(10) - a0) / rounds;
}

t.test('a function rewritten by the host (DMA) runs its new code once ramWritten reports it', async (t) => {
  const { hart, ram } = machine();
  t.equal(perRound(t, hart, 200_000), 1);
  t.ok(hart.cpu.jitStats(1) > 400_000n, 'the loop ran translated');
  // As a virtio device does: bytes into a writable buffer, then the report (virtio/mmio.ts).
  ram.bytes.set(new Uint8Array(new Uint32Array([ADDI_A0_A0(2)]).buffer), FUNC);
  ram.written(FUNC, 4);
  t.equal(perRound(t, hart, 200_000), 2, 'every later call adds 2');
  t.equal(hart.cpu.jitStats(5), 1n, 'one write to a page holding translated code');
  t.ok(hart.cpu.jitStats(1) > 1_200_000n, 'the new code was translated too');
});

t.test('host writes to pages without translated code cost nothing and change nothing', async (t) => {
  const { hart, ram } = machine();
  t.equal(perRound(t, hart, 200_000), 1);
  ram.written(0x8000, 0x4000);
  ram.written(RAM_SIZE - 4, 4);
  t.equal(perRound(t, hart, 1000), 1);
  t.equal(hart.cpu.jitStats(5), 0n);
});
