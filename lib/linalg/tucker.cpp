#include "lib/linalg/tucker.h"

#include <algorithm>
#include <cmath>

#include "lib/linalg/svd.h"
#include "lib/support/check.h"

namespace dnnc::linalg {

namespace {

// The mode-`keep` unfolding of t x_mode factor^T, given t's mode-`mode` unfolding (the caller unfolds the
// large tensor once; only the small projected one is refolded here).
Matrix projectedUnfolding(const Matrix& unfolded, const std::vector<int64_t>& dims, int mode, const Matrix& factor,
                          int keep) {
  std::vector<int64_t> projected = dims;
  projected[static_cast<size_t>(mode)] = factor.cols();
  return unfold(fold(factor.transpose() * unfolded, mode, projected), keep);
}

Matrix updateFactor(const Matrix& a, const Matrix& u, HooiUpdate update) {
  if (update == HooiUpdate::Exact) return leadingLeftSubspace(a, static_cast<int>(u.cols())).u;
  return subspaceIterationStep(a, u);
}

}  // namespace

DenseTensor reconstruct(const Tucker2& d) { return modeProduct(modeProduct(d.core, 0, d.out_factor), 1, d.in_factor); }

Tucker2 tucker2(const DenseTensor& t, int rank_out, int rank_in, const TuckerOptions& options) {
  DNNC_CHECK(t.order() >= 2, "tucker2 on an order-", t.order(), " tensor");
  DNNC_CHECK(rank_out >= 1 && rank_out <= t.dims[0] && rank_in >= 1 && rank_in <= t.dims[1], "tucker2 ranks (", rank_out,
             ", ", rank_in, ") for modes (", t.dims[0], ", ", t.dims[1], ")");
  return tucker2From(t, leadingLeftSubspace(unfold(t, 0), rank_out).u, leadingLeftSubspace(unfold(t, 1), rank_in).u, options);
}

Tucker2 tucker2From(const DenseTensor& t, Matrix out_factor, Matrix in_factor, const TuckerOptions& options) {
  DNNC_CHECK(out_factor.rows() == t.dims[0] && in_factor.rows() == t.dims[1], "tucker2 factors do not match the tensor");
  Tucker2 d;
  d.out_factor = std::move(out_factor);
  d.in_factor = std::move(in_factor);
  const Matrix w0 = unfold(t, 0), w1 = unfold(t, 1);
  // W x_0 U_out^T, unfolded on mode 1: the in-factor's update and (projected by U_in^T) the core.
  Matrix a1 = projectedUnfolding(w0, t.dims, 0, d.out_factor, 1);
  std::vector<int64_t> core_dims = t.dims;
  core_dims[0] = d.out_factor.cols();
  core_dims[1] = d.in_factor.cols();
  d.core = fold(d.in_factor.transpose() * a1, 1, core_dims);
  d.hosvd_error = relativeError(t, reconstruct(d));
  // With orthonormal factors ||W - W_hat||^2 = ||W||^2 - ||G||^2: each sweep's error without a reconstruction.
  const double norm2 = t.data.squaredNorm();
  auto errorOf = [&](double core2) { return norm2 > 0 ? std::sqrt(std::max(0.0, 1 - core2 / norm2)) : 0.0; };
  double error = d.hosvd_error;
  for (int it = 0; it < options.max_iterations; ++it) {
    d.out_factor = updateFactor(projectedUnfolding(w1, t.dims, 1, d.in_factor, 0), d.out_factor, options.update);
    a1 = projectedUnfolding(w0, t.dims, 0, d.out_factor, 1);
    d.in_factor = updateFactor(a1, d.in_factor, options.update);
    d.core = fold(d.in_factor.transpose() * a1, 1, core_dims);
    d.iterations = it + 1;
    const double next = errorOf(d.core.data.squaredNorm());
    const bool converged = error - next < options.tolerance;
    error = next;
    if (converged) break;
  }
  d.error = relativeError(t, reconstruct(d));
  return d;
}

}  // namespace dnnc::linalg
