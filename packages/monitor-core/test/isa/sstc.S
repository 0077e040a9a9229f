// Sstc (stimecmp, menvcfg.STCE): STIP follows time >= stimecmp and is not writable through mip,
// S-mode access needs STCE and mcounteren.TM, and the delegated timer interrupt reaches S.
#include "harness.h"
#define STCE (1 << 63)
tests:
  TEST 1 // with STCE set, STIP mirrors the comparator
  li a0, STCE
  csrs menvcfg, a0
  li a0, 2
  csrw mcounteren, a0
  csrw stimecmp, zero
  csrr a1, mip
  andi a1, a1, 1 << 5
  beqz a1, fail
  li a0, -1
  csrw stimecmp, a0
  csrr a1, mip
  andi a1, a1, 1 << 5
  bnez a1, fail
  li a0, 1 << 5
  csrs mip, a0 // not writable while STCE is set
  csrr a1, mip
  andi a1, a1, 1 << 5
  bnez a1, fail

  TEST 2 // S-mode access: allowed with STCE and TM
  ENTER_MODE 1, 1f
1: csrr a0, stimecmp
  CHECK a0, -1
  CHECK_MTRAP 0
  BACK_TO_M 2f
2: csrw mcounteren, zero
  ENTER_MODE 1, 3f
3: csrr a0, stimecmp
  CHECK_MTRAP 2
  BACK_TO_M 4f
4: li a0, 2
  csrw mcounteren, a0
  li a0, STCE
  csrc menvcfg, a0
  ENTER_MODE 1, 5f
5: csrw stimecmp, zero
  CHECK_MTRAP 2
  BACK_TO_M 6f
6: li a0, STCE
  csrs menvcfg, a0

  TEST 3 // the delegated supervisor timer interrupt is taken in S
  li a0, 1 << 5
  csrw mideleg, a0
  csrw mie, a0
  ENTER_MODE 1, 1f
1: csrsi sstatus, 2
  csrw stimecmp, zero
  nop
  nop
  csrci sstatus, 2
  CHECK_STRAP 0x8000000000000005
  li a0, -1
  csrw stimecmp, a0
  BACK_TO_M 2f
2: csrw mideleg, zero
  csrw mie, zero
  j pass
