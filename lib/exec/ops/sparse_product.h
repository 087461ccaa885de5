// Sparse weights of a Gemm or MatMul: Y[M x N] = A[M x K] * B[K x N] with a constant, pruned B runs on
// the CSR kernel (lib/exec/gemm/csr.h) when the executor's SparseMode and the measured crossover
// (gemm::csrPays, by weight density and batch M) say so. The CSR holds B^T (one row per output
// feature) and is built on first use, from the weights the kernel actually sees.
#pragma once
#include <algorithm>
#include <memory>
#include <vector>

#include "lib/exec/gemm/csr.h"
#include "lib/exec/kernel.h"
#include "lib/exec/thread_pool.h"
#include "lib/exec/sparse_mode.h"

namespace dnnc::ops {

// The fraction of non-zeros of a float tensor.
inline double densityOf(const Tensor& t) {
  auto v = t.span<float>();
  if (v.empty()) return 1.0;
  int64_t nz = 0;
  for (float x : v) nz += x != 0.0f;
  return static_cast<double>(nz) / static_cast<double>(v.size());
}

class SparseWeights {
 public:
  SparseWeights() = default;
  // w: the weights when known before running (an initializer), else nullptr (then never sparse).
  explicit SparseWeights(const Tensor* w) {
    if (w && w->dtype() == DType::Float) {
      constant_ = true;
      density_ = densityOf(*w);
      bytes_ = static_cast<double>(w->sizeBytes());
    }
  }
  bool constant() const { return constant_; }
  double density() const { return density_; }

  // Whether a product `columns` wide runs on CSR.
  bool wanted(const KernelContext& ctx, int64_t columns) const {
    if (!constant_) return false;
    switch (ctx.sparseMode()) {
      case SparseMode::Never: return false;
      case SparseMode::Always: return true;
      case SparseMode::Auto: return gemm::csrPays(density_, columns, bytes_);
    }
    return false;
  }

  // The CSR of `w` (rows x cols view), built once per weight buffer.
  const gemm::CsrMatrix& csr(gemm::MatrixRef w) {
    if (!csr_ || built_from_ != w.data) {
      csr_ = std::make_shared<gemm::CsrMatrix>(w);
      built_from_ = w.data;
    }
    return *csr_;
  }

  // Y = A * B (epilogue: col_bias per output feature, relu) on CSR, or false when the dense product
  // should run instead.
  bool multiply(KernelContext& ctx, gemm::MatrixRef B, gemm::MatrixRef A, int64_t M, const gemm::Epilogue& ep, float* y) {
    if (!wanted(ctx, M)) return false;
    const int64_t K = B.rows, N = B.cols;
    const gemm::CsrMatrix& w = csr({B.data, N, K, B.cs, B.rs});  // B^T
    ctx.noteKernel("csr");
    const double macs = static_cast<double>(w.nnz()) * M;
    const int threads = macs >= 1e6 * ctx.threads() ? ctx.threads() : 1;
    float* xt = nullptr;
    float* yt = nullptr;
    std::vector<const float*> rows;
    if (M > 1 || A.cs != 1) {  // C^T = W * A^T: A^T and C^T in scratch
      xt = ctx.scratch(static_cast<size_t>(K * M + N * M));
      yt = xt + K * M;
      for (int64_t m = 0; m < M; ++m)
        for (int64_t k = 0; k < K; ++k) xt[k * M + m] = A.at(m, k);
      rows.resize(static_cast<size_t>(K));
      for (int64_t k = 0; k < K; ++k) rows[k] = xt + k * M;
    }
    auto part = [&](int64_t n0, int64_t n1) {
      gemm::Epilogue e{ep.col_bias ? ep.col_bias + n0 : nullptr, nullptr, ep.relu};
      if (!xt) w.multiplyVector(n0, n1, A.data, y + n0, e);
      else w.multiply(n0, n1, {rows.data(), K, M}, yt + n0 * M, M, e);
    };
    if (threads > 1) {
      parallelTasks(threads, threads, [&](int64_t t, int) { part(N * t / threads, N * (t + 1) / threads); });
    } else {
      part(0, N);
    }
    if (xt)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) y[m * N + n] = yt[n * M + m];
    return true;
  }

 private:
  bool constant_ = false;
  double density_ = 1.0;
  double bytes_ = 0.0;
  std::shared_ptr<gemm::CsrMatrix> csr_;
  const void* built_from_ = nullptr;
};

}  // namespace dnnc::ops
