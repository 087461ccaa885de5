// The dense product Y[M x N] = A * B (+ epilogue) of Gemm and MatMul on lib/exec/gemm: the row kernel
// at M = 1 (streams B from its own storage), else the packed GEMM; column ranges on pool threads past
// about a million MACs per thread. KeptPackedB keeps a constant B packed for M > 1: packing a weight
// matrix per call costs several times the product at small batches (one store per weight).
#pragma once
#include <algorithm>
#include <memory>

#include "lib/exec/gemm/sgemm.h"
#include "lib/exec/kernel.h"
#include "lib/exec/thread_pool.h"

namespace dnnc::ops {

// packed: B already packed (constant weights), or nullptr to pack per call.
inline void denseProduct(KernelContext& ctx, gemm::MatrixRef A, gemm::MatrixRef B, float* y, const gemm::Epilogue& ep,
                         const gemm::PackedB* packed = nullptr) {
  const int64_t M = A.rows, N = B.cols;
  const double macs = static_cast<double>(M) * N * A.cols;
  const int threads = macs >= 1e6 * ctx.threads() ? ctx.threads() : 1;
  const bool row = M == 1 && A.cs == 1;
  ctx.noteKernel(row ? "dense row" : "dense gemm");
  const int64_t align = row ? 4 : gemm::columnPanel();
  const int64_t chunk = ((N + threads - 1) / threads + align - 1) / align * align;
  const int64_t parts = (N + chunk - 1) / chunk;
  auto part = [&](int64_t t) {
    const int64_t n0 = t * chunk, n1 = std::min(N, n0 + chunk);
    gemm::Epilogue e = ep;
    if (e.col_bias) e.col_bias += n0;
    if (row) {
      gemm::multiplyRow(A.data, B, n0, n1, y + n0, e);
      return;
    }
    if (packed) {
      gemm::multiply(A, *packed, n0, n1, y + n0, N, e);
      return;
    }
    gemm::MatrixRef Bp = B;
    Bp.data += n0 * B.cs;
    Bp.cols = n1 - n0;
    gemm::multiply(A, Bp, y + n0, N, e);
  };
  if (parts > 1) {
    parallelTasks(static_cast<int>(parts), parts, [&](int64_t t, int) { part(t); });
  } else if (parts == 1) {
    part(0);
  }
}

// A constant B packed on first use at M > 1, repacked if the weights move.
class KeptPackedB {
 public:
  const gemm::PackedB* get(gemm::MatrixRef B, int64_t M, bool constant) {
    if (!constant || M <= 1) return nullptr;
    if (!packed_ || from_ != B.data) {
      packed_ = std::make_shared<gemm::PackedB>(B);
      from_ = B.data;
    }
    return packed_.get();
  }

 private:
  std::shared_ptr<gemm::PackedB> packed_;
  const float* from_ = nullptr;
};

}  // namespace dnnc::ops
