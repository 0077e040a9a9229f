/*
 * Reference vectors for fpu.ts: runs the real RISC-V F/D instructions (under qemu-riscv64 in the
 * tests) on random and edge-case operands in every rounding mode and prints, one line each:
 *   <op> <rm> <a> <b> <c> <result> <fflags>
 * all hexadecimal. Operands are raw register bits (singles in the low 32 bits, integer sources
 * as the 64-bit x register); results are the destination register's bits (singles masked to 32).
 *
 * Build: riscv64-linux-gnu-gcc -O2 -static -o vectors vectors.c
 * Usage: vectors <seed> <rounds> [op]   (each round gives every operation, or only op, fresh
 *        operands)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rnd(void) {
  /* xorshift64*: deterministic per seed, so a failing line can be reproduced. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static const uint32_t edge32[] = {
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000,
  0xff800001, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000, 0x00800001,
  0x7f7fffff, 0xff7fffff, 0x7f7ffffe, 0x3f800000, 0xbf800000, 0x3f7fffff, 0x3f800001, 0x3f000000,
  0xbf000000, 0x3fc00000, 0xbfc00000, 0x40200000, 0xc0200000, 0x4f000000, 0xcf000000, 0x4effffff,
  0xceffffff, 0x4f800000, 0x4f7fffff, 0x5f000000, 0xdf000000, 0x5effffff, 0x5f800000, 0x5f7fffff,
  0x3effffff, 0x3f000001, 0x00400000, 0x00c00000, 0x34000000, 0x33800000, 0x0c000000, 0x72000000,
};
static const uint64_t edge64[] = {
  0x0000000000000000ULL, 0x8000000000000000ULL, 0x7ff0000000000000ULL, 0xfff0000000000000ULL,
  0x7ff8000000000000ULL, 0xfff8000000000000ULL, 0x7ff0000000000001ULL, 0x7ff4000000000000ULL,
  0xfff0000000000001ULL, 0x0000000000000001ULL, 0x8000000000000001ULL, 0x000fffffffffffffULL,
  0x800fffffffffffffULL, 0x0010000000000000ULL, 0x8010000000000000ULL, 0x0010000000000001ULL,
  0x7fefffffffffffffULL, 0xffefffffffffffffULL, 0x7feffffffffffffeULL, 0x3ff0000000000000ULL,
  0xbff0000000000000ULL, 0x3fefffffffffffffULL, 0x3ff0000000000001ULL, 0x3fe0000000000000ULL,
  0xbfe0000000000000ULL, 0x3ff8000000000000ULL, 0xbff8000000000000ULL, 0x4004000000000000ULL,
  0xc004000000000000ULL, 0x41e0000000000000ULL, 0xc1e0000000000000ULL, 0x41dfffffffffffffULL,
  0xc1e0000000200000ULL, 0x41efffffffe00000ULL, 0x41f0000000000000ULL, 0x43e0000000000000ULL,
  0xc3e0000000000000ULL, 0x43dfffffffffffffULL, 0x43f0000000000000ULL, 0x43efffffffffffffULL,
  0x41dfffffffc00000ULL, 0xc1e0000000100000ULL, 0x0008000000000000ULL, 0x3ca0000000000000ULL,
  0x47efffffe0000000ULL, 0x47f0000000000000ULL, 0x36a0000000000000ULL, 0x3690000000000000ULL,
  0x380fffffffffffffULL, 0x3810000000000000ULL, 0x7fe0000000000000ULL, 0x1ff0000000000000ULL,
};
#define COUNT(x) (sizeof(x) / sizeof((x)[0]))

/* A random single: edge value, or sign + an exponent from a region that stresses rounding
 * (subnormal, overflow edge, near 1, anywhere) + a significand that is random, short (so
 * results are often exact) or all ones. */
