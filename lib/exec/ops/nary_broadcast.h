// Numpy broadcasting over any number of operands (Where's three, Expand's one onto a shape, the
// variadic Max/Min): the common shape, each operand's element strides in it (0 where it broadcasts), and
// a walk over the output that hands the kernel every operand's offset. The walk advances an odometer per
// inner row, so the per-element cost is one add per operand.
#pragma once
#include <array>
#include <cstring>

#include "lib/exec/ops/broadcast.h"

namespace dnnc::ops {

// The broadcast shape of every operand in `shapes`, or false when they do not broadcast.
inline bool broadcastAll(std::span<const std::vector<int64_t>> shapes, std::vector<int64_t>& out) {
  out.clear();
  for (const auto& s : shapes) {
    std::vector<int64_t> next;
    if (!broadcastDims(out, s, next)) return false;
    out = std::move(next);
  }
  return true;
}

// Element strides of `dims` (right-aligned) inside the broadcast shape `out`: 0 on broadcast axes.
inline std::vector<int64_t> broadcastStrides(std::span<const int64_t> dims, std::span<const int64_t> out) {
  std::vector<int64_t> padded(out.size(), 1);
  for (size_t i = 0; i < dims.size(); ++i) padded[out.size() - dims.size() + i] = dims[i];
  std::vector<int64_t> strides = contiguousStrides(padded);
  for (size_t i = 0; i < out.size(); ++i)
    if (padded[i] == 1) strides[i] = 0;
  return strides;
}

// Calls f(out_index, offsets) for every element of `out` (row-major), where offsets[k] is operand k's
// element offset; strides[k] comes from broadcastStrides.
template <size_t N, class F>
void forEachBroadcast(std::span<const int64_t> out, const std::array<std::vector<int64_t>, N>& strides, F&& f) {
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  if (total == 0) return;
  const int rank = static_cast<int>(out.size());
  std::array<int64_t, N> off{};
  if (rank == 0) {
    f(int64_t{0}, off);
    return;
  }
  std::vector<int64_t> idx(rank, 0);
  const int64_t inner = out[rank - 1];
  for (int64_t o = 0; o < total; o += inner) {
    std::array<int64_t, N> row = off;
    for (int64_t i = 0; i < inner; ++i) {
      f(o + i, row);
      for (size_t k = 0; k < N; ++k) row[k] += strides[k][rank - 1];
    }
    for (int d = rank - 2; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k) off[k] += strides[k][d];
      if (++idx[d] < out[d]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= strides[k][d] * out[d];
      idx[d] = 0;
    }
  }
}

// Copies x, broadcast to `out` dims, into dst (contiguous); any element type.
inline void broadcastCopy(const Value& x, std::span<const int64_t> out, void* dst) {
  const size_t es = dtypeSize(x.dtype);
  std::array<std::vector<int64_t>, 1> strides{broadcastStrides(x.dims, out)};
  const auto* src = static_cast<const std::byte*>(x.data);
  auto* d = static_cast<std::byte*>(dst);
  auto copy = [&]<class T>() {
    const T* s = reinterpret_cast<const T*>(src);
    T* o = reinterpret_cast<T*>(d);
    forEachBroadcast<1>(out, strides, [&](int64_t i, const std::array<int64_t, 1>& off) { o[i] = s[off[0]]; });
  };
  switch (es) {
    case 1: copy.template operator()<uint8_t>(); break;
    case 2: copy.template operator()<uint16_t>(); break;
    case 4: copy.template operator()<uint32_t>(); break;
    case 8: copy.template operator()<uint64_t>(); break;
    default:
      forEachBroadcast<1>(out, strides, [&](int64_t i, const std::array<int64_t, 1>& off) {
        std::memcpy(d + i * es, src + off[0] * es, es);
      });
  }
}

}  // namespace dnnc::ops
