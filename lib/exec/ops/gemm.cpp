// Gemm: Y = alpha * op(A) * op(B) + beta * C, op = optional transpose; C broadcasts to [M, N].
#include <Eigen/Core>

#include "lib/exec/ops/broadcast.h"

namespace dnnc {
namespace {

using ConstRowMap = Eigen::Map<const RowMatrixF>;
using RowMap = Eigen::Map<RowMatrixF>;

struct GemmKernel {
  float alpha = 1, beta = 1;
  bool trans_a = false, trans_b = false;

  Status run(KernelContext& ctx) {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if (a.dtype != DType::Float || b.dtype != DType::Float) return ctx.error("expects float32 A and B");
    if (a.rank() != 2 || b.rank() != 2)
      return ctx.error("A ", dimsToString(a.dims), " and B ", dimsToString(b.dims), " must be 2-D");
    const int64_t M = trans_a ? a.dims[1] : a.dims[0], K = trans_a ? a.dims[0] : a.dims[1];
    const int64_t Kb = trans_b ? b.dims[1] : b.dims[0], N = trans_b ? b.dims[0] : b.dims[1];
    if (K != Kb) return ctx.error("A ", dimsToString(a.dims), " and B ", dimsToString(b.dims), " do not multiply");
    Value& y = ctx.output(0, DType::Float, {M, N});
    RowMap Y(y.as<float>(), M, N);
    ConstRowMap A(a.as<float>(), a.dims[0], a.dims[1]);
    ConstRowMap B(b.as<float>(), b.dims[0], b.dims[1]);
    if (!trans_a && !trans_b) Y.noalias() = A * B;
    else if (!trans_a) Y.noalias() = A * B.transpose();
    else if (!trans_b) Y.noalias() = A.transpose() * B;
    else Y.noalias() = A.transpose() * B.transpose();
    if (alpha != 1.0f) Y *= alpha;
    if (ctx.hasInput(2) && beta != 0.0f) {
      const Value& c = ctx.input(2);
      if (c.dtype != DType::Float) return ctx.error("expects float32 C");
      std::vector<int64_t> dims;
      const int64_t out[2] = {M, N};
      if (!ops::broadcastDims(c.dims, out, dims) || dims != std::vector<int64_t>{M, N})
        return ctx.error("C ", dimsToString(c.dims), " does not broadcast to [", M, ",", N, "]");
      ops::BroadcastPlan plan = ops::planBroadcast(y.dims, c.dims, y.dims);
      const float bt = beta;
      ops::broadcastApply(plan, y.as<float>(), c.as<float>(), y.as<float>(), 1, [bt](float v, float cv) { return v + bt * cv; });
    }
    return {};
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> makeGemm(const NodeInfo& info) {
  GemmKernel k;
  k.alpha = info.attrFloat("alpha", 1.0f);
  k.beta = info.attrFloat("beta", 1.0f);
  k.trans_a = info.attrInt("transA", 0) != 0;
  k.trans_b = info.attrInt("transB", 0) != 0;
  return makeKernel(k);
}

}  // namespace dnnc
