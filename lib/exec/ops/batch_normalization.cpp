// BatchNormalization: y = scale * (x - mean) / sqrt(var + epsilon) + B per channel (axis 1), in place.
// With training_mode (opset 14+) the batch's own mean and (biased) variance are used and the running
// statistics come out as outputs 1 and 2, as the ONNX reference computes them.
// A Conv before it may have applied it already (the executor folds it: inferenceBatchNormAffine); its
// output then passes through. A Relu after it is applied in the same pass (KernelContext::fuseRelu).
#include "lib/exec/ops/batch_normalization.h"

#include <cmath>

#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
// a = scale / sqrt(var + epsilon), b = B - mean * a, as float (the order of operations fixes the result).
void affineOf(const float* scale, const float* bias, const float* mean, const float* var, float epsilon, int64_t C,
              float* a, float* b) {
  for (int64_t c = 0; c < C; ++c) {
    a[c] = scale[c] / std::sqrt(var[c] + epsilon);
    b[c] = bias[c] - mean[c] * a[c];
  }
}

struct BatchNormKernel {
  float epsilon = 1e-5f, momentum = 0.9f;
  bool training = false;

  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (ctx.inputNormalized(0)) {  // the Conv before already applied this node (fuseBatchNorm)
      ctx.outputAlias(0, 0, x.dims);
      return {};
    }
    if (x.dtype != DType::Float) return ctx.error("expects float32 X, got ", dtypeName(x.dtype));
    if (x.rank() < 2) return ctx.error("X ", dimsToString(x.dims), " needs a channel dim");
    const int64_t N = x.dims[0], C = x.dims[1], plane = x.numel() / std::max<int64_t>(1, N * C);
    const float* p[4];
    for (int i = 0; i < 4; ++i) {
      const Value& v = ctx.input(i + 1);
      if (v.dtype != DType::Float || v.numel() != C)
        return ctx.error("input ", i + 1, " must be float32 [", C, "], got ", describe(v.dtype, v.dims));
      p[i] = v.as<float>();
    }
    std::vector<float> a(C), b(C), mean(p[2], p[2] + C), var(p[3], p[3] + C);
    const float* xd = x.as<float>();
    if (training) {
      for (int64_t c = 0; c < C; ++c) {
        double s = 0, s2 = 0;
        for (int64_t n = 0; n < N; ++n) {
          const float* q = xd + (n * C + c) * plane;
          for (int64_t i = 0; i < plane; ++i) s += q[i];
        }
        const double cnt = static_cast<double>(N * plane), m = s / cnt;
        for (int64_t n = 0; n < N; ++n) {
          const float* q = xd + (n * C + c) * plane;
          for (int64_t i = 0; i < plane; ++i) s2 += (q[i] - m) * (q[i] - m);
        }
        mean[c] = static_cast<float>(m);
        var[c] = static_cast<float>(s2 / cnt);
      }
      if (ctx.wantsOutput(1)) {
        float* rm = ctx.output(1, DType::Float, {C}).as<float>();
        for (int64_t c = 0; c < C; ++c) rm[c] = p[2][c] * momentum + mean[c] * (1 - momentum);
      }
      if (ctx.wantsOutput(2)) {
        float* rv = ctx.output(2, DType::Float, {C}).as<float>();
        for (int64_t c = 0; c < C; ++c) rv[c] = p[3][c] * momentum + var[c] * (1 - momentum);
      }
    }
    affineOf(p[0], p[1], mean.data(), var.data(), epsilon, C, a.data(), b.data());
    Value& y = ctx.outputInPlace(0, 0, DType::Float, x.dims);
    float* yd = y.as<float>();
    // A Relu after it (DenseNet's pre-activation BN -> ReLU -> Conv) is applied in the same pass.
    const bool relu = ctx.fuseRelu();
    ops::parallelFor(N * C, ctx.threads(), std::max<int64_t>(1, (1 << 17) / std::max<int64_t>(plane, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const float sa = a[r % C], sb = b[r % C];
        const float* q = xd + r * plane;
        float* o = yd + r * plane;
        if (relu)
          for (int64_t i = 0; i < plane; ++i) o[i] = std::max(q[i] * sa + sb, 0.0f);
        else
          for (int64_t i = 0; i < plane; ++i) o[i] = q[i] * sa + sb;
      }
    });
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeBatchNormalization(const NodeInfo& info) {
  BatchNormKernel k;
  k.epsilon = info.attrFloat("epsilon", 1e-5f);
  k.momentum = info.attrFloat("momentum", 0.9f);
  k.training = info.attrInt("training_mode", 0) != 0;
  if (info.opset() < 9 && info.attrInt("spatial", 1) == 0)
    return info.error("spatial=0 (per-activation statistics) is not supported");
  return makeKernel(k);
}

std::vector<float> ops::inferenceBatchNormAffine(const NodeInfo& info) {
  if (info.op() != "BatchNormalization" || info.attrInt("training_mode", 0) != 0) return {};
  if (info.opset() < 9 && info.attrInt("spatial", 1) == 0) return {};
  const float* p[4];
  int64_t C = -1;
  for (int i = 0; i < 4; ++i) {
    const Tensor* t = info.constant(i + 1);
    if (!t || t->dtype() != DType::Float || (C >= 0 && t->numel() != C)) return {};
    C = t->numel();
    p[i] = t->data<float>();
  }
  if (C <= 0) return {};
  std::vector<float> affine(2 * static_cast<size_t>(C));
  affineOf(p[0], p[1], p[2], p[3], info.attrFloat("epsilon", 1e-5f), C, affine.data(), affine.data() + C);
  return affine;
}

}  // namespace dnnc
