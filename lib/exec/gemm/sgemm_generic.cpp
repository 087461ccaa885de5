// The GEMM's generic path, for CPUs without AVX2/FMA (or DNNC_ISA=generic): Eigen's product on plain
// row-major copies (the packed operands are those copies), and the epilogue as a pass over C.
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "lib/exec/gemm/sgemm_backend.h"

namespace dnnc::gemm::detail {
namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMap = Eigen::Map<const RowMatrixF>;
using StridedMap = Eigen::Map<RowMatrixF, 0, Eigen::OuterStride<>>;

void copyRowMajor(MatrixRef a, float* dst, const float* row_scale = nullptr) {
  for (int64_t r = 0; r < a.rows; ++r)
    for (int64_t k = 0; k < a.cols; ++k) dst[r * a.cols + k] = a.at(r, k) * (row_scale ? row_scale[r] : 1.0f);
}

void applyEpilogue(StridedMap& C, const Epilogue& ep) {
  for (int64_t i = 0; i < C.rows(); ++i)
    for (int64_t j = 0; j < C.cols(); ++j) {
      float v = C(i, j) + (ep.row_bias ? ep.row_bias[i] : 0.0f) + (ep.col_bias ? ep.col_bias[j] : 0.0f);
      C(i, j) = ep.relu ? std::max(v, 0.0f) : v;
    }
}

void packA(MatrixRef a, const float* row_scale, float* dst) { copyRowMajor(a, dst, row_scale); }
void packB(MatrixRef b, float* dst) { copyRowMajor(b, dst); }

void multiplyPackedA(const float* a, int64_t arows, int64_t K, int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc,
                     const Epilogue& ep) {
  const int64_t N = b.cols, M = m1 - m0;
  if (M == 0 || N == 0) return;
  std::vector<float> bt(static_cast<size_t>(K * N));
  for (int64_t k = 0; k < K; ++k) std::memcpy(bt.data() + k * N, b.rows[k], N * sizeof(float));
  StridedMap C(c, M, N, Eigen::OuterStride<>(ldc));
  C.noalias() = ConstRowMap(a + m0 * K, M, K) * ConstRowMap(bt.data(), K, N);
  applyEpilogue(C, ep);
}

void multiplyPackedB(MatrixRef a, const float* b, int64_t brows, int64_t bcols, int64_t n0, int64_t n1, float* c,
                     int64_t ldc, const Epilogue& ep) {
  const int64_t K = a.cols, M = a.rows, N = n1 - n0;
  if (M == 0 || N == 0) return;
  std::vector<float> at(static_cast<size_t>(M * K));
  copyRowMajor(a, at.data());
  StridedMap C(c, M, N, Eigen::OuterStride<>(ldc));
  Eigen::Map<const RowMatrixF, 0, Eigen::OuterStride<>> B(b + n0, K, N, Eigen::OuterStride<>(bcols));
  C.noalias() = ConstRowMap(at.data(), M, K) * B;
  applyEpilogue(C, ep);
}

void multiply(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep) {
  const int64_t K = a.cols, M = a.rows, N = b.cols;
  if (M == 0 || N == 0) return;
  std::vector<float> at(static_cast<size_t>(M * K)), bt(static_cast<size_t>(K * N));
  copyRowMajor(a, at.data());
  copyRowMajor(b, bt.data());
  StridedMap C(c, M, N, Eigen::OuterStride<>(ldc));
  C.noalias() = ConstRowMap(at.data(), M, K) * ConstRowMap(bt.data(), K, N);
  applyEpilogue(C, ep);
}

void multiplyRow(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep) {
  for (int64_t j = n0; j < n1; ++j) {
    float s = 0.0f;
    for (int64_t k = 0; k < b.rows; ++k) s += x[k] * b.at(k, j);
    s += ep.col_bias ? ep.col_bias[j - n0] : 0.0f;
    y[j - n0] = ep.relu ? std::max(s, 0.0f) : s;
  }
}

}  // namespace

const Backend& genericBackend() {
  static const Backend backend{1, 1, packA, packB, multiplyPackedA, multiplyPackedB, multiply, multiplyRow};
  return backend;
}

}  // namespace dnnc::gemm::detail
