#include "lib/linalg/unfold.h"

#include "lib/support/check.h"

namespace dnnc::linalg {

namespace {

int64_t product(const std::vector<int64_t>& d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= d[i];
  return p;
}

}  // namespace

DenseTensor::DenseTensor(std::vector<int64_t> d) : dims(std::move(d)), data(Vector::Zero(product(dims, 0, dims.size()))) {}

DenseTensor::DenseTensor(std::vector<int64_t> d, Vector values) : dims(std::move(d)), data(std::move(values)) {
  DNNC_CHECK(data.size() == product(dims, 0, dims.size()), "tensor data does not match its dims");
}

// In C order an index splits as (outer, i_mode, inner): outer runs over the modes before `mode`,
// inner over those after. The unfolding's column is outer * inner_size + inner.
Matrix unfold(const DenseTensor& t, int mode) {
  DNNC_CHECK(mode >= 0 && mode < t.order(), "unfold: mode ", mode, " of an order-", t.order(), " tensor");
  const size_t m = static_cast<size_t>(mode);
  const int64_t outer = product(t.dims, 0, m), n = t.dims[m], inner = product(t.dims, m + 1, t.dims.size());
  Matrix out(n, outer * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i)
      out.row(i).segment(o * inner, inner) = t.data.segment((o * n + i) * inner, inner).transpose();
  return out;
}

DenseTensor fold(const Matrix& mat, int mode, const std::vector<int64_t>& dims) {
  DenseTensor t(dims);
  const size_t m = static_cast<size_t>(mode);
  const int64_t outer = product(dims, 0, m), n = dims[m], inner = product(dims, m + 1, dims.size());
  DNNC_CHECK(mat.rows() == n && mat.cols() == outer * inner, "fold: matrix does not match the dims");
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i) t.data.segment((o * n + i) * inner, inner) = mat.row(i).segment(o * inner, inner).transpose();
  return t;
}

DenseTensor modeProduct(const DenseTensor& t, int mode, const Matrix& m) {
  DNNC_CHECK(m.cols() == t.dims[static_cast<size_t>(mode)], "mode product: ", m.cols(), " columns for mode size ",
             t.dims[static_cast<size_t>(mode)]);
  std::vector<int64_t> dims = t.dims;
  dims[static_cast<size_t>(mode)] = m.rows();
  return fold(m * unfold(t, mode), mode, dims);
}

double relativeError(const DenseTensor& a, const DenseTensor& b) {
  DNNC_CHECK(a.dims == b.dims, "relative error of tensors with different dims");
  double na = a.norm(), d = (a.data - b.data).norm();
  return na > 0 ? d / na : d;
}

}  // namespace dnnc::linalg
