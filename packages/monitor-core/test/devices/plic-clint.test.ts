// PLIC (RISC-V PLIC spec 1.0.0) claim/complete with priorities, thresholds and the M/S contexts
// in QEMU virt order; CLINT mtimecmp/msip (priv spec §3.2.1).

import t from 'tap';
import { Plic } from '../../src/machine/devices/plic.ts';
import { Clint, CLINT_MSIP, CLINT_MTIME, CLINT_MTIME_HI, CLINT_MTIMECMP, CLINT_MTIMECMP_HI } from '../../src/machine/devices/clint.ts';
import { BOARD, MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, PLIC_SOURCES } from '../../src/machine/memory-map.ts';
import { MipBits } from './mip.ts';

const ENABLE_S = 0x2080;
const ENABLE_M = 0x2000;
const THRESHOLD_S = 0x201000;
const CLAIM_S = 0x201004;
const CLAIM_M = 0x200004;

t.test('PLIC: S context claim/complete, priorities, threshold', async (t) => {
  const hart = new MipBits();
  const plic = new Plic(BOARD.plic, PLIC_SOURCES, hart);
  plic.write(4 * 10, 4, 1);
  plic.write(4 * 3, 4, 5);
  plic.write(ENABLE_S, 4, (1 << 10) | (1 << 3));
  plic.setLevel(10, true);
  t.equal(hart.mip & MIP_SEIP, MIP_SEIP, 'SEIP raised for an enabled source');
  t.equal(hart.mip & MIP_MEIP, 0, 'M context has nothing enabled');
  t.equal(plic.read(0x1000, 4), 1 << 10, 'pending bit visible');
  plic.setLevel(3, true);
  t.equal(plic.read(CLAIM_S, 4), 3, 'highest priority first');
  t.equal(plic.read(CLAIM_S, 4), 10, 'then the next');
  t.equal(plic.read(CLAIM_S, 4), 0, 'nothing left while both in service');
  t.equal(hart.mip & MIP_SEIP, 0, 'SEIP drops when nothing is claimable');
  plic.write(CLAIM_S, 4, 3);
  t.equal(hart.mip & MIP_SEIP, MIP_SEIP, 'a level still high re-pends after completion');
  plic.setLevel(3, false);
  t.equal(hart.mip & MIP_SEIP, 0, 'dropping the line withdraws the request');
  plic.write(CLAIM_S, 4, 10);
  plic.write(THRESHOLD_S, 4, 1);
  t.equal(hart.mip & MIP_SEIP, 0, 'priority 1 does not exceed threshold 1');
  plic.write(THRESHOLD_S, 4, 0);
  t.equal(hart.mip & MIP_SEIP, MIP_SEIP);
  t.equal(plic.read(CLAIM_S, 4), 10);
});

t.test('PLIC: priority 0 never interrupts; M context is separate; source 0 cannot be enabled', async (t) => {
  const hart = new MipBits();
  const plic = new Plic(BOARD.plic, PLIC_SOURCES, hart);
  plic.write(ENABLE_M, 4, 0xffffffff);
  t.equal(plic.read(ENABLE_M, 4), 0xfffffffe);
  plic.setLevel(5, true);
  t.equal(hart.mip, 0, 'priority 0 means disabled');
  plic.write(4 * 5, 4, 7);
  t.equal(hart.mip, MIP_MEIP);
  t.equal(plic.read(CLAIM_M, 4), 5);
  t.equal(plic.read(CLAIM_S, 4), 0);
  t.throws(() => plic.line(128));
});

t.test('CLINT: mtimecmp drives MTIP, msip drives MSIP, mtime follows the clock', async (t) => {
  const hart = new MipBits();
  let now = 1000;
  const clint = new Clint(BOARD.clint, hart, () => now);
  t.equal(clint.read(CLINT_MTIME, 4), 1000);
  clint.write(CLINT_MTIMECMP_HI, 4, 0);
  clint.write(CLINT_MTIMECMP, 4, 1500);
  t.equal(hart.mip & MIP_MTIP, 0);
  now = 1500;
  clint.tick(now);
  t.equal(hart.mip & MIP_MTIP, MIP_MTIP, 'due at mtime >= mtimecmp');
  clint.write(CLINT_MTIMECMP, 4, 5000);
  t.equal(hart.mip & MIP_MTIP, 0, 'reprogramming clears it');
  clint.write(CLINT_MSIP, 4, 1);
  t.equal(hart.mip & MIP_MSIP, MIP_MSIP);
  clint.write(CLINT_MSIP, 4, 0);
  t.equal(hart.mip & MIP_MSIP, 0);
  now = 0x1_2345_6789;
  t.equal(clint.read(CLINT_MTIME_HI, 4), 1);
  t.equal(clint.read(CLINT_MTIME, 4), 0x2345_6789);
});

t.test('PLIC and CLINT: save() is plain data; new ones restored from it raise the same interrupts', async (t) => {
  const hart = new MipBits();
  const plic = new Plic(BOARD.plic, PLIC_SOURCES, hart);
  plic.write(4 * 10, 4, 1);
  plic.write(4 * 3, 4, 5);
  plic.write(ENABLE_S, 4, (1 << 10) | (1 << 3));
  plic.setLevel(3, true);
  plic.setLevel(10, true);
  t.equal(plic.read(CLAIM_S, 4), 3, 'source 3 in service');
  const saved = JSON.parse(JSON.stringify(plic.save()));
  const hart2 = new MipBits();
  const plic2 = new Plic(BOARD.plic, PLIC_SOURCES, hart2);
  plic2.restore(saved);
  t.same(plic2.save(), plic.save(), 'same state');
  t.equal(hart2.mip, hart.mip, 'SEIP as before');
  t.equal(plic2.read(CLAIM_S, 4), 10, 'source 10 still pending, 3 still in service');
  plic2.write(CLAIM_S, 4, 3);
  t.equal(plic2.read(CLAIM_S, 4), 3, 'completing 3 re-pends its high line');
  t.throws(() => new Plic(BOARD.plic, 31, new MipBits()).restore(saved), /saved PLIC has 127 sources, this one 31/);

  let now = 1000;
  const clint = new Clint(BOARD.clint, hart, () => now);
  clint.write(CLINT_MTIMECMP_HI, 4, 0);
  clint.write(CLINT_MTIMECMP, 4, 1500);
  clint.write(CLINT_MSIP, 4, 1);
  const clintHart = new MipBits();
  const clint2 = new Clint(BOARD.clint, clintHart, () => now);
  clint2.restore(JSON.parse(JSON.stringify(clint.save())));
  t.equal(clint2.read(CLINT_MTIMECMP, 4), 1500, 'mtimecmp');
  t.equal(clintHart.mip, MIP_MSIP, 'MSIP restored, MTIP not yet due');
  now = 1500;
  clint2.tick(now);
  t.equal(clintHart.mip, MIP_MSIP | MIP_MTIP, 'MTIP when mtime reaches the restored mtimecmp');
});
