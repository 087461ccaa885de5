// The pipeline model's measured behaviour on the calibration data, behind the AnalysisManager: its
// accuracy, predictions and activation statistics (what the energy model needs: energyStatsOptions), and
// its modelled energy on an accelerator with those activation zeros. Keyed by the data (path,
// preprocessing, labels, limit, batch) and, for energy, the accelerator and objective.
#pragma once
#include <string>

#include "lib/analysis/analysis_manager.h"
#include "lib/energy/model_energy.h"
#include "lib/exec/calibration.h"
#include "lib/exec/classifier_score.h"

namespace dnnc::energy {

struct ActivationStatsAnalysis {
  using Result = ClassifierScore;  // accuracy against the labels (0 when unlabelled), predictions, stats
  Calibration calibration;
  int threads = 0;
  std::string key() const;
  Expected<ClassifierScore> run(const Model& model, AnalysisManager& am) const;
};

// The energy result keeps the mappings it searched, so a pass that scores pruned copies of the model
// starts from them instead of searching every layer again.
struct MeasuredModelEnergy {
  ModelEnergy energy;
  MappingCache mappings;
};

struct ModelEnergyAnalysis {
  using Result = MeasuredModelEnergy;
  std::string accel;  // preset name or spec file (loadAcceleratorSpec)
  Objective objective = Objective::Energy;
  Calibration calibration;
  int threads = 0;
  std::string key() const;
  Expected<MeasuredModelEnergy> run(const Model& model, AnalysisManager& am) const;
};

}  // namespace dnnc::energy
