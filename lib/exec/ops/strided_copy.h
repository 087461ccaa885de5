// Copies a strided view (element strides, possibly negative) of src into a contiguous dst of out_dims.
// Used by Transpose and Slice.
#pragma once
#include <cstring>

#include "lib/exec/ops/common.h"
#include "lib/exec/ops/transpose_planes.h"

namespace dnnc::ops {

namespace detail {
template <class T>
void copyRun(const std::byte* src, int64_t stride, int64_t n, std::byte* dst) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d = reinterpret_cast<T*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = s[i * stride];
}
}  // namespace detail

inline void stridedCopy(const std::byte* src, std::span<const int64_t> out_dims_in, std::span<const int64_t> strides_in,
                        size_t es, std::byte* dst, int threads) {
  // Collapse: drop size-1 dims, merge dims that are contiguous in the source.
  std::vector<int64_t> dims, st;
  int64_t total = 1;
  for (size_t i = 0; i < out_dims_in.size(); ++i) {
    total *= out_dims_in[i];
    if (out_dims_in[i] == 1) continue;
    if (!dims.empty() && st.back() == strides_in[i] * out_dims_in[i]) {
      dims.back() *= out_dims_in[i];
      st.back() = strides_in[i];
    } else {
      dims.push_back(out_dims_in[i]);
      st.push_back(strides_in[i]);
    }
  }
  if (total == 0) return;
  if (dims.empty()) {
    std::memcpy(dst, src, es);
    return;
  }
  const int rank = static_cast<int>(dims.size());
  // A batch of planes whose last two dims swap (out [b][i][j] = src[b][j][i]): transposePlanes. Rank 2
  // is one plane (a Linear weight's Transpose), rank 3 a batch (NCHW <-> NHWC at batch > 1).
  if (es == 4 && rank >= 2 && rank <= 3 && st[rank - 2] == 1 && st[rank - 1] == dims[rank - 2] &&
      (rank == 2 || st[0] == dims[1] * dims[2])) {
    const int64_t batch = rank == 3 ? dims[0] : 1;
    transposePlanes(reinterpret_cast<const uint32_t*>(src), batch, dims[rank - 1], dims[rank - 2],
                    reinterpret_cast<uint32_t*>(dst), threads);
    return;
  }
  const int64_t inner = dims.back(), is = st.back();
  const int64_t outer = total / inner;
  parallelFor(outer, threads, std::max<int64_t>(1, (1 << 16) / inner), [&](int64_t ob, int64_t oe) {
    std::vector<int64_t> idx(rank, 0);
    int64_t off = 0, rem = ob;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = rem % dims[d];
      rem /= dims[d];
      off += idx[d] * st[d];
    }
    for (int64_t o = ob; o < oe; ++o) {
      const std::byte* s = src + off * static_cast<int64_t>(es);
      std::byte* d = dst + o * inner * static_cast<int64_t>(es);
      if (is == 1) std::memcpy(d, s, inner * es);
      else if (es == 4) detail::copyRun<uint32_t>(s, is, inner, d);
      else if (es == 8) detail::copyRun<uint64_t>(s, is, inner, d);
      else if (es == 2) detail::copyRun<uint16_t>(s, is, inner, d);
      else detail::copyRun<uint8_t>(s, is, inner, d);
      for (int k = rank - 2; k >= 0; --k) {
        off += st[k];
        if (++idx[k] < dims[k]) break;
        off -= st[k] * dims[k];
        idx[k] = 0;
      }
    }
  });
}

}  // namespace dnnc::ops
