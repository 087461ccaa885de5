#include "lib/energy/model_energy_analysis.h"

#include "lib/energy/accelerator_spec.h"
#include "lib/support/error.h"

namespace dnnc::energy {

namespace {

std::string calibrationKey(const Calibration& c) {
  return strCat(c.data.path, "|scale=", c.data.scale, "|mean=", c.data.mean, "|std=", c.data.std, "|labels=", c.labels,
                "|limit=", c.limit, "|batch=", c.batch);
}

}  // namespace

std::string ActivationStatsAnalysis::key() const { return calibrationKey(calibration); }

Expected<ClassifierScore> ActivationStatsAnalysis::run(const Model& model, AnalysisManager&) const {
  DNNC_ASSIGN(CalibrationSet set, loadCalibrationSet(model, calibration));
  const ActivationStatsOptions stats = energyStatsOptions();
  return ClassifierScorer(set, threads).score(model, &stats);
}

std::string ModelEnergyAnalysis::key() const {
  return strCat(accel, "|", objectiveName(objective), "|", calibrationKey(calibration));
}

Expected<MeasuredModelEnergy> ModelEnergyAnalysis::run(const Model& model, AnalysisManager& am) const {
  DNNC_ASSIGN(const AcceleratorSpec spec, loadAcceleratorSpec(accel));
  DNNC_ASSIGN(const ClassifierScore* measured, am.get(model, ActivationStatsAnalysis{calibration, threads}));
  MeasuredModelEnergy out;
  DNNC_ASSIGN(out.energy, evaluateModelEnergy(model, spec, measured->stats, &out.mappings, objective));
  return out;
}

}  // namespace dnnc::energy
