// The direct convolution's packing, geometry and per-position offsets (see conv_direct.h); the tile
// kernels are per instruction set (conv_direct_avx2.cpp, conv_direct_avx512.cpp).
#include "lib/exec/gemm/conv_direct.h"

#include "lib/exec/gemm/conv_direct_backend.h"
#include "lib/exec/gemm/isa.h"

#include <algorithm>
#include <cstdint>

#include "lib/support/check.h"


namespace dnnc::gemm {

size_t DirectConvWeights::floatsFor(int64_t M, int64_t K) {
  return static_cast<size_t>((M + kDirectLanes - 1) / kDirectLanes * K * kDirectLanes);
}

DirectConvWeights::DirectConvWeights(const float* w, int64_t M, int64_t K, const float* row_scale)
    : own_(allocFloats(floatsFor(M, K))), data_(own_.get()), rows_(M), depth_(K) {
  pack(w, row_scale);
}

DirectConvWeights::DirectConvWeights(const float* w, int64_t M, int64_t K, const float* row_scale, float* storage)
    : data_(storage), rows_(M), depth_(K) {
  DNNC_CHECK(reinterpret_cast<uintptr_t>(storage) % 32 == 0, "directConv weights need 32-byte aligned storage");
  pack(w, row_scale);
}

void DirectConvWeights::pack(const float* w, const float* row_scale) {
  const int64_t blocks = (rows_ + kDirectLanes - 1) / kDirectLanes;
  float* d = data_;
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t k = 0; k < depth_; ++k)
      for (int64_t j = 0; j < kDirectLanes; ++j, ++d) {
        const int64_t m = b * kDirectLanes + j;
        *d = m < rows_ ? w[m * depth_ + k] * (row_scale ? row_scale[m] : 1.0f) : 0.0f;
      }
}

DirectConvGeometry directConvGeometry(int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, const int64_t pads[4],
                                      int64_t sh, int64_t sw, int64_t dh, int64_t dw) {
  DirectConvGeometry g;
  g.C = C;
  g.Hp = H + pads[0] + pads[2];
  g.Wp = W + pads[1] + pads[3];
  g.OH = (g.Hp - (kh - 1) * dh - 1) / sh + 1;
  g.OW = (g.Wp - (kw - 1) * dw - 1) / sw + 1;
  g.sh = sh;
  g.sw = sw;
  for (int64_t i = 0; i < kh; ++i)
    for (int64_t j = 0; j < kw; ++j) g.taps.push_back(static_cast<int32_t>(i * dh * g.Wp + j * dw));
  return g;
}

namespace {

detail::DirectConvFn chooseKernel() {
  switch (activeIsa()) {
    case Isa::Avx512:
      if (detail::DirectConvFn f = detail::directConvAvx512()) return f;
      [[fallthrough]];
    case Isa::Avx2:
      if (detail::DirectConvFn f = detail::directConvAvx2()) return f;
      break;
    case Isa::Generic: break;
  }
  return nullptr;
}

detail::DirectConvFn kernel() {
  static const detail::DirectConvFn f = chooseKernel();
  return f;
}

}  // namespace

bool directConvAvailable() { return kernel() != nullptr; }

void copyIntoBordered(const float* src, int64_t planes, int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t Hp,
                      int64_t Wp, float* dst) {
  static const detail::CopyIntoBorderedFn vec = activeIsa() != Isa::Generic ? detail::copyIntoBorderedAvx2() : nullptr;
  if (vec) return vec(src, planes, H, W, pt, pl, Hp, Wp, dst);
  for (int64_t c = 0; c < planes; ++c)
    for (int64_t h = 0; h < H; ++h, src += W) std::copy(src, src + W, dst + (c * Hp + h + pt) * Wp + pl);
}

void directConv(const DirectConvWeights& w, const DirectConvGeometry& g, const float* x, int64_t images, int64_t m0,
                int64_t m1, float* y, int64_t y_image, const float* bias, bool relu, bool accumulate) {
  const detail::DirectConvFn run = kernel();
  DNNC_CHECK(run != nullptr, "directConv needs the AVX2 or AVX-512 path (callers check directConvAvailable())");
  const int64_t ntaps = static_cast<int64_t>(g.taps.size());
  DNNC_CHECK(m0 % kDirectLanes == 0 && m0 <= m1 && m1 <= w.rows() && w.depth() == g.C * ntaps);
  const int64_t P = g.OH * g.OW, x_image = g.C * g.Hp * g.Wp, n = images * P;
  // Per output position: its window origin in x and its place in y.
  thread_local std::vector<int64_t> xoff, yoff;
  xoff.resize(static_cast<size_t>(n));
  yoff.resize(static_cast<size_t>(n));
  for (int64_t i = 0, p = 0; i < images; ++i)
    for (int64_t oh = 0; oh < g.OH; ++oh)
      for (int64_t ow = 0; ow < g.OW; ++ow, ++p) {
        xoff[p] = i * x_image + oh * g.sh * g.Wp + ow * g.sw;
        yoff[p] = i * y_image + oh * g.OW + ow;
      }
  run({&w, &g, x, xoff.data(), yoff.data(), n, m0, m1, y, P, bias, relu, accumulate});
}

}  // namespace dnnc::gemm
