// Tucker-2: a 4-D conv kernel W [K, C, h, w] as core G [R4, R3, h, w] times factors on its first two
// modes, W ~ G x_0 U_out x_1 U_in, with U_out (K x R4) and U_in (C x R3) orthonormal. Initialised by the
// truncated HOSVD (leading left singular vectors of the mode-0 and mode-1 unfoldings), then refined by
// HOOI: alternately, each factor moves towards the leading subspace of W projected on the other factor.
// The exact HOOI update solves that subspace by a full Gram eigen-decomposition per factor and sweep;
// the default update is one step of orthogonal iteration warm-started from the previous factor
// (lib/linalg/svd.h subspaceIterationStep), O(m n R) instead of O(m^2 n + m^3): at VGG-16 sizes and ranks
// in the hundreds that is what makes HOOI affordable. Both updates never lower ||G|| (so never raise the
// error of the HOSVD start) and share their fixed points; the subspace update may need a few more sweeps.
//
// Ref: De Lathauwer, De Moor, Vandewalle, "On the best rank-1 and rank-(R1,...,RN) approximation of
//      higher-order tensors", SIAM J. Matrix Anal. Appl. 21(4), 2000 (HOOI);
//      Kim et al., "Compression of deep convolutional neural networks for fast and low power mobile
//      applications", ICLR 2016 (Tucker-2 on conv kernels).
#pragma once
#include "lib/linalg/unfold.h"

namespace dnnc::linalg {

enum class HooiUpdate {
  Subspace,  // one warm-started orthogonal-iteration step per factor and sweep (default)
  Exact,     // the leading subspace by a full eigen-decomposition (the textbook update; slow at large ranks)
};

struct TuckerOptions {
  int max_iterations = 10;  // most HOOI sweeps after the HOSVD (0: HOSVD only)
  double tolerance = 1e-4;  // stop when a sweep lowers the relative error by less than this (< 0: never)
  HooiUpdate update = HooiUpdate::Subspace;
};

struct Tucker2 {
  DenseTensor core;   // [R4, R3, rest...]
  Matrix out_factor;  // K x R4 (mode 0)
  Matrix in_factor;   // C x R3 (mode 1)
  double hosvd_error = 0;  // relative error of the HOSVD start
  double error = 0;        // relative error after HOOI, ||W - W_hat|| / ||W||
  int iterations = 0;      // HOOI sweeps run
};

// Requires t.order() >= 2, 1 <= rank_out <= dims[0], 1 <= rank_in <= dims[1].
Tucker2 tucker2(const DenseTensor& t, int rank_out, int rank_in, const TuckerOptions& options = {});
// The same from given starting factors (dims[0] x R4 and dims[1] x R3, orthonormal columns), e.g. the
// leading singular vectors a caller already computed to choose the ranks.
Tucker2 tucker2From(const DenseTensor& t, Matrix out_factor, Matrix in_factor, const TuckerOptions& options = {});
// G x_0 U_out x_1 U_in.
DenseTensor reconstruct(const Tucker2& d);

}  // namespace dnnc::linalg
