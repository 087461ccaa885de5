// One instruction-set path of the GEMM (sgemm.h), as the table of entry points sgemm.cpp dispatches
// to: generic (Eigen, any CPU), AVX2/FMA (sgemm_avx2.cpp) and AVX-512 (sgemm_avx512.cpp). Internal to
// lib/exec/gemm.
#pragma once
#include <cstdint>

#include "lib/exec/gemm/sgemm.h"

namespace dnnc::gemm::detail {

struct Backend {
  int64_t mr = 1, nr = 1;  // panel sizes of the packed layouts (1: plain row-major copies)
  // The whole of A (times diag(row_scale) when given) or B, into floatsFor(rows, cols) floats.
  void (*pack_a)(MatrixRef a, const float* row_scale, float* dst);
  void (*pack_b)(MatrixRef b, float* dst);
  // C rows [m0, m1) of packed A (arows x K) times B's rows.
  void (*multiply_packed_a)(const float* a, int64_t arows, int64_t K, int64_t m0, int64_t m1, RowsRef b, float* c,
                            int64_t ldc, const Epilogue& ep);
  // C columns [n0, n1) of A times packed B (brows x bcols).
  void (*multiply_packed_b)(MatrixRef a, const float* b, int64_t brows, int64_t bcols, int64_t n0, int64_t n1,
                            float* c, int64_t ldc, const Epilogue& ep);
  void (*multiply)(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep);
  void (*multiply_row)(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep);
};

const Backend& genericBackend();
const Backend* avx2Backend();    // nullptr where not compiled in (not x86)
const Backend* avx512Backend();  // nullptr where not compiled in

}  // namespace dnnc::gemm::detail
