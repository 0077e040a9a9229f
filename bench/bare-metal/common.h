// Shared by the freestanding C benchmarks: fixed-size types, the UART at 0x10000000 (a 16550's
// transmit register on QEMU virt and colinux-bare-metal), and the input generator.
typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned char u8;

static void put_char(char c) { *(volatile u8 *)0x10000000 = c; }
static void put_hex(u64 v, int digits) {
  for (int j = 4 * (digits - 1); j >= 0; j -= 4) put_char("0123456789abcdef"[(v >> j) & 15]);
}

/** A 64-bit linear congruential generator (Knuth's MMIX constants). */
static u64 lcg(u64 *s) { return *s = *s * 6364136223846793005UL + 1442695040888963407UL; }
