#include "lib/linalg/vbmf.h"

#include <algorithm>
#include <cmath>

#include "lib/linalg/svd.h"
#include "lib/support/check.h"

namespace dnnc::linalg {

namespace {

constexpr double kTauScale = 2.5129;  // tau_bar = 2.5129 sqrt(alpha), from the paper's Theorem

double tauOf(double x, double alpha) {
  double b = x - (1 + alpha);
  return 0.5 * (b + std::sqrt(std::max(0.0, b * b - 4 * alpha)));
}

// Golden-section search for a minimum of f on [a, b], to a relative width of 1e-9.
template <class F>
double goldenMin(F f, double a, double b) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a), fc = f(c), fd = f(d);
  for (int it = 0; it < 200 && (b - a) > 1e-9 * std::max(std::abs(a), std::abs(b)); ++it) {
    if (fc < fd) {
      b = d, d = c, fd = fc;
      c = b - g * (b - a), fc = f(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + g * (b - a), fd = f(d);
    }
  }
  return fc < fd ? c : d;
}

}  // namespace

// Free energy of the reference code (EVBsigma2) with H = L components, so the residual term is zero.
// Components below the threshold contribute z - log z with z = s^2 / (M sigma^2). An exact zero
// (rank-deficient Y) can never cross the threshold, so its -log s^2 = +inf is a constant and dropped.
double evbmfFreeEnergy(double sigma2, const Vector& s, int64_t L, int64_t M) {
  const double alpha = double(L) / double(M), tau_bar = kTauScale * std::sqrt(alpha);
  const double x_bar = (1 + tau_bar) * (1 + alpha / tau_bar);
  double obj = 0;
  for (int64_t h = 0; h < s.size(); ++h) {
    double z = s[h] * s[h] / (double(M) * sigma2);
    if (z > x_bar) {
      double tau = tauOf(z, alpha);
      obj += z - tau + std::log((tau + 1) / z) + alpha * std::log(tau / alpha + 1);
    } else if (z > 0) {
      obj += z - std::log(z);
    } else {
      obj += std::log(double(M) * sigma2);
    }
  }
  return obj;
}

EvbmfResult evbmf(const Vector& s_in, int64_t rows, int64_t cols) {
  const int64_t L = std::min(rows, cols), M = std::max(rows, cols);
  DNNC_CHECK(s_in.size() == L, "evbmf: ", s_in.size(), " singular values for a ", rows, "x", cols, " matrix");
  EvbmfResult out;
  if (L == 0 || s_in.maxCoeff() <= 0) return out;
  const Vector& s = s_in;
  const double alpha = double(L) / double(M), tau_bar = kTauScale * std::sqrt(alpha);
  const double x_bar = (1 + tau_bar) * (1 + alpha / tau_bar);
  // Bounds of sigma^2 from the paper (as in the reference code, with H = L).
  const int64_t eh_ub = std::min<int64_t>(static_cast<int64_t>(std::ceil(double(L) / (1 + alpha))) - 1, L) - 1;
  const int64_t first = std::clamp<int64_t>(eh_ub + 1, 0, L - 1);
  const double upper = s.squaredNorm() / double(L * M);
  const double tail_mean = s.tail(L - first).squaredNorm() / double(L - first);
  double lower = std::max(s[first] * s[first] / (double(M) * x_bar), tail_mean / double(M));
  if (!(lower > 0)) lower = upper * 1e-12;
  double sigma2 = upper;
  out.sigma2_lower = lower, out.sigma2_upper = upper;
  if (lower < upper) {
    auto f = [&](double v) { return evbmfFreeEnergy(v, s, L, M); };
    constexpr int kGrid = 64;
    const double step = std::log(upper / lower) / kGrid;
    int best = 0;
    double best_f = f(lower);
    for (int i = 1; i <= kGrid; ++i) {
      double fi = f(lower * std::exp(step * i));
      if (fi < best_f) best_f = fi, best = i;
    }
    double a = lower * std::exp(step * std::max(0, best - 1)), b = lower * std::exp(step * std::min(kGrid, best + 1));
    sigma2 = goldenMin(f, a, b);
    if (f(sigma2) > best_f) sigma2 = lower * std::exp(step * best);
  }
  out.sigma2 = sigma2;
  out.threshold = std::sqrt(double(M) * sigma2 * x_bar);
  while (out.rank < L && s[out.rank] > out.threshold) ++out.rank;
  out.shrunk.resize(out.rank);
  for (int h = 0; h < out.rank; ++h) {
    double q = double(L + M) * sigma2 / (s[h] * s[h]);
    double disc = (1 - q) * (1 - q) - 4.0 * double(L * M) * sigma2 * sigma2 / std::pow(s[h], 4);
    out.shrunk[h] = s[h] / 2 * (1 - q + std::sqrt(std::max(0.0, disc)));
  }
  return out;
}

EvbmfResult evbmf(const Matrix& y) {
  const bool wide = y.rows() <= y.cols();
  LeftSubspace sub = wide ? leadingLeftSubspace(y, 0) : leadingLeftSubspace(y.transpose(), 0);
  return evbmf(sub.s, y.rows(), y.cols());
}

}  // namespace dnnc::linalg