static uint32_t gen32(void) {
  unsigned pick = below(16);
  if (pick == 0) return edge32[below(COUNT(edge32))];
  if (pick == 1) return (uint32_t)rnd();
  uint32_t sign = below(2) << 31, exp, frac;
  switch (below(5)) {
    case 0: exp = below(4); break;
    case 1: exp = 250 + below(5); break;
    case 2: exp = 0x7f - 30 + below(61); break;
    case 3: exp = 0x7f - 2 + below(5); break;
    default: exp = 1 + below(253);
  }
  switch (below(4)) {
    case 0: frac = (uint32_t)rnd() & 0x7fffff & ~((1u << below(23)) - 1); break;
    case 1: frac = 0x7fffff ^ ((uint32_t)rnd() & 7); break;
    default: frac = (uint32_t)rnd() & 0x7fffff;
  }
  return sign | (exp << 23) | frac;
}

static uint64_t gen64(void) {
  unsigned pick = below(16);
  if (pick == 0) return edge64[below(COUNT(edge64))];
  if (pick == 1) return rnd();
  uint64_t sign = (uint64_t)below(2) << 63, exp, frac;
  switch (below(6)) {
    case 0: exp = below(4); break;
    case 1: exp = 2042 + below(5); break;
    case 2: exp = 0x3ff - 70 + below(141); break;
    case 3: exp = 0x3ff - 2 + below(5); break;
    case 4: exp = 0x380 - 30 + below(60); break; /* binary32's subnormal edge, for fcvt.s.d */
    default: exp = 1 + below(2045);
  }
  uint64_t m = 0xfffffffffffffULL;
  switch (below(4)) {
    case 0: frac = rnd() & m & ~((1ULL << below(52)) - 1); break;
    case 1: frac = m ^ (rnd() & 7); break;
    default: frac = rnd() & m;
  }
  return sign | (exp << 52) | frac;
}

/* A second operand related to the first often enough to hit cancellation and ties. */
static uint32_t near32(uint32_t a) {
  switch (below(6)) {
    case 0: return a ^ 0x80000000u;
    case 1: return a + (uint32_t)(below(5)) - 2;
    case 2: return (a ^ 0x80000000u) + (uint32_t)below(3) - 1;
    case 3: return (a & 0x807fffffu) | ((((a >> 23) & 0xff) + below(60) - 30) & 0xff) << 23;
    default: return gen32();
  }
}
static uint64_t near64(uint64_t a) {
  switch (below(6)) {
    case 0: return a ^ 0x8000000000000000ULL;
    case 1: return a + below(5) - 2;
    case 2: return (a ^ 0x8000000000000000ULL) + below(3) - 1;
    case 3: return (a & 0x800fffffffffffffULL) |
                   (((((a >> 52) & 0x7ff) + below(120) - 60) & 0x7ff) << 52);
    default: return gen64();
  }
}

/* A second operand that puts a*b (mul, fma) or a/b (div) right at the smallest normal or the
 * largest finite value, where tininess-after-rounding and overflow rounding are decided. */
static double d_of(uint64_t x) { union { uint64_t u; double d; } v = { x }; return v.d; }
static uint64_t bits_d(double d) { union { double d; uint64_t u; } v = { d }; return v.u; }
static float f_of(uint32_t x) { union { uint32_t u; float f; } v = { x }; return v.f; }
static uint32_t bits_f(float f) { union { float f; uint32_t u; } v = { f }; return v.u; }

static uint64_t aim64(uint64_t a, int divide) {
  static const uint64_t targets[] = { 0x0010000000000000ULL, 0x000fffffffffffffULL,
                                      0x7fefffffffffffffULL, 0x0000000000000001ULL };
  double t = d_of(targets[below(4)] | (uint64_t)below(2) << 63);
  double b = divide ? d_of(a) / t : t / d_of(a);
  return bits_d(b) + below(5) - 2;
}
static uint32_t aim32(uint32_t a, int divide) {
  static const uint32_t targets[] = { 0x00800000, 0x007fffff, 0x7f7fffff, 0x00000001 };
  float t = f_of(targets[below(4)] | below(2) << 31);
  float b = divide ? f_of(a) / t : t / f_of(a);
  return bits_f(b) + below(5) - 2;
}

/* Integers for fcvt.{s,d}.{w,wu,l,lu}: random widths so every rounding position shows up. */
static uint64_t genint(void) {
  uint64_t v = rnd();
  unsigned width = 1 + below(64);
  if (width < 64) v &= (1ULL << width) - 1;
  switch (below(8)) {
    case 0: return -v;
    case 1: return 0x8000000000000000ULL;
    case 2: return 0x7fffffffffffffffULL - below(3);
    case 3: return (int64_t)(int32_t)v;
    default: return v;
  }
}

