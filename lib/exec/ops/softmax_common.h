// Softmax and LogSoftmax along one axis (opset 13), or over the dims from `axis` on (opset < 13, which
// coerces the input to 2-D).
#pragma once
#include <cmath>
#include <limits>

#include "lib/exec/ops/common.h"

namespace dnnc::ops {

struct SoftmaxKernel {
  int64_t axis = -1;
  bool coerce_2d = false;
  bool log = false;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (x.dtype != DType::Float) return ctx.error("expects float32 input, got ", dtypeName(x.dtype));
    DNNC_ASSIGN(int ax, normalizeAxis(axis, std::max(1, x.rank()), ctx));
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < x.rank(); ++i) {
      if (i < ax) outer *= x.dims[i];
      else if (i == ax || coerce_2d) n *= x.dims[i];
      else inner *= x.dims[i];
    }
    Value& y = ctx.outputInPlace(0, 0, DType::Float, x.dims);
    const float* in = x.as<float>();
    float* out = y.as<float>();
    parallelFor(outer * inner, ctx.threads(), 256 / std::max<int64_t>(1, n / 16 + 1) + 1, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t o = r / inner, i = r % inner;
        const float* px = in + o * n * inner + i;
        float* py = out + o * n * inner + i;
        float m = -std::numeric_limits<float>::infinity();
        for (int64_t k = 0; k < n; ++k) m = std::max(m, px[k * inner]);
        double sum = 0;
        for (int64_t k = 0; k < n; ++k) sum += std::exp(static_cast<double>(px[k * inner] - m));
        if (log) {
          float ls = static_cast<float>(std::log(sum));
          for (int64_t k = 0; k < n; ++k) py[k * inner] = px[k * inner] - m - ls;
        } else {
          for (int64_t k = 0; k < n; ++k) py[k * inner] = static_cast<float>(std::exp(static_cast<double>(px[k * inner] - m)) / sum);
        }
      }
    });
    return {};
  }
};

inline SoftmaxKernel softmaxFromNode(const NodeInfo& info, bool log) {
  SoftmaxKernel k;
  k.log = log;
  k.coerce_2d = info.opset() < 13;
  k.axis = info.attrInt("axis", k.coerce_2d ? 1 : -1);
  return k;
}

}  // namespace dnnc::ops
