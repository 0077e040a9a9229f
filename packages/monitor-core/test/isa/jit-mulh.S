#include "harness.h"
// The translator (cpu/jit.ts) and mulh/mulhsu/mulhu: edge operands in a loop run 30,000 times,
// so that translated code computes the high products (unpriv spec 13.1); the expected
// value folds the 15 results as acc = acc * 31 + r.
tests:
  TEST 1
  li s3, 30000
1:
  li s2, 0
  li s4, 31
  li a1, 0x8000000000000000
  li a2, 0x8000000000000000
  mulh a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhsu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  li a1, 0xffffffffffffffff
  li a2, 0xffffffffffffffff
  mulh a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhsu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  li a1, 0x123456789abcdef0
  li a2, 0xfedcba9876543210
  mulh a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhsu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  li a1, 0x7fffffffffffffff
  li a2, 0xffffffffffffffff
  mulh a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhsu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  li a1, 0x3
  li a2, 0x8000000000000001
  mulh a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhsu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  mulhu a0, a1, a2
  mul s2, s2, s4
  add s2, s2, a0
  addi s3, s3, -1
  bnez s3, 1b

  CHECK s2, 0x5608d6facba0ab2
  j pass