/* One instruction with frm = rm, fflags cleared before and read after. Single results are read
 * with fmv.x.w (which sign-extends), so callers mask them. */
#define RUN(insn, move_in_a, move_in_b, move_in_c, move_out)                                     \
  __asm__ volatile("fsrm %[rm]\n\tfsflags x0\n\t" move_in_a " ft0, %[a]\n\t" move_in_b         \
                   " ft1, %[b]\n\t" move_in_c " ft2, %[c]\n\t" insn "\n\t" move_out          \
                   " %[r], ft3\n\tfrflags %[f]"                                                \
                   : [r] "=r"(r), [f] "=r"(f)                                                  \
                   : [a] "r"(a), [b] "r"(b), [c] "r"(c), [rm] "r"(rm)                          \
                   : "ft0", "ft1", "ft2", "ft3")
#define RUN_X(insn, move_in)                                                                    \
  __asm__ volatile("fsrm %[rm]\n\tfsflags x0\n\t" move_in " ft0, %[a]\n\t" insn              \
                   "\n\tfrflags %[f]"                                                          \
                   : [r] "=r"(r), [f] "=r"(f)                                                  \
                   : [a] "r"(a), [rm] "r"(rm)                                                  \
                   : "ft0")
#define RUN_XX(insn, move_in)                                                                   \
  __asm__ volatile("fsrm %[rm]\n\tfsflags x0\n\t" move_in " ft0, %[a]\n\t" move_in           \
                   " ft1, %[b]\n\t" insn "\n\tfrflags %[f]"                                    \
                   : [r] "=r"(r), [f] "=r"(f)                                                  \
                   : [a] "r"(a), [b] "r"(b), [rm] "r"(rm)                                      \
                   : "ft0", "ft1")
#define RUN_FROM_X(insn, move_out)                                                              \
  __asm__ volatile("fsrm %[rm]\n\tfsflags x0\n\t" insn "\n\t" move_out                        \
                   " %[r], ft3\n\tfrflags %[f]"                                                \
                   : [r] "=r"(r), [f] "=r"(f)                                                  \
                   : [a] "r"(a), [rm] "r"(rm)                                                  \
                   : "ft3")

enum kind { S2, S1, S3, D2, D1, D3, SCMP, DCMP, SCLS, DCLS, S2X, D2X, X2S, X2D, S2D, D2S };

static void emit(const char *name, int rm, uint64_t a, uint64_t b, uint64_t c, uint64_t r,
                 uint64_t f) {
  printf("%s %d %llx %llx %llx %llx %llx\n", name, rm, (unsigned long long)a,
         (unsigned long long)b, (unsigned long long)c, (unsigned long long)r,
         (unsigned long long)f);
}

#define S "fmv.w.x"
#define D "fmv.d.x"
#define OUT_S "fmv.x.w"
#define OUT_D "fmv.x.d"

static void run_op(int op, uint64_t a, uint64_t b, uint64_t c, int rm);

struct op { const char *name; enum kind kind; };
static const struct op ops[] = {
  {"fadd.s", S2}, {"fsub.s", S2}, {"fmul.s", S2}, {"fdiv.s", S2}, {"fsqrt.s", S1},
  {"fmadd.s", S3}, {"fmsub.s", S3}, {"fnmsub.s", S3}, {"fnmadd.s", S3},
  {"fmin.s", S2}, {"fmax.s", S2}, {"feq.s", SCMP}, {"flt.s", SCMP}, {"fle.s", SCMP},
  {"fclass.s", SCLS}, {"fcvt.w.s", S2X}, {"fcvt.wu.s", S2X}, {"fcvt.l.s", S2X},
  {"fcvt.lu.s", S2X}, {"fcvt.s.w", X2S}, {"fcvt.s.wu", X2S}, {"fcvt.s.l", X2S},
  {"fcvt.s.lu", X2S},
  {"fadd.d", D2}, {"fsub.d", D2}, {"fmul.d", D2}, {"fdiv.d", D2}, {"fsqrt.d", D1},
  {"fmadd.d", D3}, {"fmsub.d", D3}, {"fnmsub.d", D3}, {"fnmadd.d", D3},
  {"fmin.d", D2}, {"fmax.d", D2}, {"feq.d", DCMP}, {"flt.d", DCMP}, {"fle.d", DCMP},
  {"fclass.d", DCLS}, {"fcvt.w.d", D2X}, {"fcvt.wu.d", D2X}, {"fcvt.l.d", D2X},
  {"fcvt.lu.d", D2X}, {"fcvt.d.w", X2D}, {"fcvt.d.wu", X2D}, {"fcvt.d.l", X2D},
  {"fcvt.d.lu", X2D}, {"fcvt.d.s", S2D}, {"fcvt.s.d", D2S},
};

