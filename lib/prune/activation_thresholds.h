// Activation pruning in the manner of Cnvlutin (Albericio et al., ISCA 2016): raise each Relu's
// cut-off so more activations are exactly zero (ThresholdedRelu: y = x if x > alpha, else 0) and the
// next layer skips more work. Thresholds are calibrated on data, layer by layer in graph order, each
// seeing the thresholds already chosen upstream: alpha_i is the target quantile of Relu i's input.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/exec/activation_stats.h"
#include "lib/ir/graph.h"
#include "lib/ir/model.h"
#include "lib/prune/eval_set.h"

namespace dnnc {

struct ReluSite {
  NodeId node = -1;
  std::string name;            // node label
  std::string input, output;   // value names
  std::vector<std::string> aliases;  // node name and output name, for --skip
  float alpha = 0;  // its cut-off now: 0 for a Relu, alpha for a ThresholdedRelu
};

// Relu and ThresholdedRelu nodes of the default domain, in graph order. A ThresholdedRelu is a cut-off
// chosen before (by this pass, or a step of `dnnc compress` before), which a new target chooses again.
std::vector<ReluSite> findRelus(const Graph& graph);

// Makes the site a ThresholdedRelu(alpha) when alpha > 0, a Relu otherwise.
void setReluThreshold(Model& model, const ReluSite& site, float alpha);

struct ZeroCount {
  int64_t zeros = 0, count = 0;
  double fraction() const { return count ? double(zeros) / double(count) : 0.0; }
};

struct ActivationMeasure {
  std::vector<ZeroCount> relu_zeros;        // per site: exact zeros in its output
  std::vector<ActivationStats> layer_inputs;  // Conv/Gemm/MatMul inputs (what `dnnc stats` reports)
};

// One pass over the set: zeros after every site, Conv/Gemm/MatMul input statistics. (No accuracy: a run
// with an observer computes BatchNormalization apart from the Conv before it, which rounds differently
// from the plain runs that score a model; accuracy comes from EvalSet::evaluate.)
Expected<ActivationMeasure> measureActivations(const Model& model, const std::vector<ReluSite>& sites, const EvalSet& set,
                                               int threads);

// Per site, the threshold that makes a `target` fraction of its outputs zero (0 where the Relu alone
// already does), chosen in graph order with the earlier thresholds in place. Quantiles come from
// at most `max_values` values per site, taken at an even stride.
Expected<std::vector<float>> calibrateThresholds(const Model& model, const std::vector<ReluSite>& sites,
                                                 const EvalSet& set, double target, int threads,
                                                 int64_t max_values = int64_t{1} << 20);

}  // namespace dnnc
