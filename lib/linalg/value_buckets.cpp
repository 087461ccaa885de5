#include "lib/linalg/value_buckets.h"

#include <algorithm>
#include <array>
#include <bit>
#include <utility>

namespace dnnc {

namespace {

// An unsigned key in the order of the float: positive values with the sign bit set, negative values
// with every bit flipped (larger magnitude, smaller key).
inline uint32_t keyOf(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

inline float floatOfKey(uint32_t key) {
  return std::bit_cast<float>((key & 0x80000000u) ? (key & 0x7fffffffu) : ~key);
}

// Sorts 16-bit keys ascending: two radix passes of 8 bits through `buffer` (small runs: std::sort).
void sortKeys16(std::span<uint16_t> v, std::vector<uint16_t>& buffer) {
  if (v.size() <= 256) {
    std::sort(v.begin(), v.end());
    return;
  }
  buffer.resize(std::max(buffer.size(), v.size()));
  std::array<size_t, 256> low{}, high{};
  for (uint16_t x : v) {
    ++low[x & 0xffu];
    ++high[x >> 8];
  }
  auto starts = [](std::array<size_t, 256>& count) {
    size_t at = 0;
    for (size_t& c : count) at += std::exchange(c, at);
  };
  starts(low);
  starts(high);
  for (uint16_t x : v) buffer[low[x & 0xffu]++] = x;
  for (size_t i = 0; i < v.size(); ++i) v[high[buffer[i] >> 8]++] = buffer[i];
}

}  // namespace

NonzeroValueBuckets::NonzeroValueBuckets(std::span<const float> w)
    : start_(kBuckets + 1, 0), s1_(kBuckets + 1, 0.0), s2_(kBuckets + 1, 0.0), sorted_index_(kBuckets, -1) {
  // Count per bucket (into start_[b + 1]) and the mean.
  double sum = 0;
  bool first = true;
  for (float x : w) {
    if (x == 0.0f) continue;
    ++start_[(keyOf(x) >> 16) + 1];
    sum += x;
    if (first || x < min_) min_ = x;
    if (first || x > max_) max_ = x;
    first = false;
  }
  for (size_t b = 1; b <= kBuckets; ++b) start_[b] += start_[b - 1];
  n_ = start_[kBuckets];
  if (n_ == 0) return;
  offset_ = sum / double(n_);
  lowest_ = keyOf(min_) >> 16;
  highest_ = keyOf(max_) >> 16;
  // Scatter into the buckets, in the order of w within each bucket.
  low_ = std::make_unique_for_overwrite<uint16_t[]>(n_);
  {
    std::vector<size_t> next(start_.begin(), start_.end() - 1);
    for (float x : w) {
      if (x == 0.0f) continue;
      const uint32_t key = keyOf(x);
      low_[next[key >> 16]++] = uint16_t(key);
    }
  }
  // Sums over the buckets below each bucket.
  double a1 = 0, a2 = 0;
  for (uint32_t b = 0; b < kBuckets; ++b) {
    s1_[b] = a1;
    s2_[b] = a2;
    for (uint16_t low : bucket(b)) {
      const double v = double(valueOf(b, low)) - offset_;
      a1 += v;
      a2 += v * v;
    }
  }
  s1_[kBuckets] = a1;
  s2_[kBuckets] = a2;
  total_ = {n_, max_, a1, a2};
}

float NonzeroValueBuckets::valueOf(uint32_t b, uint16_t low) { return floatOfKey((b << 16) | low); }

const NonzeroValueBuckets::SortedBucket& NonzeroValueBuckets::sorted(uint32_t b) {
  if (sorted_index_[b] >= 0) return sorted_[size_t(sorted_index_[b])];
  std::span<uint16_t> v = bucket(b);
  sortKeys16(v, buffer_);
  SortedBucket s;
  s.s1.reserve(v.size() / kBlock + 1);
  s.s2.reserve(v.size() / kBlock + 1);
  double a1 = 0, a2 = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i % kBlock == 0) {
      s.s1.push_back(a1);
      s.s2.push_back(a2);
    }
    const double x = double(valueOf(b, v[i])) - offset_;
    a1 += x;
    a2 += x * x;
  }
  sorted_index_[b] = int32_t(sorted_.size());
  sorted_.push_back(std::move(s));
  return sorted_.back();
}

float NonzeroValueBuckets::lastBefore(uint32_t b) {
  while (b > lowest_) {
    --b;
    const std::span<uint16_t> in = bucket(b);
    if (!in.empty()) return valueOf(b, *std::max_element(in.begin(), in.end()));
  }
  return 0.0f;
}

NonzeroValueBuckets::Cut NonzeroValueBuckets::cutAt(double v) {
  auto below = [&](float x) { return double(x) - offset_ <= v; };
  if (n_ == 0 || !below(min_)) return {};
  if (below(max_)) return total_;
  // The last bucket whose lower edge is at or below v: every bucket before it lies wholly at or below v,
  // every bucket after it wholly above (the edges ascend with the bucket).
  uint32_t lo = lowest_, hi = highest_;  // below(edge) holds at lo (min_ is at or above its edge), not at hi + 1
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    if (below(valueOf(mid, 0))) lo = mid;
    else hi = mid - 1;
  }
  const uint32_t b = lo;
  const SortedBucket& s = sorted(b);
  const std::span<uint16_t> in = bucket(b);
  const size_t q = size_t(std::partition_point(in.begin(), in.end(), [&](uint16_t low) { return below(valueOf(b, low)); }) -
                          in.begin());
  Cut c{start_[b] + q, q > 0 ? valueOf(b, in[q - 1]) : lastBefore(b), s1_[b], s2_[b]};
  if (q == in.size()) {
    c.s1 = s1_[b + 1];
    c.s2 = s2_[b + 1];
    return c;
  }
  const size_t block = q / kBlock;  // < s.s1.size(), as q < in.size()
  c.s1 += s.s1[block];
  c.s2 += s.s2[block];
  for (size_t i = block * kBlock; i < q; ++i) {
    const double x = double(valueOf(b, in[i])) - offset_;
    c.s1 += x;
    c.s2 += x * x;
  }
  return c;
}

}  // namespace dnnc
