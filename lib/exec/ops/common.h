// Helpers shared by the op kernels: axes, integer inputs, dtype dispatch, elementwise loops, parallel-for.
#pragma once
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "lib/exec/kernel.h"
#include "lib/exec/thread_pool.h"

namespace dnnc::ops {

// axis in [-rank, rank) -> [0, rank), or an error.
inline Expected<int> normalizeAxis(int64_t axis, int rank, const KernelContext& ctx) {
  if (axis < -rank || axis >= rank) return ctx.error("axis ", axis, " is out of range for rank ", rank);
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

// An int64 or int32 input's values (shapes, axes, pads, indices).
inline Expected<std::vector<int64_t>> intValues(const Value& v, const KernelContext& ctx, const char* what) {
  std::vector<int64_t> out(static_cast<size_t>(v.numel()));
  if (v.dtype == DType::Int64) {
    if (!out.empty()) std::memcpy(out.data(), v.data, out.size() * 8);
  } else if (v.dtype == DType::Int32) {
    const int32_t* p = v.as<int32_t>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = p[i];
  } else {
    return ctx.error(what, " must be int64 or int32, got ", dtypeName(v.dtype));
  }
  return out;
}

inline Expected<std::vector<int64_t>> intValues(const Tensor& t) {
  std::vector<int64_t> out;
  if (t.dtype() == DType::Int64) {
    for (int64_t v : t.span<int64_t>()) out.push_back(v);
  } else if (t.dtype() == DType::Int32) {
    for (int32_t v : t.span<int32_t>()) out.push_back(v);
  } else {
    return Error(Exit::Input, "expected an int64 tensor, got ", dtypeName(t.dtype()));
  }
  return out;
}

// A scalar (or one-element) input as float.
inline float scalarAsFloat(const Value& v) {
  switch (v.dtype) {
    case DType::Float: return *v.as<float>();
    case DType::Double: return static_cast<float>(*v.as<double>());
    case DType::Int64: return static_cast<float>(*v.as<int64_t>());
    case DType::Int32: return static_cast<float>(*v.as<int32_t>());
    case DType::Int8: return *v.as<int8_t>();
    case DType::Uint8: return *v.as<uint8_t>();
    default: return 0.0f;
  }
}

// Runs f(begin, end) over [0, n) in up to `threads` chunks when n is worth splitting.
template <class F>
void parallelFor(int64_t n, int threads, int64_t min_chunk, F&& f) {
  int t = static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk))));
  if (t <= 1 || omp_in_parallel()) {
    f(int64_t{0}, n);
    return;
  }
  parallelTasks(t, t, [&](int64_t i, int) { f(n * i / t, n * (i + 1) / t); });
}

// Calls f.template operator()<T>() for the value's element type, among the types listed.
#define DNNC_DISPATCH_NUMERIC(dtype, F, ...)                                  \
  switch (dtype) {                                                            \
    case DType::Float: F(float); break;                                       \
    case DType::Double: F(double); break;                                     \
    case DType::Int64: F(int64_t); break;                                     \
    case DType::Int32: F(int32_t); break;                                     \
    case DType::Int8: F(int8_t); break;                                       \
    case DType::Uint8: F(uint8_t); break;                                     \
    case DType::Int16: F(int16_t); break;                                     \
    case DType::Uint16: F(uint16_t); break;                                   \
    case DType::Uint32: F(uint32_t); break;                                   \
    case DType::Uint64: F(uint64_t); break;                                   \
    default: __VA_ARGS__;                                                     \
  }

// A float32 activation y = f(x), in place when the executor allows. Split among threads from 8 K
// elements per thread: after a conv split among the cores, each core reads back the part it wrote (the
// pool's fixed shares) instead of one core fetching the other's half from its cache (MobileNetV3's and
// EfficientNet's gates; EfficientNet-B0 batch 1 two threads 8 % faster than at 128 K).
template <class F>
Status unaryFloat(KernelContext& ctx, F f) {
  const Value& x = ctx.input(0);
  if (x.dtype != DType::Float) return ctx.error("expects float32 input, got ", dtypeName(x.dtype));
  Value& y = ctx.outputInPlace(0, 0, DType::Float, x.dims);
  const float* in = x.as<float>();
  float* out = y.as<float>();
  parallelFor(x.numel(), ctx.threads(), int64_t{1} << 13, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = f(in[i]);
  });
  return {};
}

// Strides of a contiguous row-major shape.
inline std::vector<int64_t> contiguousStrides(std::span<const int64_t> dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

}  // namespace dnnc::ops
