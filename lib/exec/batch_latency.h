// The measured latency of one sample through dnnc's executor: the "CPU latency" that `dnnc compare`
// reports and that `netadapt measure=cpu` minimises.
#pragma once
#include "lib/ir/model.h"
#include "lib/ir/tensor.h"
#include "lib/support/error.h"

namespace dnnc {

// Median wall time in ms of `runs` runs on the first sample of `batch`, after one warm-up run.
Expected<double> singleSampleLatencyMs(const Model& model, const Tensor& batch, int threads, int runs = 25);

}  // namespace dnnc
