// Compressed sizes: i.i.d. expectation, exact from a histogram, and zero-padded planes.
#include "lib/energy/rlc_size.h"

#include <array>
#include <cmath>
#include <vector>

namespace dnnc::energy {

double rlcPairsPerValueIid(double z, const RlcParams& p) {
  // A pair consumes j leading zeros (j <= maxRun) and then one value: E[j + 1] = sum_{k=0}^{maxRun} z^k.
  if (z >= 1.0) return 1.0 / (p.maxRun() + 1);
  return (1.0 - z) / (1.0 - std::pow(z, p.maxRun() + 1));
}

double rlcPairs(const ZeroRunHistogram& h, const RlcParams& p) {
  double pairs = double(h.nonzeros);
  const std::uint64_t chunk = std::uint64_t(p.maxRun()) + 1;
  for (std::size_t L = 1; L < h.runs.size(); ++L) pairs += double(h.runs[L]) * double(L / chunk);
  return pairs;
}

double rlcPairsPaddedPlane(int rows, int cols, int top, int left, int h, int w, double z, const RlcParams& p) {
  // State: the number of zeros waiting for a level (0..maxRun). A zero at maxRun becomes the level of a cut
  // pair; a nonzero always emits a pair; a pending run at the end of the plane emits one more pair.
  const int K = p.maxRun() + 1;
  std::vector<double> dist(K, 0.0), next(K, 0.0);
  dist[0] = 1.0;
  double pairs = 0.0;
  auto zeroStep = [&](double pz) {
    // With probability pz the value is zero, else nonzero.
    std::fill(next.begin(), next.end(), 0.0);
    double emit = (1.0 - pz);  // nonzero: emits from any state
    next[0] += 1.0 - pz;
    for (int j = 0; j < K - 1; ++j) next[j + 1] += dist[j] * pz;
    next[0] += dist[K - 1] * pz;
    emit += dist[K - 1] * pz;
    pairs += emit;
    dist.swap(next);
  };
  for (int y = 0; y < rows; ++y) {
    const bool row_in = y >= top && y < top + h;
    for (int x = 0; x < cols; ++x) {
      const bool in = row_in && x >= left && x < left + w;
      zeroStep(in ? z : 1.0);
    }
  }
  for (int j = 1; j < K; ++j) pairs += dist[j];
  return pairs;
}

}  // namespace dnnc::energy
