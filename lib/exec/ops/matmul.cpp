// MatMul: numpy matmul: 1-D operands are promoted and the added dim removed, batch dims broadcast.
// A 2-D B with any A is one GEMM over A's rows (on CSR when B is a constant pruned matrix and that is
// faster: sparse_product.h); batched B, one GEMM per batch entry.
#include "lib/exec/ops/broadcast.h"
#include "lib/exec/ops/dense_product.h"
#include "lib/exec/ops/sparse_product.h"

namespace dnnc {
namespace {

struct MatMulKernel {
  ops::SparseWeights sparse;  // B^T in CSR, when B is a constant 2-D matrix and sparse enough
  ops::KeptPackedB packed;

  Status run(KernelContext& ctx) {
    const Value& a = ctx.input(0);
    const Value& b = ctx.input(1);
    if (a.dtype != DType::Float || b.dtype != DType::Float)
      return ctx.error("expects float32 inputs, got ", dtypeName(a.dtype), " and ", dtypeName(b.dtype));
    if (a.rank() == 0 || b.rank() == 0) return ctx.error("inputs must not be scalars");
    std::vector<int64_t> ad = a.dims, bd = b.dims;
    const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
    if (a1) ad.insert(ad.begin(), 1);
    if (b1) bd.push_back(1);
    const int64_t M = ad[ad.size() - 2], K = ad.back(), Kb = bd[bd.size() - 2], N = bd.back();
    if (K != Kb) return ctx.error("A ", dimsToString(a.dims), " and B ", dimsToString(b.dims), " do not multiply");
    std::vector<int64_t> batch;
    std::span<const int64_t> ab(ad.data(), ad.size() - 2), bb(bd.data(), bd.size() - 2);
    if (!ops::broadcastDims(ab, bb, batch))
      return ctx.error("batch dims of ", dimsToString(a.dims), " and ", dimsToString(b.dims), " do not broadcast");
    std::vector<int64_t> dims = batch;
    if (!a1) dims.push_back(M);
    if (!b1) dims.push_back(N);
    Value& y = ctx.output(0, DType::Float, dims);
    const float* pa = a.as<float>();
    const float* pb = b.as<float>();
    float* py = y.as<float>();
    if (bb.empty() || bd.size() == 2) {  // B is one matrix: fold A's batch into its rows
      int64_t rows = 1;
      for (size_t i = 0; i + 1 < ad.size(); ++i) rows *= ad[i];
      if (rows == 0 || N == 0) return {};
      const auto A = gemm::MatrixRef::rowMajor(pa, rows, K);
      const auto B = gemm::MatrixRef::rowMajor(pb, K, N);
      gemm::Epilogue ep;
      ep.relu = ctx.fuseRelu();
      if (!sparse.multiply(ctx, B, A, rows, ep, py)) ops::denseProduct(ctx, A, B, py, ep, packed.get(B, rows, sparse.constant()));
      return {};
    }
    int64_t count = 1;
    for (int64_t d : batch) count *= d;
    // Batch offsets via broadcasting an index over the batch shape.
    std::vector<int64_t> ia(count), ib(count);
    {
      std::vector<int64_t> a_shape(ab.begin(), ab.end()), b_shape(bb.begin(), bb.end());
      std::vector<int64_t> a_idx(static_cast<size_t>(std::max<int64_t>(1, [&] { int64_t n = 1; for (auto d : a_shape) n *= d; return n; }())));
      std::vector<int64_t> b_idx(static_cast<size_t>(std::max<int64_t>(1, [&] { int64_t n = 1; for (auto d : b_shape) n *= d; return n; }())));
      for (size_t i = 0; i < a_idx.size(); ++i) a_idx[i] = static_cast<int64_t>(i);
      for (size_t i = 0; i < b_idx.size(); ++i) b_idx[i] = static_cast<int64_t>(i);
      ops::BroadcastPlan plan = ops::planBroadcast(a_shape, b_shape, batch);
      std::vector<std::pair<int64_t, int64_t>> pairs(count);
      ops::broadcastApply(plan, a_idx.data(), b_idx.data(), pairs.data(), 1,
                          [](int64_t i, int64_t j) { return std::pair<int64_t, int64_t>{i, j}; });
      for (int64_t i = 0; i < count; ++i) {
        ia[i] = pairs[i].first;
        ib[i] = pairs[i].second;
      }
    }
    if (M == 0 || N == 0) return {};
    for (int64_t i = 0; i < count; ++i)
      ops::denseProduct(ctx, gemm::MatrixRef::rowMajor(pa + ia[i] * M * K, M, K),
                        gemm::MatrixRef::rowMajor(pb + ib[i] * K * N, K, N), py + i * M * N, {});
    return {};
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> makeMatMul(const NodeInfo& info) {
  MatMulKernel k;
  const Tensor* b = info.constant(1);
  if (b && b->dims().size() == 2) k.sparse = ops::SparseWeights(b);
  return makeKernel(std::move(k));
}

}  // namespace dnnc
