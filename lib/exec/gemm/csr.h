// Sparse weights for the executor: a pruned weight matrix in CSR (compressed sparse rows, one row per
// output feature or output channel) and the products the executor needs from it:
//   - C = A_csr * B with B dense (K rows given as pointers, as in sgemm.h): Conv through im2col, and
//     Gemm/MatMul on a batch (B = the transposed activations);
//   - y = A_csr * x for one vector: a fully-connected layer at batch 1.
// A kernel runs on CSR only where that is faster than the dense GEMM: csrPays() below.
// Ref: Han, Pool, Tran, Dally, "Learning both Weights and Connections for Efficient Neural Networks",
// NeurIPS 2015 (3x CPU speed-up of pruned FC layers at about 90 % sparsity).
#pragma once
#include <cstdint>
#include <vector>

#include "lib/exec/gemm/sgemm.h"

namespace dnnc::gemm {

class CsrMatrix {
 public:
  CsrMatrix() = default;
  // The non-zeros of a (exact zeros are dropped), row by row.
  explicit CsrMatrix(MatrixRef a);
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t nnz() const { return static_cast<int64_t>(values_.size()); }
  double density() const { return rows_ > 0 && cols_ > 0 ? static_cast<double>(nnz()) / (rows_ * cols_) : 1.0; }
  size_t bytes() const { return values_.size() * 8 + row_start_.size() * 8; }

  // C rows [m0, m1) of A * B, written at c (row stride ldc; c points at row m0); epilogue as in sgemm.h.
  void multiply(int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep) const;
  // y[m0, m1) = (A * x)[m0, m1) (+ row bias, ReLU); x has cols() floats, y points at row m0.
  void multiplyVector(int64_t m0, int64_t m1, const float* x, float* y, const Epilogue& ep) const;

 private:
  int64_t rows_ = 0, cols_ = 0;
  std::vector<int64_t> row_start_;  // rows + 1
  std::vector<int32_t> col_;
  std::vector<float> values_;
};

// Whether the CSR product beats the dense GEMM at this weight density for a product `columns` wide
// (columns of B: the batch for Gemm/MatMul, output positions per task for Conv) and a dense weight
// matrix of weight_bytes. From the crossover table bench/sparse measures (see csr.cpp).
bool csrPays(double density, int64_t columns, double weight_bytes);
double csrCrossoverDensity(int64_t columns, double weight_bytes);

}  // namespace dnnc::gemm
