#include "lib/exec/batch_latency.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "lib/exec/executor.h"

namespace dnnc {

Expected<double> singleSampleLatencyMs(const Model& model, const Tensor& batch, int threads, int runs,
                                       double min_seconds) {
  DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = threads}));
  std::vector<int64_t> dims = batch.dims();
  dims[0] = 1;
  Tensor one(batch.dtype(), dims);
  std::copy_n(batch.rawData(), one.sizeBytes(), one.rawData());
  DNNC_TRY(exec->run({&one}));
  std::vector<double> ms;
  double total_ms = 0;
  for (int i = 0; i < std::max(1, runs) || (total_ms < 1e3 * min_seconds && i < 100 * std::max(1, runs)); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    DNNC_TRY(exec->run({&one}));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    total_ms += ms.back();
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

}  // namespace dnnc
