// The nonzero values of a layer, grouped by value for 1-D k-means without sorting the layer.
//
// Lloyd's algorithm in one dimension needs, per iteration, k-1 cuts: how many values lie at or below a
// midpoint between centroids, and their sum and sum of squares. A full sort answers that but costs more
// than the rest of weight sharing on a 100M-weight layer. Here the values are counted and scattered once
// into 65,536 buckets by the top 16 bits of their order key (sign, exponent, 7 mantissa bits), so that
// the buckets are in value order and a cut falls into exactly one bucket; only that bucket is sorted,
// the first time a cut falls into it. Each value is kept as the low 16 bits of its key (the bucket holds
// the rest): VGG-16's fc6 takes 205 MB beside the model instead of a 411 MB copy of its nonzeros. On normally distributed weights a bucket holds at most ~0.15 % of
// the values, so a cut is a binary search over bucket edges plus work on one small bucket.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace dnnc {

class NonzeroValueBuckets {
 public:
  // The nonzero values of w, centred on their mean (kept in double: the sums of squares of the cut are
  // taken around it so that s2 - s1^2/n keeps its digits).
  explicit NonzeroValueBuckets(std::span<const float> w);

  size_t size() const { return n_; }
  double offset() const { return offset_; }
  float min() const { return min_; }
  float max() const { return max_; }

  // The values x with double(x) - offset() <= v: how many (r), their largest value (last; 0 when r = 0),
  // and the sums of double(x) - offset() and its square over them.
  struct Cut {
    size_t r = 0;
    float last = 0.0f;
    double s1 = 0, s2 = 0;
  };
  Cut cutAt(double v);
  Cut all() const { return total_; }

 private:
  static constexpr int kBucketBits = 16;
  static constexpr size_t kBuckets = size_t{1} << kBucketBits;
  static constexpr size_t kBlock = 64;  // sorted buckets keep their prefix sums every kBlock values

  struct SortedBucket {
    std::vector<double> s1, s2;  // sums of the first q*kBlock values of the bucket, q = 0, 1, ...
  };
  // A value stored as the low 16 bits of its order key: its bucket holds the top 16.
  static float valueOf(uint32_t b, uint16_t low);
  std::span<uint16_t> bucket(uint32_t b) { return {low_.get() + start_[b], start_[b + 1] - start_[b]}; }
  const SortedBucket& sorted(uint32_t b);
  float lastBefore(uint32_t b);  // the largest value in the buckets below b

  size_t n_ = 0;
  double offset_ = 0;
  float min_ = 0, max_ = 0;
  uint32_t lowest_ = 0, highest_ = 0;  // the buckets of min_ and max_
  std::unique_ptr<uint16_t[]> low_;    // bucket by bucket: 2 bytes per value, half a copy of the values
  std::vector<size_t> start_;          // kBuckets + 1 offsets into low_
  std::vector<double> s1_, s2_;        // sums over the buckets below b, of centred values and squares
  std::vector<int32_t> sorted_index_;  // per bucket, its entry in sorted_ or -1
  std::vector<SortedBucket> sorted_;
  std::vector<uint16_t> buffer_;       // the radix sort's
  Cut total_;
};

}  // namespace dnnc
