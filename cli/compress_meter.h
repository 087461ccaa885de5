// What `dnnc compress` measures on every candidate: top-1 accuracy on a held-out labelled set, and the
// resources its goals name: packed .dnnc bytes, modelled energy or latency on the accelerator (activation
// zeros measured on a probe batch), MACs with a nonzero weight, or the executor's CPU latency.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/compress_target.h"
#include "lib/energy/energy.h"
#include "lib/exec/calibration.h"
#include "lib/ir/model.h"

namespace dnnc::cli {

// One value per resource a goal names (in the order of the goals), plus accuracy in percent.
struct Measures {
  double accuracy = -1;
  std::vector<double> values;
};

class CompressMeter {
 public:
  // probe: a batch or two of samples for activation zeros and CPU latency. measure_cpu: latency is the
  // executor's median batch-1 wall time (ms) instead of modelled cycles.
  CompressMeter(std::vector<ResourceGoal> goals, std::string accel, bool measure_cpu, const CalibrationSet& probe,
                int threads);
  Status init();

  const std::vector<ResourceGoal>& goals() const { return goals_; }
  // The unit of goal i's metric, for reports ("bytes", "pJ", "cycles", "ms", "MACs").
  std::string unit(size_t i) const;
  // Goal i is a wall time measured on this machine (latency with measure_cpu): measured again on the same
  // graph it differs by noise alone.
  bool measuredTime(size_t i) const { return measure_cpu_ && goals_[i].resource == Resource::Latency; }
  // The accelerator moves data narrower than its words on some level (narrow_data): INT8 weights and
  // codebook indices cost less there than float weights. False without a modelled goal.
  bool narrowData() const { return need_spec_ && !spec_.narrow.levels.value.empty(); }

  // The resources only.
  Expected<std::vector<double>> resources(const Model& model);
  // Top-1 accuracy in percent on a labelled set.
  Expected<double> accuracy(const Model& model, const CalibrationSet& set) const;
  Expected<Measures> measure(const Model& model, const CalibrationSet& set);

  // The packed size of a model in bytes (the .dnnc pack writes).
  static Expected<double> packedBytes(const Model& model);

 private:
  std::vector<ResourceGoal> goals_;
  std::string accel_;
  bool measure_cpu_;
  const CalibrationSet& probe_;
  int threads_;
  energy::AcceleratorSpec spec_;
  energy::MappingCache cache_;
  bool need_spec_ = false;
};

// How far `values` are from the goals: the largest value / goal over the goals (<= 1 when all are met).
double goalDistance(const std::vector<ResourceGoal>& goals, const std::vector<double>& values,
                    const std::vector<double>& original);

}  // namespace dnnc::cli
