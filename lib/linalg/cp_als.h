// CP (CANDECOMP/PARAFAC) decomposition by alternating least squares with line search: a tensor of order
// N as a sum of R rank-one terms, T ~ sum_r a0_r o a1_r o ... o a(N-1)_r, factors A_n (dims[n] x R).
// Each sweep solves every factor in turn by least squares (A_n = T_(n) KR(others) (*_m A_m^T A_m)^+);
// after a sweep the step from the previous factors is extrapolated by it^(1/3) (Bro's line search, as
// TensorLy does) and kept when it lowers the error, which shortens ALS's slow "swamps".
// Initialised from the leading left singular vectors of each unfolding (seeded random columns where
// R exceeds a mode's size), so results are deterministic.
//
// Ref: Kolda, Bader, "Tensor decompositions and applications", SIAM Review 51(3), 2009;
//      Lebedev et al., "Speeding-up convolutional neural networks using fine-tuned CP-decomposition",
//      ICLR 2015 (who use non-linear least squares; ALS with line search is the common substitute).
#pragma once
#include <cstdint>
#include <vector>

#include "lib/linalg/unfold.h"

namespace dnnc::linalg {

struct CpOptions {
  int max_iterations = 500;
  double tolerance = 1e-9;  // stop when the relative error improves by less than this in a sweep
  bool line_search = true;
  uint64_t seed = 0;
};

struct CpResult {
  std::vector<Matrix> factors;  // A_n: dims[n] x R, columns balanced (equal norms across modes)
  double error = 0;             // ||T - T_hat|| / ||T||
  int iterations = 0;
};

// Requires t.order() >= 2 and rank >= 1.
CpResult cpAls(const DenseTensor& t, int rank, const CpOptions& options = {});
DenseTensor cpReconstruct(const std::vector<Matrix>& factors);

}  // namespace dnnc::linalg
