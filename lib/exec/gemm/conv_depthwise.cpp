// The depthwise convolution's geometry and dispatch (see conv_depthwise.h); the kernels are per
// instruction set (conv_depthwise_avx2.cpp, conv_depthwise_avx512.cpp).
#include "lib/exec/gemm/conv_depthwise.h"

#include "lib/exec/gemm/conv_depthwise_backend.h"

#include "lib/exec/gemm/conv_direct.h"
#include "lib/exec/gemm/isa.h"
#include "lib/support/check.h"

namespace dnnc::gemm {
namespace {

detail::DepthwiseFn kernel() {
  static const detail::DepthwiseFn f = activeIsa() == Isa::Avx512 ? detail::depthwiseAvx512()
                                       : activeIsa() == Isa::Avx2 ? detail::depthwiseAvx2()
                                                                  : nullptr;
  return f;
}

}  // namespace

DepthwiseGeometry depthwiseGeometry(int64_t H, int64_t W, int64_t kh, int64_t kw, const int64_t pads[4], int64_t sh,
                                    int64_t sw) {
  DepthwiseGeometry g;
  g.H = H, g.W = W, g.kh = kh, g.kw = kw, g.sh = sh, g.sw = sw;
  g.pt = pads[0], g.pl = pads[1];
  g.Hp = H + pads[0] + pads[2];
  g.Wp = W + pads[1] + pads[3];
  g.OH = (g.Hp - kh) / sh + 1;
  g.OW = (g.Wp - kw) / sw + 1;
  return g;
}

bool depthwiseAvailable(const DepthwiseGeometry& g) {
  return kernel() != nullptr && (g.sw == 1 || g.sw == 2) && g.sh >= 1 && g.OH >= 1 && g.OW >= 1;
}

// Stride 2 keeps the padded plane as its even and odd columns (conv_depthwise_planes.h): two planes of
// ceil(Wp / 2) columns.
int64_t depthwiseScratchFloats(const DepthwiseGeometry& g) {
  return (g.sw == 2 ? 2 * g.Hp * ((g.Wp + 1) / 2) : g.Hp * g.Wp) + kBorderedSlack;
}

void depthwiseConv(const DepthwiseGeometry& g, const float* x, const float* w, const float* scale, const float* bias,
                   bool relu, int64_t c0, int64_t c1, float* y, float* scratch) {
  DNNC_CHECK(depthwiseAvailable(g), "depthwiseConv on a geometry or machine it does not serve");
  kernel()(g, x, w, scale, bias, relu, c0, c1, y, scratch);
}

}  // namespace dnnc::gemm
