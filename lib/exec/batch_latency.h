// The measured latency of one sample through dnnc's executor: the "CPU latency" that `dnnc compare`
// reports and that `netadapt measure=cpu` minimises.
#pragma once
#include "lib/ir/model.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

// Median wall time in ms of `runs` runs on the first sample of `batch`, after one warm-up run; more runs
// (up to 100x `runs`) until they add up to `min_seconds`, so that small models are timed over more than
// a few milliseconds of a shared machine's noise.
Expected<double> singleSampleLatencyMs(const Model& model, const Tensor& batch, int threads, int runs = 25,
                                       double min_seconds = 0.0);

}  // namespace dnnc
