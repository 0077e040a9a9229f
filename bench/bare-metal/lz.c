// A greedy LZ77 matcher (the inner loop of gzip/zstd-style compressors: a hash of the next 4
// bytes, a table of last positions, byte comparisons to extend a match) over 4 MiB of generated
// text (words from a small vocabulary, so it compresses), 16 times. Prints the number of
// literals and matches and a checksum of the tokens.
#include "common.h"

#define SIZE (4 << 20)
#define HASH_BITS 16
#define MIN_MATCH 4
#define MAX_MATCH 258
#define WINDOW (32 << 10)

static u8 text[SIZE + MAX_MATCH];
static u32 table[1 << HASH_BITS];

static u32 hash4(const u8 *p) {
  u32 v = (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
  return (v * 2654435761u) >> (32 - HASH_BITS);
}

int main(void) {
  static const char *const words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ", "and ", "runs ",
                                      "away ", "from ", "a ", "big ", "red ", "barn ", "while ", "it ", "rains ", "\n"};
  u64 s = 12345;
  u32 n = 0;
  while (n < SIZE) {
    const char *w = words[(lcg(&s) >> 33) % 20];
    while (*w && n < SIZE) text[n++] = (u8)*w++;
  }
  u64 literals = 0, matches = 0, sum = 0;
  for (int rep = 0; rep < 16; rep++) {
    for (u32 i = 0; i < (1u << HASH_BITS); i++) table[i] = 0xffffffffu;
    u32 pos = 0;
    while (pos + MIN_MATCH <= SIZE) {
      u32 h = hash4(text + pos);
      u32 cand = table[h];
      table[h] = pos;
      u32 len = 0;
      if (cand != 0xffffffffu && pos - cand <= WINDOW) {
        while (len < MAX_MATCH && pos + len < SIZE && text[cand + len] == text[pos + len]) len++;
      }
      if (len >= MIN_MATCH) {
        matches++;
        sum = sum * 31 + (pos - cand) * 259 + len;
        pos += len;
      } else {
        literals++;
        sum = sum * 31 + text[pos];
        pos++;
      }
    }
  }
  put_hex(literals, 8);
  put_char(' ');
  put_hex(matches, 8);
  put_char(' ');
  put_hex(sum, 16);
  put_char('\n');
  return 0;
}
