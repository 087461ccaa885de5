// The sum of a contiguous run of floats (global average pooling, ReduceMean over trailing axes).
#pragma once
#include <cstdint>

namespace dnnc::ops {

// In 16 independent partial sums, which the compiler turns into vector adds: a single running sum is a
// chain of dependent adds (4 cycles an element) that it may not reorder without -ffast-math
// (EfficientNet-B0's squeeze-and-excitation pools took 1.3 ms at batch 1 that way, ORT 0.3 ms).
inline float contiguousSum(const float* s, int64_t n) {
  constexpr int kLanes = 16;
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lanes[j] += s[i + j];
  for (int j = 0; i < n; ++i, ++j) lanes[j] += s[i];
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int j = 0; j < w; ++j) lanes[j] += lanes[j + w];
  return lanes[0];
}

}  // namespace dnnc::ops