static void run_op(int op, uint64_t a, uint64_t b, uint64_t c, int rm) {
  uint64_t r = 0, f = 0;
  switch (op) {
    case 0: RUN("fadd.s ft3, ft0, ft1", S, S, S, OUT_S); break;
    case 1: RUN("fsub.s ft3, ft0, ft1", S, S, S, OUT_S); break;
    case 2: RUN("fmul.s ft3, ft0, ft1", S, S, S, OUT_S); break;
    case 3: RUN("fdiv.s ft3, ft0, ft1", S, S, S, OUT_S); break;
    case 4: RUN("fsqrt.s ft3, ft0", S, S, S, OUT_S); break;
    case 5: RUN("fmadd.s ft3, ft0, ft1, ft2", S, S, S, OUT_S); break;
    case 6: RUN("fmsub.s ft3, ft0, ft1, ft2", S, S, S, OUT_S); break;
    case 7: RUN("fnmsub.s ft3, ft0, ft1, ft2", S, S, S, OUT_S); break;
    case 8: RUN("fnmadd.s ft3, ft0, ft1, ft2", S, S, S, OUT_S); break;
    case 9: RUN("fmin.s ft3, ft0, ft1", S, S, S, OUT_S); break;
    case 10: RUN("fmax.s ft3, ft0, ft1", S, S, S, OUT_S); break;
    case 11: RUN_XX("feq.s %[r], ft0, ft1", S); break;
    case 12: RUN_XX("flt.s %[r], ft0, ft1", S); break;
    case 13: RUN_XX("fle.s %[r], ft0, ft1", S); break;
    case 14: RUN_X("fclass.s %[r], ft0", S); break;
    case 15: RUN_X("fcvt.w.s %[r], ft0, dyn", S); break;
    case 16: RUN_X("fcvt.wu.s %[r], ft0, dyn", S); break;
    case 17: RUN_X("fcvt.l.s %[r], ft0, dyn", S); break;
    case 18: RUN_X("fcvt.lu.s %[r], ft0, dyn", S); break;
    case 19: RUN_FROM_X("fcvt.s.w ft3, %[a], dyn", OUT_S); break;
    case 20: RUN_FROM_X("fcvt.s.wu ft3, %[a], dyn", OUT_S); break;
    case 21: RUN_FROM_X("fcvt.s.l ft3, %[a], dyn", OUT_S); break;
    case 22: RUN_FROM_X("fcvt.s.lu ft3, %[a], dyn", OUT_S); break;
    case 23: RUN("fadd.d ft3, ft0, ft1", D, D, D, OUT_D); break;
    case 24: RUN("fsub.d ft3, ft0, ft1", D, D, D, OUT_D); break;
    case 25: RUN("fmul.d ft3, ft0, ft1", D, D, D, OUT_D); break;
    case 26: RUN("fdiv.d ft3, ft0, ft1", D, D, D, OUT_D); break;
    case 27: RUN("fsqrt.d ft3, ft0", D, D, D, OUT_D); break;
    case 28: RUN("fmadd.d ft3, ft0, ft1, ft2", D, D, D, OUT_D); break;
    case 29: RUN("fmsub.d ft3, ft0, ft1, ft2", D, D, D, OUT_D); break;
    case 30: RUN("fnmsub.d ft3, ft0, ft1, ft2", D, D, D, OUT_D); break;
    case 31: RUN("fnmadd.d ft3, ft0, ft1, ft2", D, D, D, OUT_D); break;
    case 32: RUN("fmin.d ft3, ft0, ft1", D, D, D, OUT_D); break;
    case 33: RUN("fmax.d ft3, ft0, ft1", D, D, D, OUT_D); break;
    case 34: RUN_XX("feq.d %[r], ft0, ft1", D); break;
    case 35: RUN_XX("flt.d %[r], ft0, ft1", D); break;
    case 36: RUN_XX("fle.d %[r], ft0, ft1", D); break;
    case 37: RUN_X("fclass.d %[r], ft0", D); break;
    case 38: RUN_X("fcvt.w.d %[r], ft0, dyn", D); break;
    case 39: RUN_X("fcvt.wu.d %[r], ft0, dyn", D); break;
    case 40: RUN_X("fcvt.l.d %[r], ft0, dyn", D); break;
    case 41: RUN_X("fcvt.lu.d %[r], ft0, dyn", D); break;
    case 42: RUN_FROM_X("fcvt.d.w ft3, %[a]", OUT_D); break;
    case 43: RUN_FROM_X("fcvt.d.wu ft3, %[a]", OUT_D); break;
    case 44: RUN_FROM_X("fcvt.d.l ft3, %[a], dyn", OUT_D); break;
    case 45: RUN_FROM_X("fcvt.d.lu ft3, %[a], dyn", OUT_D); break;
    case 46: RUN("fcvt.d.s ft3, ft0", S, S, S, OUT_D); break;
    case 47: RUN("fcvt.s.d ft3, ft0, dyn", D, D, D, OUT_S); break;
  }
  enum kind k = ops[op].kind;
  if (k == S2 || k == S1 || k == S3 || k == X2S || k == D2S) r &= 0xffffffffULL;
  emit(ops[op].name, rm, a, b, c, r, f);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: vectors <seed> <rounds> [op]\n");
    return 2;
  }
  rng_state = strtoull(argv[1], 0, 0) * 2654435761ULL + 0x9E3779B97F4A7C15ULL;
  long rounds = strtol(argv[2], 0, 0);
  for (long i = 0; i < rounds; i++) {
    for (int op = 0; op < (int)COUNT(ops); op++) {
      if (argc == 4 && strcmp(argv[3], ops[op].name) != 0) continue;
      uint64_t a, b, c;
      enum kind k = ops[op].kind;
      int single = k == S2 || k == S1 || k == S3 || k == SCMP || k == SCLS || k == S2X ||
                   k == S2D;
      if (k == X2S || k == X2D) {
        a = genint();
        b = c = 0;
      } else if (single) {
        a = gen32();
        b = near32((uint32_t)a);
        c = below(3) == 0 ? (uint32_t)(near32((uint32_t)a) ^ 0x80000000u) : gen32();
      } else {
        a = gen64();
        b = near64(a);
        c = below(3) == 0 ? near64(a) : gen64();
      }
      if (below(5) == 0 && (op == 2 || op == 3 || op == 25 || op == 26 || k == S3 || k == D3)) {
        int divide = op == 3 || op == 26;
        if (single) b = aim32((uint32_t)a, divide);
        else b = aim64(a, divide);
        if (k == S3) c = gen32() & 0x807fffffu;
        if (k == D3) c = gen64() & 0x800fffffffffffffULL;
      }
      /* fma: an addend that nearly cancels the product, computed in the target precision. */
      if ((k == S3 || k == D3) && below(3) == 0) {
        uint64_t r, f;
        int rm = below(5);
        if (k == S3) RUN("fmul.s ft3, ft0, ft1", S, S, S, OUT_S);
        else RUN("fmul.d ft3, ft0, ft1", D, D, D, OUT_D);
        (void)f;
        c = k == S3 ? (uint32_t)r ^ 0x80000000u : r ^ 0x8000000000000000ULL;
        if (below(2)) c += below(3) - 1;
        if (k == S3) c &= 0xffffffffULL;
      }
      for (int rm = 0; rm < 5; rm++) run_op(op, a, b, c, rm);
    }
  }
  return 0;
}
