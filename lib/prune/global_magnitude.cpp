#include "lib/prune/global_magnitude.h"

#include <array>
#include <cstring>

#include "lib/support/check.h"

namespace dnnc {

namespace {

// |w| as its bit pattern: for non-negative floats the unsigned order is the numeric order.
inline uint32_t magnitudeBits(float w) {
  uint32_t b;
  std::memcpy(&b, &w, sizeof b);
  return b & 0x7fffffffu;
}

// The bucket holding the k-th (1-based) element of a histogram, and how many elements lie below it.
std::pair<uint32_t, int64_t> bucketOf(const std::vector<int64_t>& histogram, int64_t k) {
  int64_t below = 0;
  for (uint32_t b = 0; b < histogram.size(); ++b) {
    if (below + histogram[b] >= k) return {b, below};
    below += histogram[b];
  }
  DNNC_CHECK(false, "selection rank ", k, " beyond the ", below, " values");
  return {0, 0};
}

}  // namespace

GlobalSelection selectSmallestMagnitudes(const std::vector<std::span<float>>& layers, int64_t k) {
  GlobalSelection s;
  if (k <= 0) return s;
  s.any = true;
  // Pass 1: the high 16 bits; pass 2: the low 16 bits of the values in the high bucket found.
  std::vector<int64_t> high(1 << 16, 0), low(1 << 16, 0);
  for (const auto& w : layers)
    for (float v : w) ++high[magnitudeBits(v) >> 16];
  auto [hb, below_high] = bucketOf(high, k);
  for (const auto& w : layers)
    for (float v : w) {
      uint32_t b = magnitudeBits(v);
      if ((b >> 16) == hb) ++low[b & 0xffffu];
    }
  auto [lb, below_low] = bucketOf(low, k - below_high);
  s.value_bits = (hb << 16) | lb;
  s.ties_taken = k - below_high - below_low;
  return s;
}

}  // namespace dnnc
