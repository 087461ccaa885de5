#include "lib/support/sha256.h"

#include <cpuid.h>
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace dnnc {

namespace {

constexpr std::array<uint32_t, 64> kRound = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void compress(std::array<uint32_t, 8>& h, const unsigned char* block) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i)
    w[i] = uint32_t(block[4 * i]) << 24 | uint32_t(block[4 * i + 1]) << 16 | uint32_t(block[4 * i + 2]) << 8 | block[4 * i + 3];
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRound[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

using State = std::array<uint32_t, 8>;

// The same compression on the CPU's SHA extensions (SHA-NI: Intel since Ice Lake / Goldmont, AMD since
// Zen), about ten times the rate of the portable loop: every loaded model is hashed for its provenance,
// and on a 500 MB model the portable hash took longer than the pass. The state is kept as the ABEF/CDGH
// register pair the instructions work on; each 4-round group takes its message words from the
// previous four groups (msg1/msg2 compute the schedule).
__attribute__((target("sha,ssse3,sse4.1"))) void compressShaNi(State& h, const unsigned char* data, size_t blocks) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i cdab = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[0])), 0xB1);
  __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[4])), 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
  for (; blocks > 0; --blocks, data += 64) {
    const __m128i abef_in = abef, cdgh_in = cdgh;
    __m128i w[4];  // message groups g-4 .. g-1, at index g % 4
    for (int g = 0; g < 16; ++g) {
      __m128i x;
      if (g < 4) {
        x = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * g)), byte_swap);
      } else {
        x = _mm_add_epi32(_mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]), _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
        x = _mm_sha256msg2_epu32(x, w[(g + 3) & 3]);
      }
      w[g & 3] = x;
      const __m128i msg = _mm_add_epi32(x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kRound[size_t(4 * g)])));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(msg, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_in);
    cdgh = _mm_add_epi32(cdgh, cdgh_in);
  }
  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[0]), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[4]), _mm_alignr_epi8(dchg, feba, 8));
}

// Whether to use compressShaNi: the CPU has the SHA extensions and SSE4.1, and DNNC_ISA does not ask for
// the generic paths (DNNC_ISA=generic, as for the executor's kernels: how the portable loop is tested).
bool useShaNi() {
  static const bool use = [] {
    const char* isa = std::getenv("DNNC_ISA");
    if (isa && std::string_view(isa) == "generic") return false;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3)) return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & bit_SHA) != 0;
  }();
  return use;
}

State initialState() {
  return {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
}

// Compresses the whole 64-byte blocks of data; returns how many bytes it consumed.
size_t compressBlocks(State& h, std::string_view data) {
  size_t full = data.size() / 64;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (useShaNi()) {
    compressShaNi(h, bytes, full);
    return full * 64;
  }
  for (size_t i = 0; i < full; ++i) compress(h, bytes + 64 * i);
  return full * 64;
}

// Pads the last partial block (rest < 64 bytes) of a message of total_bytes and returns the digest.
std::string finish(State& h, std::string_view rest, uint64_t total_bytes) {
  unsigned char tail[128] = {};
  // rest is shorter than a block by contract; the explicit bound also lets GCC see that tail[n] is in
  // range (without it, -O3 -march=native on some CPUs warns stringop-overflow, an error under -Werror).
  size_t n = std::min<size_t>(rest.size(), 63);
  for (size_t i = 0; i < n; ++i) tail[i] = static_cast<unsigned char>(rest[i]);
  tail[n] = 0x80;
  size_t tail_len = n + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = total_bytes * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = static_cast<unsigned char>(bits >> (8 * i));
  compress(h, tail);
  if (tail_len == 128) compress(h, tail + 64);
  std::string out;
  char buf[9];
  for (uint32_t v : h) {
    std::snprintf(buf, sizeof buf, "%08x", v);
    out += buf;
  }
  return out;
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  State h = initialState();
  size_t done = compressBlocks(h, data);
  return finish(h, data.substr(done), data.size());
}

Expected<std::string> sha256FileHex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Exit::Input, "cannot read '", path, "': ", std::strerror(errno));
  State h = initialState();
  std::vector<char> buf(1 << 20);  // a multiple of 64: only the file's last block is partial
  uint64_t total = 0;
  while (true) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    total += got;
    std::string_view chunk(buf.data(), got);
    size_t done = compressBlocks(h, chunk);
    if (got < buf.size()) {
      if (in.bad()) return Error(Exit::Input, "cannot read '", path, "': read error");
      return finish(h, chunk.substr(done), total);
    }
  }
}

}  // namespace dnnc
