// GlobalAveragePool / GlobalMaxPool: one value per (image, channel) over all spatial dims.
#pragma once
#include <limits>

#include "lib/exec/ops/common.h"
#include "lib/exec/ops/contiguous_sum.h"

namespace dnnc::ops {

struct GlobalPoolKernel {
  bool is_max = false;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (x.dtype != DType::Float) return ctx.error("expects float32 input, got ", dtypeName(x.dtype));
    if (x.rank() < 2) return ctx.error("X ", dimsToString(x.dims), " needs N and C dims");
    std::vector<int64_t> dims = x.dims;
    int64_t plane = 1;
    for (size_t i = 2; i < dims.size(); ++i) {
      plane *= dims[i];
      dims[i] = 1;
    }
    Value& y = ctx.output(0, DType::Float, dims);
    const float* in = x.as<float>();
    float* out = y.as<float>();
    parallelFor(x.dims[0] * x.dims[1], ctx.threads(), std::max<int64_t>(1, (1 << 17) / std::max<int64_t>(plane, 1)),
                [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const float* s = in + p * plane;
        if (is_max) {
          float m = -std::numeric_limits<float>::infinity();
          for (int64_t i = 0; i < plane; ++i) m = std::max(m, s[i]);
          out[p] = m;
        } else {
          out[p] = plane ? contiguousSum(s, plane) / static_cast<float>(plane) : 0.0f;
        }
      }
    });
    return {};
  }
};

}  // namespace dnnc::ops
