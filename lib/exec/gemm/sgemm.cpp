// The GEMM's public entry points: the instruction-set path is chosen once per process (isa.h) and every
// call goes to its table (sgemm_backend.h). Packed operands are laid out for that path's panels.
#include "lib/exec/gemm/sgemm.h"

#include <algorithm>
#include <cstdlib>

#include "lib/exec/gemm/isa.h"
#include "lib/exec/gemm/sgemm_backend.h"
#include "lib/support/check.h"

namespace dnnc::gemm {
namespace {

const detail::Backend& chooseBackend() {
  switch (activeIsa()) {
    case Isa::Avx512:
      if (const detail::Backend* b = detail::avx512Backend()) return *b;
      break;
    case Isa::Avx2:
      if (const detail::Backend* b = detail::avx2Backend()) return *b;
      break;
    case Isa::Generic: break;
  }
  return detail::genericBackend();
}

const detail::Backend& backend() {
  static const detail::Backend& b = chooseBackend();
  return b;
}

int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

}  // namespace

void AlignedFree::operator()(float* p) const { std::free(p); }

AlignedFloats allocFloats(size_t n) {
  size_t bytes = (std::max<size_t>(n, 16) * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  DNNC_CHECK(p != nullptr, "out of memory allocating ", bytes, " bytes");
  return AlignedFloats(p);
}

int64_t rowPanel() { return backend().mr; }
int64_t columnPanel() { return backend().nr; }

size_t PackedA::floatsFor(int64_t rows, int64_t cols) { return static_cast<size_t>(roundUp(rows, rowPanel()) * cols); }
size_t PackedB::floatsFor(int64_t rows, int64_t cols) { return static_cast<size_t>(rows * roundUp(cols, columnPanel())); }

PackedA::PackedA(MatrixRef a, const float* row_scale)
    : own_(allocFloats(floatsFor(a.rows, a.cols))), rows_(a.rows), cols_(a.cols) {
  data_ = own_.get();
  backend().pack_a(a, row_scale, own_.get());
}

PackedA::PackedA(MatrixRef a, float* storage, const float* row_scale) : data_(storage), rows_(a.rows), cols_(a.cols) {
  backend().pack_a(a, row_scale, storage);
}

PackedB::PackedB(MatrixRef b) : data_(allocFloats(floatsFor(b.rows, b.cols))), rows_(b.rows), cols_(b.cols) {
  backend().pack_b(b, data_.get());
}

void multiply(const PackedA& a, int64_t m0, int64_t m1, RowsRef b, float* c, int64_t ldc, const Epilogue& ep) {
  backend().multiply_packed_a(a.data(), a.rows(), a.cols(), m0, m1, b, c, ldc, ep);
}

void multiply(MatrixRef a, const PackedB& b, int64_t n0, int64_t n1, float* c, int64_t ldc, const Epilogue& ep) {
  backend().multiply_packed_b(a, b.data(), b.rows(), b.cols(), n0, n1, c, ldc, ep);
}

void multiply(MatrixRef a, MatrixRef b, float* c, int64_t ldc, const Epilogue& ep) { backend().multiply(a, b, c, ldc, ep); }

void multiplyRow(const float* x, MatrixRef b, int64_t n0, int64_t n1, float* y, const Epilogue& ep) {
  backend().multiply_row(x, b, n0, n1, y, ep);
}

}  // namespace dnnc::gemm
