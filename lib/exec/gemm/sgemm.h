// sgemm: the executor's float32 matrix product C = A * B (+ bias, ReLU), for Conv (im2col), Gemm and
// MatMul.
//
// A register-blocked GEMM in the style of BLIS/GotoBLAS (sgemm_blocked.h): a micro-kernel over operands
// packed into panels, with cache blocking KC = 256, MC = 120 rows of A and NC = 256 columns of B. The
// micro-kernel is the widest the CPU runs, chosen at run time (isa.h): 12x32 with AVX-512
// (sgemm_avx512.cpp), 6x16 with AVX2/FMA (sgemm_avx2.cpp), and Eigen's product without either
// (sgemm_generic.cpp). Either operand can be packed once and kept (constant weights: PackedA for Conv,
// whose weights are the left operand, PackedB for Gemm/MatMul, whose weights are the right one), or
// packed on the fly. The write-back adds a per-row or per-column bias and applies ReLU, so the output is
// written once.
//
// Nothing here threads: callers split C into row or column ranges (panel-aligned: rowPanel() and
// columnPanel()) across threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace dnnc::gemm {

// The active path's micro-kernel tile: rows of C per panel of packed A (12 with AVX-512, 6 with AVX2,
// 1 on the generic path) and columns of C per panel of packed B (32, 16, 1). Row and column ranges
// passed to multiply() start at multiples of these.
int64_t rowPanel();
int64_t columnPanel();

// A strided view of a matrix: element (r, c) at data[r * rs + c * cs]. Covers row-major (rs = ld,
// cs = 1) and transposed (rs = 1, cs = ld) storage.
struct MatrixRef {
  const float* data = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t rs = 0, cs = 1;
  static MatrixRef rowMajor(const float* d, int64_t r, int64_t c) { return {d, r, c, c, 1}; }
  static MatrixRef transposed(const float* d, int64_t r, int64_t c) { return {d, r, c, 1, r}; }  // d is c x r
  float at(int64_t r, int64_t c) const { return data[r * rs + c * cs]; }
};

// The right operand given as one pointer per row (K rows), each with `cols` contiguous floats: an
// im2col matrix, or rows of the (padded) input image itself, so that im2col needs no copy.
struct RowsRef {
  const float* const* rows = nullptr;
  int64_t depth = 0, cols = 0;  // K, N
  // The rows were just written (a copy into scratch, or the layer before at batch 1), so they are in
  // cache and a product with few rows of C may read them in place; else it packs them (see
  // multiply()).
  bool cached = true;
};

// What the write-back does: C = A*B + row_bias[i] + col_bias[j], then max(C, 0) when relu.
// Bias pointers are indexed relative to the C block written (callers offset them).
struct Epilogue {
  const float* row_bias = nullptr;
  const float* col_bias = nullptr;
  bool relu = false;
};

struct AlignedFree {
  void operator()(float* p) const;
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;
AlignedFloats allocFloats(size_t n);  // 64-byte aligned, uninitialised

// A left operand packed once: rows in panels of rowPanel(), depth in blocks of 256 (on the generic path,
// a plain row-major copy for Eigen).
class PackedA {
 public:
  PackedA() = default;
  // row_scale (optional, one factor per row of A): packs diag(row_scale) * A instead, e.g. a convolution
  // whose following BatchNormalization is folded into its weights.
  explicit PackedA(MatrixRef a, const float* row_scale = nullptr);  // owns its storage
  // Packs into caller storage of at least floatsFor(rows, cols) floats (per-call packing into scratch).
  PackedA(MatrixRef a, float* storage, const float* row_scale = nullptr);
  static size_t floatsFor(int64_t rows, int64_t cols);
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  size_t bytes() const { return floatsFor(rows_, cols_) * sizeof(float); }
  const float* data() const { return data_; }

 private:
  AlignedFloats own_;
  const float* data_ = nullptr;
  int64_t rows_ = 0, cols_ = 0;
};

// A right operand packed once: columns in panels of columnPanel(), depth in blocks of 256.
class PackedB {
 public:
  PackedB() = default;
  explicit PackedB(MatrixRef b);
  static size_t floatsFor(int64_t rows, int64_t cols);
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  size_t bytes() const { return floatsFor(rows_, cols_) * sizeof(float); }
  const float* data() const { return data_.get(); }

 private:
  AlignedFloats data_;
  int64_t rows_ = 0, cols_ = 0;
};

// C rows [m0, m1) of A * B, written at c (row stride ldc; c points at row m0). m0 must be a multiple
// of rowPanel(). B's columns all go to C. For few rows of C, B is read in place through its row pointers
// instead of being packed (each row must then hold its `cols` floats; nothing past them is read).
void multiply(const PackedA& a, int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep);
// C columns [n0, n1) of A * B, written at c (c points at column n0). n0 must be a multiple of
// columnPanel().
void multiply(MatrixRef a, const PackedB& b, int64_t n0, int64_t n1, float* c, int64_t ldc, const Epilogue& ep);
// Both operands packed on the fly.
void multiply(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep);
// y[n0, n1) of the row product x[1 x K] * B[K x N]: a fully-connected layer at batch 1, streamed from
// B's own storage (packing B would cost as much as the product). y points at column n0.
void multiplyRow(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep);

}  // namespace dnnc::gemm
