#include "lib/linalg/cp_als.h"

#include <Eigen/QR>
#include <cmath>
#include <random>

#include "lib/linalg/svd.h"
#include "lib/support/check.h"

namespace dnnc::linalg {

namespace {

// Khatri-Rao product of every factor but `skip`, its rows in the C order of the remaining modes, so
// that unfold(t, skip) * khatriRao(f, skip) is the MTTKRP of mode `skip`.
Matrix khatriRao(const std::vector<Matrix>& f, int skip) {
  const int64_t rank = f[0].cols();
  int64_t rows = 1;
  for (size_t m = 0; m < f.size(); ++m)
    if (static_cast<int>(m) != skip) rows *= f[m].rows();
  Matrix kr(rows, rank);
  Vector col, next;
  for (int64_t r = 0; r < rank; ++r) {
    col = Vector::Ones(1);
    for (size_t m = 0; m < f.size(); ++m) {
      if (static_cast<int>(m) == skip) continue;
      const int64_t b = f[m].rows();
      next.resize(col.size() * b);
      for (int64_t i = 0; i < col.size(); ++i) next.segment(i * b, b) = col[i] * f[m].col(r);
      std::swap(col, next);
    }
    kr.col(r) = col;
  }
  return kr;
}

Matrix hadamardOfGrams(const std::vector<Matrix>& grams, int skip) {
  Matrix h = Matrix::Ones(grams[0].rows(), grams[0].cols());
  for (size_t m = 0; m < grams.size(); ++m)
    if (static_cast<int>(m) != skip) h = h.cwiseProduct(grams[m]);
  return h;
}

std::vector<Matrix> gramsOf(const std::vector<Matrix>& f) {
  std::vector<Matrix> g;
  for (const auto& a : f) g.push_back(a.transpose() * a);
  return g;
}

// Squared error from the MTTKRP of mode 0: ||T||^2 - 2 <T, T_hat> + ||T_hat||^2, without forming T_hat.
double squaredError(const std::vector<Matrix>& unf, const std::vector<Matrix>& f, double norm2) {
  Matrix m0 = unf[0] * khatriRao(f, 0);
  double inner = m0.cwiseProduct(f[0]).sum();
  double hat2 = hadamardOfGrams(gramsOf(f), -1).sum();
  return std::max(0.0, norm2 - 2 * inner + hat2);
}

// Rescales column r of every factor to the same norm (their product unchanged), so no factor drifts
// toward zero or infinity while another compensates.
void balance(std::vector<Matrix>& f) {
  const double n_modes = static_cast<double>(f.size());
  for (int64_t r = 0; r < f[0].cols(); ++r) {
    double log_prod = 0;
    bool zero = false;
    for (const auto& a : f) {
      double n = a.col(r).norm();
      if (n == 0) zero = true;
      else log_prod += std::log(n);
    }
    if (zero) continue;
    double target = std::exp(log_prod / n_modes);
    for (auto& a : f) a.col(r) *= target / a.col(r).norm();
  }
}

std::vector<Matrix> initialFactors(const DenseTensor& t, const std::vector<Matrix>& unf, int rank, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  const double scale = std::pow(t.norm() / std::sqrt(double(rank)), 1.0 / t.order());
  std::vector<Matrix> f;
  for (int n = 0; n < t.order(); ++n) {
    const int64_t d = t.dims[static_cast<size_t>(n)];
    const int lead = static_cast<int>(std::min<int64_t>(rank, d));
    Matrix a(d, rank);
    a.leftCols(lead) = leadingLeftSubspace(unf[static_cast<size_t>(n)], lead).u;
    for (int64_t r = lead; r < rank; ++r)
      for (int64_t i = 0; i < d; ++i) a(i, r) = normal(rng) / std::sqrt(double(d));
    f.push_back(a * scale);
  }
  return f;
}

}  // namespace

DenseTensor cpReconstruct(const std::vector<Matrix>& factors) {
  DNNC_CHECK(!factors.empty(), "cp reconstruct without factors");
  std::vector<int64_t> dims;
  for (const auto& a : factors) dims.push_back(a.rows());
  Matrix m = factors[0] * khatriRao(factors, 0).transpose();
  return fold(m, 0, dims);
}

CpResult cpAls(const DenseTensor& t, int rank, const CpOptions& options) {
  DNNC_CHECK(t.order() >= 2 && rank >= 1, "cp-als of rank ", rank, " on an order-", t.order(), " tensor");
  const int n_modes = t.order();
  std::vector<Matrix> unf;
  for (int n = 0; n < n_modes; ++n) unf.push_back(unfold(t, n));
  const double norm2 = t.data.squaredNorm();
  CpResult res;
  if (norm2 == 0) {
    for (int n = 0; n < n_modes; ++n) res.factors.push_back(Matrix::Zero(t.dims[static_cast<size_t>(n)], rank));
    return res;
  }
  std::vector<Matrix> f = initialFactors(t, unf, rank, options.seed);
  double err2 = squaredError(unf, f, norm2);
  for (int it = 0; it < options.max_iterations; ++it) {
    const std::vector<Matrix> previous = f;
    std::vector<Matrix> grams = gramsOf(f);
    for (int n = 0; n < n_modes; ++n) {
      const size_t k = static_cast<size_t>(n);
      Matrix mttkrp = unf[k] * khatriRao(f, n);
      Matrix v = hadamardOfGrams(grams, n);
      // V is symmetric positive semi-definite; the complete orthogonal decomposition gives the
      // minimum-norm solution when it is singular (collinear components).
      f[k] = Eigen::CompleteOrthogonalDecomposition<Matrix>(v).solve(mttkrp.transpose()).transpose();
      grams[k] = f[k].transpose() * f[k];
    }
    balance(f);
    double next = squaredError(unf, f, norm2);
    if (options.line_search && it > 0) {
      const double jump = std::cbrt(double(it + 1));
      std::vector<Matrix> ext(f.size());
      for (size_t m = 0; m < f.size(); ++m) ext[m] = previous[m] + jump * (f[m] - previous[m]);
      double ext_err2 = squaredError(unf, ext, norm2);
      if (ext_err2 < next) f = std::move(ext), next = ext_err2;
    }
    res.iterations = it + 1;
    const double improvement = (std::sqrt(err2) - std::sqrt(next)) / std::sqrt(norm2);
    err2 = next;
    if (std::abs(improvement) < options.tolerance || err2 <= 1e-24 * norm2) break;
  }
  res.factors = std::move(f);
  res.error = relativeError(t, cpReconstruct(res.factors));
  return res;
}

}  // namespace dnnc::linalg
