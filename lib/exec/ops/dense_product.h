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

// Row parts need at least this many rows per thread; fewer rows split by columns (see denseProduct).
constexpr int64_t kMinRowsPerPart = 64;

// packed: B already packed (constant weights), or nullptr to pack per call.
// Threads take row ranges of Y when A has enough rows (a transformer's or ConvNeXt's MatMul over every
// position: 3136 x 384 times 384 x 96): each part then packs only its own rows of A, where column parts
// each pack all of A, and a narrow N (three 32-column panels) cannot be split evenly. Otherwise (batch
// rows of a fully-connected layer) they take column ranges.
inline void denseProduct(KernelContext& ctx, gemm::MatrixRef A, gemm::MatrixRef B, float* y, const gemm::Epilogue& ep,
                         const gemm::PackedB* packed = nullptr) {
  const int64_t M = A.rows, N = B.cols;
  const double macs = static_cast<double>(M) * N * A.cols;
  const bool row = M == 1 && A.cs == 1;
  // The row kernel streams every weight once (memory-bound, a quarter of the GEMM's MACs per cycle), so
  // it pays to split at a quarter of the GEMM's threshold: MnasNet's 1280 x 1000 classifier (1.3 M
  // MACs, 5 MB) ran 0.20 ms on one thread and gained nothing from a second under the GEMM's.
  const double per_thread = row ? 2.5e5 : 1e6;
  const int threads = macs >= per_thread * ctx.threads() ? ctx.threads() : 1;
  ctx.noteKernel(row ? "dense row" : "dense gemm");
  const bool by_rows = !row && threads > 1 && M >= kMinRowsPerPart * threads;
  const int64_t extent = by_rows ? M : N;
  const int64_t align = by_rows ? gemm::rowPanel() : row ? 4 : gemm::columnPanel();
  const int64_t chunk = ((extent + threads - 1) / threads + align - 1) / align * align;
  const int64_t parts = (extent + chunk - 1) / chunk;
  auto part = [&](int64_t t) {
    const int64_t i0 = t * chunk, i1 = std::min(extent, i0 + chunk);
    gemm::Epilogue e = ep;
    gemm::MatrixRef a = A, b = B;
    float* c = y;
    if (by_rows) {
      if (e.row_bias) e.row_bias += i0;
      a.data += i0 * A.rs;
      a.rows = i1 - i0;
      c += i0 * N;
      if (packed) return gemm::multiply(a, *packed, 0, N, c, N, e);
      return gemm::multiply(a, b, c, N, e);
    }
    if (e.col_bias) e.col_bias += i0;
    if (row) return gemm::multiplyRow(A.data, B, i0, i1, y + i0, e);
    if (packed) return gemm::multiply(A, *packed, i0, i1, y + i0, N, e);
    b.data += i0 * B.cs;
    b.cols = i1 - i0;
    gemm::multiply(A, b, y + i0, N, e);
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
