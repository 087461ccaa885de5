// Analytic empirical variational Bayesian matrix factorisation (EVBMF), used to choose the ranks of
// low-rank decompositions (Kim et al. 2016 pick Tucker-2 ranks this way).
//
// For Y (L x M, L <= M) with singular values s_h, the global EVB solution keeps exactly the components
// with s_h above sqrt(M sigma^2 (1 + tau)(1 + alpha / tau)), alpha = L / M, tau = 2.5129 sqrt(alpha),
// and shrinks them in closed form. The noise variance sigma^2 is the minimiser of the free energy over
// the interval the paper bounds it to; the reference code (Nakajima's, as ported by Kim et al.) uses a
// bounded Brent search with an absolute tolerance of 1e-5, which is as wide as the whole interval for
// small conv weights. Here the free energy is scanned on a log grid over the interval and the best
// bracket refined by golden section to a relative 1e-9, so the global minimum of a non-convex free
// energy is found rather than a local one.
//
// Ref: Nakajima, Sugiyama, Babacan, Tomioka, "Global analytic solution of fully-observed variational
//      Bayesian matrix factorization", JMLR 14, 2013.
#pragma once
#include "lib/linalg/unfold.h"

namespace dnnc::linalg {

struct EvbmfResult {
  int rank = 0;          // components kept
  double sigma2 = 0;     // estimated noise variance
  double sigma2_lower = 0, sigma2_upper = 0;  // the interval it was searched in
  double threshold = 0;  // singular values above this are kept
  Vector shrunk;         // the kept components' posterior singular values, descending
};

// s: all min(L, M) singular values of an L x M matrix, descending.
EvbmfResult evbmf(const Vector& s, int64_t rows, int64_t cols);
// The same from the matrix itself (singular values through the smaller Gram matrix).
EvbmfResult evbmf(const Matrix& y);

// The free energy (up to constants) of noise variance sigma2, for L <= M: what evbmf() minimises.
double evbmfFreeEnergy(double sigma2, const Vector& s, int64_t L, int64_t M);

}  // namespace dnnc::linalg
