// One pass of a model over a whole data set with a NodeObserver watching: the loop that every
// measurement over --data shares (activation statistics, the SnaPEA count). Batches are read from the
// loader, run, checked and reported in order; the first error stops the pass.
#pragma once
#include <cstdint>
#include <functional>

#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"

namespace dnnc {

struct ObservedRun {
  // The observer's own verdict after each batch (e.g. a shape it could not follow); unset: none.
  std::function<Status()> check = {};
  // (samples done, samples in all) after each batch; unset: none.
  std::function<void(int64_t, int64_t)> progress = {};
};

// Rewinds `data` and runs `exec` over all of it, `batch` samples at a time, with `observer` seeing every node.
Status runObserved(Executor& exec, BatchLoader& data, int64_t batch, NodeObserver& observer, const ObservedRun& run = {});

}  // namespace dnnc
