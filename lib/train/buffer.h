// Buf: a dense float32 tensor owned by the training tape (dims plus C-order values).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace dnnc::train {

struct Buf {
  std::vector<int64_t> dims;
  std::vector<float> v;

  Buf() = default;
  Buf(std::vector<int64_t> d, float fill = 0.0f) : dims(std::move(d)), v(static_cast<size_t>(count(dims)), fill) {}
  int64_t numel() const { return static_cast<int64_t>(v.size()); }
  int rank() const { return static_cast<int>(dims.size()); }
  float* data() { return v.data(); }
  const float* data() const { return v.data(); }
  // Resizes to dims (contents unspecified when the size changes).
  void reshape(std::vector<int64_t> d) {
    dims = std::move(d);
    v.resize(static_cast<size_t>(count(dims)));
  }
  void zero() { std::fill(v.begin(), v.end(), 0.0f); }
  static int64_t count(std::span<const int64_t> d) {
    int64_t n = 1;
    for (int64_t x : d) n *= x;
    return n;
  }
};

}  // namespace dnnc::train
