// Gemm: Y = alpha * op(A) * op(B) + beta * C, op = optional transpose; C broadcasts to [M, N].
// The product runs on lib/exec/gemm: a row kernel at M = 1 (a fully-connected layer at batch 1, streamed
// from B's storage), the packed GEMM otherwise, or, for a constant pruned B, the CSR kernel where the
// measured crossover says it pays (sparse_product.h). A bias C of shape [N] (beta = alpha = 1) and a
// following Relu go into the write-back.
#include "lib/exec/gemm/sgemm.h"
#include "lib/exec/ops/broadcast.h"
#include "lib/exec/ops/dense_product.h"
#include "lib/exec/ops/sparse_product.h"

namespace dnnc {
namespace {

struct GemmKernel {
  float alpha = 1, beta = 1;
  bool trans_a = false, trans_b = false;
  ops::SparseWeights sparse;  // op(B)^T in CSR, when B is constant and sparse enough
  ops::KeptPackedB packed;

  Status run(KernelContext& ctx) {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if (a.dtype != DType::Float || b.dtype != DType::Float) return ctx.error("expects float32 A and B");
    if (a.rank() != 2 || b.rank() != 2)
      return ctx.error("A ", dimsToString(a.dims), " and B ", dimsToString(b.dims), " must be 2-D");
    const int64_t M = trans_a ? a.dims[1] : a.dims[0], K = trans_a ? a.dims[0] : a.dims[1];
    const int64_t Kb = trans_b ? b.dims[1] : b.dims[0], N = trans_b ? b.dims[0] : b.dims[1];
    if (K != Kb) return ctx.error("A ", dimsToString(a.dims), " and B ", dimsToString(b.dims), " do not multiply");
    const Value* c = ctx.hasInput(2) && beta != 0.0f ? &ctx.input(2) : nullptr;
    if (c) {
      if (c->dtype != DType::Float) return ctx.error("expects float32 C");
      std::vector<int64_t> dims;
      const int64_t out[2] = {M, N};
      if (!ops::broadcastDims(c->dims, out, dims) || dims != std::vector<int64_t>{M, N})
        return ctx.error("C ", dimsToString(c->dims), " does not broadcast to [", M, ",", N, "]");
    }
    Value& y = ctx.output(0, DType::Float, {M, N});
    if (y.numel() == 0) return {};
    const gemm::MatrixRef A = trans_a ? gemm::MatrixRef::transposed(a.as<float>(), M, K)
                                      : gemm::MatrixRef::rowMajor(a.as<float>(), M, K);
    const gemm::MatrixRef B = trans_b ? gemm::MatrixRef::transposed(b.as<float>(), K, N)
                                      : gemm::MatrixRef::rowMajor(b.as<float>(), K, N);
    // C as a bias per output column goes into the write-back (and then a following Relu may too).
    const bool c_is_bias = c && alpha == 1.0f && beta == 1.0f && c->numel() == N && c->dims.back() == N;
    gemm::Epilogue ep{nullptr, c_is_bias ? c->as<float>() : nullptr, false};
    if ((!c || c_is_bias) && alpha == 1.0f) ep.relu = ctx.fuseRelu();
    float* yd = y.as<float>();

    if (!sparse.multiply(ctx, B, A, M, ep, yd)) ops::denseProduct(ctx, A, B, yd, ep, packed.get(B, M, sparse.constant()));
    if (alpha != 1.0f)
      for (int64_t i = 0; i < M * N; ++i) yd[i] *= alpha;
    if (c && !c_is_bias) {
      ops::BroadcastPlan plan = ops::planBroadcast(y.dims, c->dims, y.dims);
      const float bt = beta;
      ops::broadcastApply(plan, yd, c->as<float>(), yd, 1, [bt](float v, float cv) { return v + bt * cv; });
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
  k.sparse = ops::SparseWeights(info.constant(1));
  return makeKernel(std::move(k));
}

}  // namespace dnnc
