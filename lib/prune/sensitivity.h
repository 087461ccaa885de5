// Sensitivity analysis (Han et al. 2015, Fig. 6; the per-layer scan Distiller and NNI also offer):
// prune each layer alone at each level, measure top-1 accuracy, and from the curves derive a
// per-layer sparsity schedule whose combined accuracy drop stays within a budget.
//
// The pruning itself is a callback, so lib/ stays free of passes/: the CLI prunes through the pass
// registry (prune-magnitude for element and simd:N, prune-structured for filter and channel).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/prune/eval_set.h"
#include "lib/prune/magnitude.h"

namespace dnnc {

// Prunes `model` in place: each named layer to its sparsity, at the given granularity.
using PruneLayersFn = std::function<Status(Model& model, const LayerSparsity& targets, const std::string& granularity)>;
using EvaluateFn = std::function<Expected<Accuracy>(const Model& model)>;

struct SensitivityPoint {
  std::string layer, granularity;
  double level = 0;
  Accuracy accuracy;
};

struct SensitivityResult {
  Accuracy baseline;
  std::vector<std::string> layers;
  std::vector<std::string> granularities;
  std::vector<double> levels;
  std::vector<SensitivityPoint> points;  // layer-major, then granularity, then level
  // Accuracy of `layer` at `level`, or nullptr.
  const SensitivityPoint* find(const std::string& layer, const std::string& granularity, double level) const;
};

// Checks levels are in [0, 1) and sorted ascending without repeats.
Status checkLevels(const std::vector<double>& levels);

Expected<SensitivityResult> analyseSensitivity(const Model& model, const std::vector<std::string>& layers,
                                               const std::vector<double>& levels,
                                               const std::vector<std::string>& granularities,
                                               const PruneLayersFn& prune, const EvaluateFn& evaluate,
                                               const std::function<void(int64_t, int64_t)>& progress = {});

struct Schedule {
  std::string granularity;
  double budget_points = 0;  // accuracy drop allowed, in percentage points
  Accuracy baseline, accuracy;  // accuracy: the whole schedule applied at once
  LayerSparsity layers;         // every analysed layer, 0 where it stays dense
  double tolerance_points = 0;  // the per-layer drop the schedule allowed each layer alone
};

// Per layer, the highest level whose drop alone (and at every lower level) is within a tolerance t;
// the whole schedule is then applied and evaluated. t starts at the budget and is bisected down
// until the combined drop fits. Exit::Target when no schedule that prunes anything fits.
Expected<Schedule> deriveSchedule(const Model& model, const SensitivityResult& result, const std::string& granularity,
                                  double budget_points, const PruneLayersFn& prune, const EvaluateFn& evaluate);

// The schedule as YAML (or JSON when `json`), which parseLayerSparsity and `dnnc prune --schedule` read.
std::string scheduleText(const Schedule& schedule, bool json);

}  // namespace dnnc
