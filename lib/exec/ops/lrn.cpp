// LRN: y = x / (bias + alpha / size * sum of x^2 over the `size` nearest channels)^beta (AlexNet).
#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct LrnKernel {
  float alpha = 1e-4f, beta = 0.75f, bias = 1.0f;
  int64_t size = 1;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (x.dtype != DType::Float) return ctx.error("expects float32 input, got ", dtypeName(x.dtype));
    if (x.rank() < 2) return ctx.error("X ", dimsToString(x.dims), " needs a channel dim");
    const int64_t N = x.dims[0], C = x.dims[1], plane = x.numel() / std::max<int64_t>(1, N * C);
    Value& y = ctx.output(0, DType::Float, x.dims);
    const float* xd = x.as<float>();
    float* yd = y.as<float>();
    const int64_t before = (size - 1) / 2, after = size - 1 - before;
    ops::parallelFor(N * C, ctx.threads(), 1, [&](int64_t lo, int64_t hi) {
      std::vector<float> sq(plane);
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t n = r / C, c = r % C;
        std::fill(sq.begin(), sq.end(), 0.0f);
        for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(C - 1, c + after); ++k) {
          const float* q = xd + (n * C + k) * plane;
          for (int64_t i = 0; i < plane; ++i) sq[i] += q[i] * q[i];
        }
        const float* q = xd + r * plane;
        float* o = yd + r * plane;
        for (int64_t i = 0; i < plane; ++i) o[i] = q[i] / std::pow(bias + alpha / static_cast<float>(size) * sq[i], beta);
      }
    });
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeLRN(const NodeInfo& info) {
  LrnKernel k;
  k.alpha = info.attrFloat("alpha", 1e-4f);
  k.beta = info.attrFloat("beta", 0.75f);
  k.bias = info.attrFloat("bias", 1.0f);
  k.size = info.attrInt("size", 0);
  if (k.size <= 0) return info.error("size must be a positive integer");
  return makeKernel(k);
}

}  // namespace dnnc
