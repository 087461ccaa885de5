#include "lib/energy/model_energy.h"

namespace dnnc::energy {

ActivationStatsOptions energyStatsOptions() {
  ActivationStatsOptions options;
  options.max_run = 1024;
  return options;
}

Expected<std::vector<MeasuredInput>> measuredInputs(std::span<const ActivationStats> stats) {
  std::vector<MeasuredInput> out;
  for (const auto& s : stats) {
    DNNC_ASSIGN(ZeroRunHistogram h, histogramFromRunCounts(s.count, s.zeros, s.zero_runs));
    MeasuredInput m{s.node, s.input, {}};
    m.sparsity.zero_fraction = h.zeroFraction();
    m.sparsity.zero_runs = std::move(h);
    out.push_back(std::move(m));
  }
  return out;
}

Expected<ModelEnergy> evaluateModelEnergy(const Model& model, const AcceleratorSpec& spec,
                                          std::span<const ActivationStats> stats, MappingCache* cache,
                                          Objective objective) {
  ModelEnergy e;
  DNNC_ASSIGN(e.layers, extractLayers(model, {.batch = 1, .input_shapes = {}}));
  DNNC_ASSIGN(auto measured, measuredInputs(stats));
  setActivationSparsity(e.layers, resolveActSparsity(e.layers, measured, {}, nullptr));
  NetworkOptions options;
  options.objective = objective;
  options.cache = cache;
  DNNC_ASSIGN(e.cost, evaluateNetwork(spec, e.layers.layers, options));
  return e;
}

}  // namespace dnnc::energy
