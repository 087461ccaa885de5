#include "lib/linalg/float_sort.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/support/check.h"

namespace dnnc {

namespace {

// Below this many values a bucket goes to std::sort: a radix pass costs two sweeps plus its counters.
constexpr size_t kSmallBucket = 512;
// In the in-place sort, buckets up to this many values (4 MB) are finished through a buffer of their
// size, which stays in cache.
constexpr size_t kBucketBuffered = size_t{1} << 20;

// An unsigned key in the order of the float: positive values with the sign bit set, negative values
// with every bit flipped (larger magnitude, smaller key).
inline uint32_t keyOf(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Least-significant-digit radix sort of v by the low `bits` bits of its keys (the higher ones are equal
// within v): stable passes of at most 11-bit digits between v and a buffer of the same size, each one
// counting sweep and one scatter.
void sortThroughBuffer(std::span<float> v, int bits, std::vector<float>& buffer) {
  if (v.size() <= kSmallBucket) {
    std::sort(v.begin(), v.end(), [](float a, float b) { return keyOf(a) < keyOf(b); });
    return;
  }
  buffer.resize(std::max(buffer.size(), v.size()));
  const int passes = (bits + 10) / 11;
  const int width = (bits + passes - 1) / passes;
  const uint32_t mask = (1u << width) - 1;
  float* from = v.data();
  float* to = buffer.data();
  std::vector<size_t> start(size_t(mask) + 2);
  for (int p = 0; p < passes; ++p) {
    const int shift = p * width;
    std::fill(start.begin(), start.end(), 0);
    for (size_t i = 0; i < v.size(); ++i) ++start[((keyOf(from[i]) >> shift) & mask) + 1];
    // A digit every value shares orders nothing (the top digits of a bucket of similar values).
    if (std::find(start.begin(), start.end(), v.size()) != start.end()) continue;
    for (size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
    for (size_t i = 0; i < v.size(); ++i) to[start[(keyOf(from[i]) >> shift) & mask]++] = from[i];
    std::swap(from, to);
  }
  if (from != v.data()) std::memcpy(v.data(), from, v.size() * sizeof(float));
}

// Most-significant-digit radix sort in place: partitions v by the key's 8 bits at `shift` (the higher
// bits are equal within v) by following cycles, then sorts each bucket, small ones through a buffer.
void sortInPlace(std::span<float> v, int shift, std::vector<float>& buffer) {
  if (v.size() <= kBucketBuffered || shift < 0) {
    sortThroughBuffer(v, shift + 8, buffer);
    return;
  }
  auto digit = [shift](float f) { return (keyOf(f) >> shift) & 0xffu; };
  std::array<size_t, 256> count{};
  for (float f : v) ++count[digit(f)];
  std::array<size_t, 256> begin{}, end{};
  size_t at = 0;
  for (size_t d = 0; d < 256; ++d) {
    begin[d] = at;
    at += count[d];
    end[d] = at;
  }
  // Place each value in its bucket by following cycles: next[d] is the next unplaced slot of bucket d.
  std::array<size_t, 256> next = begin;
  for (size_t d = 0; d < 256; ++d) {
    while (next[d] < end[d]) {
      float x = v[next[d]];
      uint32_t dx = digit(x);
      while (dx != d) {
        std::swap(x, v[next[dx]++]);
        dx = digit(x);
      }
      v[next[d]++] = x;
    }
  }
  for (size_t d = 0; d < 256; ++d)
    if (count[d] > 1) sortInPlace(v.subspan(begin[d], count[d]), shift - 8, buffer);
}

}  // namespace

void sortFloats(std::span<float> v, int key_bits, size_t largest_buffered) {
  DNNC_CHECK(key_bits >= 8 && key_bits <= 32 && key_bits % 8 == 0);
  std::vector<float> buffer;
  if (v.size() <= largest_buffered) sortThroughBuffer(v, key_bits, buffer);
  else sortInPlace(v, key_bits - 8, buffer);
}

}  // namespace dnnc
