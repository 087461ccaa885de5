#include "lib/linalg/tucker.h"

#include <cmath>

#include "lib/linalg/svd.h"
#include "lib/support/check.h"

namespace dnnc::linalg {

DenseTensor reconstruct(const Tucker2& d) { return modeProduct(modeProduct(d.core, 0, d.out_factor), 1, d.in_factor); }

Tucker2 tucker2(const DenseTensor& t, int rank_out, int rank_in, const TuckerOptions& options) {
  DNNC_CHECK(t.order() >= 2, "tucker2 on an order-", t.order(), " tensor");
  DNNC_CHECK(rank_out >= 1 && rank_out <= t.dims[0] && rank_in >= 1 && rank_in <= t.dims[1], "tucker2 ranks (", rank_out,
             ", ", rank_in, ") for modes (", t.dims[0], ", ", t.dims[1], ")");
  return tucker2From(t, leadingLeftSubspace(unfold(t, 0), rank_out).u, leadingLeftSubspace(unfold(t, 1), rank_in).u, options);
}

Tucker2 tucker2From(const DenseTensor& t, Matrix out_factor, Matrix in_factor, const TuckerOptions& options) {
  DNNC_CHECK(out_factor.rows() == t.dims[0] && in_factor.rows() == t.dims[1], "tucker2 factors do not match the tensor");
  const int rank_out = static_cast<int>(out_factor.cols()), rank_in = static_cast<int>(in_factor.cols());
  Tucker2 d;
  d.out_factor = std::move(out_factor);
  d.in_factor = std::move(in_factor);
  auto coreOf = [&] { return modeProduct(modeProduct(t, 0, d.out_factor.transpose()), 1, d.in_factor.transpose()); };
  d.core = coreOf();
  d.hosvd_error = relativeError(t, reconstruct(d));
  const double norm = t.norm();
  double core_norm = d.core.norm();
  for (int it = 0; it < options.max_iterations; ++it) {
    // Each factor: the leading subspace of W with the other mode already projected.
    d.out_factor = leadingLeftSubspace(unfold(modeProduct(t, 1, d.in_factor.transpose()), 0), rank_out).u;
    d.in_factor = leadingLeftSubspace(unfold(modeProduct(t, 0, d.out_factor.transpose()), 1), rank_in).u;
    d.core = coreOf();
    d.iterations = it + 1;
    double next = d.core.norm();
    bool converged = std::abs(next - core_norm) <= options.tolerance * norm;
    core_norm = next;
    if (converged) break;
  }
  d.error = relativeError(t, reconstruct(d));
  return d;
}

}  // namespace dnnc::linalg
