// sgemm: the executor's float32 matrix product C = A * B (+ bias, ReLU), for Conv (im2col), Gemm and
// MatMul.
//
// With AVX2 and FMA at compile time (__AVX2__ && __FMA__) it is a register-blocked GEMM in the style of
// BLIS/GotoBLAS: a 6x16 micro-kernel (12 ymm accumulators) over operands packed into panels, with
// cache blocking KC = 256 (a 16 KiB panel of B in L1), MC = 120 rows of A (120 KiB, in L2) and
// NC = 256 columns of B (256 KiB, in L2). Either operand can be packed once and kept (constant
// weights: PackedA for Conv, whose weights are the left operand, PackedB for Gemm/MatMul, whose
// weights are the right one), or packed on the fly. The write-back adds a per-row or per-column bias
// and applies ReLU, so the output is written once. Without AVX2/FMA the same API runs on Eigen.
//
// Nothing here threads: callers split C into row or column ranges (panel-aligned) across threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace dnnc::gemm {

#if defined(__AVX2__) && defined(__FMA__)
inline constexpr bool kNative = true;
#else
inline constexpr bool kNative = false;
#endif

inline constexpr int64_t kMR = 6;    // rows of the micro-kernel's C tile
inline constexpr int64_t kNR = 16;   // columns of the micro-kernel's C tile (two ymm)
inline constexpr int64_t kKC = 256;  // depth of a packed block

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

// A left operand packed once: rows in panels of kMR, depth in blocks of kKC (or, without AVX2, a plain
// row-major copy for Eigen).
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
  void pack(MatrixRef a, const float* row_scale);
  AlignedFloats own_;
  const float* data_ = nullptr;
  int64_t rows_ = 0, cols_ = 0;
};

// A right operand packed once: columns in panels of kNR, depth in blocks of kKC.
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
// of kMR. B's columns all go to C. For few rows of C, B is read in place through its row pointers
// instead of being packed (each row must then hold its `cols` floats; nothing past them is read).
void multiply(const PackedA& a, int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep);
// C columns [n0, n1) of A * B, written at c (c points at column n0). n0 must be a multiple of kNR.
void multiply(MatrixRef a, const PackedB& b, int64_t n0, int64_t n1, float* c, int64_t ldc, const Epilogue& ep);
// Both operands packed on the fly.
void multiply(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep);
// y[n0, n1) of the row product x[1 x K] * B[K x N]: a fully-connected layer at batch 1, streamed from
// B's own storage (packing B would cost as much as the product). y points at column n0.
void multiplyRow(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep);

}  // namespace dnnc::gemm
