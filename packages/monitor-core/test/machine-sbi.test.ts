// The monitor's SBI (SBI spec 2.0) and the kernel-log watcher, driven through the same register
// interface the hart's EXIT_SBI uses.

import t from 'tap';
import { Termination } from '@colinux/protocol';
import { Sbi, type SbiHost } from '../src/machine/sbi/sbi.ts';
import { KernelLog } from '../src/machine/sbi/kernel-log.ts';
import { GuestRam } from '../src/machine/guest-ram.ts';
import { MIP_SSIP, MIP_STIP, RAM_BASE } from '../src/machine/memory-map.ts';

function harness() {
  const regs = new Array<bigint>(32).fill(0n);
  const h = {
    mip: 0,
    flushes: 0,
    sstc: false,
    stimecmp: -1n,
    console: [] as number[],
    input: [...'hi'].map((c) => c.charCodeAt(0)),
    terminations: [] as Array<[number, string | undefined]>,
  };
  const host: SbiHost = {
    reg: (n) => regs[n]!,
    setReg: (n, v) => {
      regs[n] = v;
    },
    setPending: (m) => {
      h.mip |= m;
    },
    clearPending: (m) => {
      h.mip &= ~m;
    },
    flushTlb: () => {
      h.flushes++;
    },
    setStimecmp: (v) => {
      h.stimecmp = v;
      return h.sstc;
    },
    ram: new GuestRam(new ArrayBuffer(65536), 0, 65536),
    consoleWrite: (b) => h.console.push(...b),
    consoleRead: () => h.input.shift() ?? -1,
    terminate: (r, text) => h.terminations.push([r, text]),
  };
  const sbi = new Sbi(host);
  const call = (eid: number, fid: number, ...args: bigint[]) => {
    regs[17] = BigInt(eid);
    regs[16] = BigInt(fid);
    args.forEach((a, i) => {
      regs[10 + i] = a;
    });
    sbi.handleEcall();
    return [BigInt.asIntN(64, regs[10]!), regs[11]!] as const;
  };
  return { h, host, sbi, call };
}

t.test('BASE: spec 2.0, probe, ids', async (t) => {
  const { call } = harness();
  t.same(call(0x10, 0), [0n, 0x2000000n], 'spec version 2.0');
  t.same(call(0x10, 3, 0x4442434en), [0n, 1n], 'DBCN present');
  t.same(call(0x10, 3, 0x54494d45n), [0n, 1n], 'TIME present');
  t.same(call(0x10, 3, 0x504d55n), [0n, 0n], 'PMU absent');
  t.same(call(0x10, 4), [0n, 0n], 'mvendorid');
  t.same(call(0x10, 99), [-2n, 0n]);
  t.same(call(0x12345678, 0), [-2n, 0n], 'unknown extension: NOT_SUPPORTED');
});

t.test('TIME: set_timer arms STIP at the deadline and clears it', async (t) => {
  const { h, sbi, call } = harness();
  h.mip = MIP_STIP;
  call(0x54494d45, 0, 5000n);
  t.equal(h.mip & MIP_STIP, 0, 'programming clears the pending timer');
  sbi.tick(4999);
  t.equal(h.mip & MIP_STIP, 0);
  sbi.tick(5000);
  t.equal(h.mip & MIP_STIP, MIP_STIP);
  call(0x00, 0, (1n << 64n) - 1n);
  t.equal(sbi.timerDeadline, Number.MAX_SAFE_INTEGER, 'legacy set_timer to "never"');
  h.sstc = true;
  call(0x54494d45, 0, 777n);
  t.equal(h.stimecmp, 777n, 'with Sstc enabled the deadline goes to stimecmp');
  t.equal(sbi.timerDeadline, Number.MAX_SAFE_INTEGER);
});

t.test('IPI, RFENCE, HSM on one hart', async (t) => {
  const { h, call } = harness();
  call(0x735049, 0, 1n, 0n);
  t.equal(h.mip & MIP_SSIP, MIP_SSIP);
  h.mip = 0;
  call(0x735049, 0, 0n, (1n << 64n) - 1n);
  t.equal(h.mip & MIP_SSIP, MIP_SSIP, 'base -1 = all harts');
  t.same(call(0x52464e43, 1, 1n, 0n, 0n, 4096n), [0n, 0n]);
  t.equal(h.flushes, 1);
  t.same(call(0x48534d, 2, 0n), [0n, 0n], 'hart 0 STARTED');
  t.same(call(0x48534d, 2, 1n), [-3n, 0n], 'hart 1 does not exist');
  t.same(call(0x48534d, 0, 0n, 0x80200000n, 0n), [-6n, 0n], 'hart 0 already started');
});

t.test('SRST: shutdown powers off, cold and warm reboot reboot', async (t) => {
  const { h, call } = harness();
  call(0x53525354, 0, 0n, 0n);
  call(0x53525354, 0, 1n, 0n);
  call(0x53525354, 0, 2n, 0n);
  t.same(call(0x53525354, 0, 7n, 0n), [-3n, 0n]);
  call(0x08, 0);
  t.same(
    h.terminations.map((x) => x[0]),
    [Termination.POWEROFF, Termination.REBOOT, Termination.REBOOT, Termination.POWEROFF],
  );
});

t.test('DBCN: write, read, write_byte; bad addresses refused', async (t) => {
  const { h, host, call } = harness();
  host.ram.slice(RAM_BASE + 0x100, 5).set(new TextEncoder().encode('boot!'));
  t.same(call(0x4442434e, 0, 5n, BigInt(RAM_BASE + 0x100), 0n), [0n, 5n]);
  t.same(call(0x4442434e, 2, 0x0an), [0n, 0n]);
  t.equal(new TextDecoder().decode(Uint8Array.from(h.console)), 'boot!\n');
  t.same(call(0x4442434e, 1, 8n, BigInt(RAM_BASE + 0x200), 0n), [0n, 2n], 'read returns what is there');
  t.equal(new TextDecoder().decode(host.ram.slice(RAM_BASE + 0x200, 2)), 'hi');
  t.same(call(0x4442434e, 0, 16n, 0x1000n, 0n), [-3n, 0n], 'outside RAM');
  t.same(call(0x4442434e, 0, 16n, 0n, 1n), [-3n, 0n], 'high address bits');
  t.same(call(0x01, 0, 0x41n)[0], 0n, 'legacy putchar');
  t.equal(h.console.at(-1), 0x41);
  t.same(call(0x02, 0)[0], -1n, 'legacy getchar: nothing');
});

t.test('kernel log: output passes through, panic and BUG lines terminate', async (t) => {
  const out: string[] = [];
  const ends: Array<[number, string]> = [];
  const log = new KernelLog(
    (b) => out.push(new TextDecoder().decode(b)),
    (r, text) => ends.push([r, text]),
  );
  const enc = new TextEncoder();
  log.write(enc.encode('[    0.000000] Linux version 6.12\n[    1.5] Kernel pan'));
  t.same(ends, []);
  log.write(enc.encode('ic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n'));
  t.same(ends, [[Termination.PANIC, 'VFS: Unable to mount root fs on unknown-block(0,0)']]);
  log.write(enc.encode('[    2.0] kernel BUG at mm/slub.c:123!\n'));
  t.same(ends[1], [Termination.BUG, 'mm/slub.c:123']);
  t.match(out.join(''), /Linux version 6\.12/);
});
