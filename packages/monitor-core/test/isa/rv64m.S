// RV64M: multiply (low and all three high forms), divide and remainder including division by
// zero and signed overflow, which must not trap (unpriv spec 13.2, table 13.1).
#include "harness.h"
tests:
  TEST 1
  li a0, 0x123456789
  li a1, -3
  mul a2, a0, a1
  CHECK a2, -0x369d0369b
  li a0, -1
  li a1, -1
  mulh a2, a0, a1
  CHECK a2, 0
  mulhu a2, a0, a1
  CHECK a2, -2
  mulhsu a2, a0, a1 // -1 * (2^64-1) = -(2^64-1): high word -1
  CHECK a2, -1
  li a0, 0x8000000000000000
  mulh a2, a0, a0
  CHECK a2, 0x4000000000000000
  li a1, 3
  mulhsu a2, a0, a1
  CHECK a2, -2
  li a0, 0xfedcba9876543210
  li a1, 0x0123456789abcdef
  mulhu a2, a0, a1
  CHECK a2, 0x0121fa00ad77d742
  mulh a2, a0, a1
  CHECK a2, 0xfffeb49923cc0953

  TEST 2
  li a0, -20
  li a1, 6
  div a2, a0, a1
  CHECK a2, -3
  rem a2, a0, a1
  CHECK a2, -2
  divu a2, a1, a1
  CHECK a2, 1
  divu a2, a0, a1
  CHECK a2, 0x2aaaaaaaaaaaaaa7
  remu a2, a0, a1
  CHECK a2, 2

  TEST 3 // by zero
  li a0, 42
  div a2, a0, zero
  CHECK a2, -1
  divu a2, a0, zero
  CHECK a2, -1
  rem a2, a0, zero
  CHECK a2, 42
  remu a2, a0, zero
  CHECK a2, 42
  divw a2, a0, zero
  CHECK a2, -1
  divuw a2, a0, zero
  CHECK a2, -1
  remw a2, a0, zero
  CHECK a2, 42
  remuw a2, a0, zero
  CHECK a2, 42

  TEST 4 // signed overflow
  li a0, 0x8000000000000000
  li a1, -1
  div a2, a0, a1
  CHECK a2, 0x8000000000000000
  rem a2, a0, a1
  CHECK a2, 0
  li a0, -0x80000000
  divw a2, a0, a1
  CHECK a2, -0x80000000
  remw a2, a0, a1
  CHECK a2, 0

  TEST 5 // W forms use and sign-extend 32 bits
  li a0, 0x100000007
  li a1, 0x2fffffffe
  mulw a2, a0, a1
  CHECK a2, -14
  divw a2, a0, a1
  CHECK a2, -3
  remw a2, a0, a1
  CHECK a2, 1
  li a0, 0xffffffff
  li a1, 2
  divuw a2, a0, a1
  CHECK a2, 0x7fffffff
  remuw a2, a0, a1
  CHECK a2, 1
  li a0, 0x80000000
  li a1, 1
  divuw a2, a0, a1
  CHECK a2, 0xffffffff80000000
  j pass
