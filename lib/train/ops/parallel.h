// parallelFor: an elementwise loop over [0, n) split over the tape's threads (static slices, so any
// split gives the same values) when n is large enough to repay waking them; vectorised either way.
#pragma once
#include <cstdint>

namespace dnnc::train {

inline constexpr int64_t kParallelMin = 32 * 1024;  // below this a second thread costs more than it saves

template <class F>
void parallelFor(int threads, int64_t n, F&& f) {
  const int th = n >= kParallelMin ? threads : 1;
#pragma omp parallel for simd num_threads(th) schedule(static)
  for (int64_t i = 0; i < n; ++i) f(i);
}

}  // namespace dnnc::train
