#include "lib/linalg/value_buckets.h"

#include <algorithm>
#include <bit>

#include "lib/linalg/float_sort.h"

namespace dnnc {

namespace {

// An unsigned key in the order of the float: positive values with the sign bit set, negative values
// with every bit flipped (larger magnitude, smaller key).
inline uint32_t keyOf(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// The smallest float whose key has the given top 16 bits: the lower edge of that bucket.
inline float lowerEdge(uint32_t bucket) {
  const uint32_t key = bucket << 16;
  return std::bit_cast<float>((key & 0x80000000u) ? (key & 0x7fffffffu) : ~key);
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
  values_ = std::make_unique_for_overwrite<float[]>(n_);
  {
    std::vector<size_t> next(start_.begin(), start_.end() - 1);
    for (float x : w)
      if (x != 0.0f) values_[next[keyOf(x) >> 16]++] = x;
  }
  // Sums over the buckets below each bucket.
  double a1 = 0, a2 = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    s1_[b] = a1;
    s2_[b] = a2;
    for (size_t i = start_[b]; i < start_[b + 1]; ++i) {
      const double v = double(values_[i]) - offset_;
      a1 += v;
      a2 += v * v;
    }
  }
  s1_[kBuckets] = a1;
  s2_[kBuckets] = a2;
  total_ = {n_, max_, a1, a2};
}

const NonzeroValueBuckets::SortedBucket& NonzeroValueBuckets::sorted(uint32_t b) {
  if (sorted_index_[b] >= 0) return sorted_[size_t(sorted_index_[b])];
  std::span<float> v = bucket(b);
  sortFloats(v, kBucketBits);  // the top 16 key bits are the bucket's
  SortedBucket s;
  s.s1.reserve(v.size() / kBlock + 1);
  s.s2.reserve(v.size() / kBlock + 1);
  double a1 = 0, a2 = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i % kBlock == 0) {
      s.s1.push_back(a1);
      s.s2.push_back(a2);
    }
    const double x = double(v[i]) - offset_;
    a1 += x;
    a2 += x * x;
  }
  sorted_index_[b] = int32_t(sorted_.size());
  sorted_.push_back(std::move(s));
  return sorted_.back();
}

float NonzeroValueBuckets::lastBefore(uint32_t b) const {
  while (b > lowest_) {
    --b;
    if (start_[b + 1] > start_[b]) {
      return *std::max_element(values_.get() + start_[b], values_.get() + start_[b + 1]);
    }
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
    if (below(lowerEdge(mid))) lo = mid;
    else hi = mid - 1;
  }
  const uint32_t b = lo;
  const SortedBucket& s = sorted(b);
  const std::span<float> in = bucket(b);
  const size_t q = size_t(std::partition_point(in.begin(), in.end(), below) - in.begin());
  Cut c{start_[b] + q, q > 0 ? in[q - 1] : lastBefore(b), s1_[b], s2_[b]};
  if (q == in.size()) {
    c.s1 = s1_[b + 1];
    c.s2 = s2_[b + 1];
    return c;
  }
  const size_t block = q / kBlock;  // < s.s1.size(), as q < in.size()
  c.s1 += s.s1[block];
  c.s2 += s.s2[block];
  for (size_t i = block * kBlock; i < q; ++i) {
    const double x = double(in[i]) - offset_;
    c.s1 += x;
    c.s2 += x * x;
  }
  return c;
}

}  // namespace dnnc
