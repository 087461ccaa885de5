// Measurements for `dnnc compress`: see compress_meter.h.
#include "cli/compress_meter.h"

#include <algorithm>

#include "lib/analysis/layer_table.h"
#include "lib/energy/model_energy.h"
#include "lib/exec/batch_latency.h"
#include "lib/exec/classifier_score.h"
#include "lib/pack/pack.h"

namespace dnnc::cli {

CompressMeter::CompressMeter(std::vector<ResourceGoal> goals, std::string accel, bool measure_cpu,
                             const CalibrationSet& probe, int threads)
    : goals_(std::move(goals)), accel_(std::move(accel)), measure_cpu_(measure_cpu), probe_(probe), threads_(threads) {
  for (const auto& g : goals_)
    if (g.resource == Resource::Energy || (g.resource == Resource::Latency && !measure_cpu_)) need_spec_ = true;
}

Status CompressMeter::init() {
  if (need_spec_) {
    DNNC_ASSIGN(spec_, energy::loadAcceleratorSpec(accel_));
  }
  return {};
}

std::string CompressMeter::unit(size_t i) const {
  switch (goals_[i].resource) {
    case Resource::Size: return "bytes";
    case Resource::Energy: return "pJ";
    case Resource::Latency: return measure_cpu_ ? "ms" : "cycles";
    case Resource::Macs: return "MACs";
  }
  return "";
}

Expected<double> CompressMeter::packedBytes(const Model& model) {
  DNNC_ASSIGN(pack::Packed packed, pack::packModel(model.proto));
  return double(packed.size);
}

Expected<std::vector<double>> CompressMeter::resources(const Model& model) {
  std::vector<double> out;
  std::optional<energy::ModelEnergy> modelled;
  auto modelledCost = [&](energy::Objective objective) -> Expected<const energy::ModelEnergy*> {
    if (!modelled) {
      ClassifierScorer scorer(probe_, threads_);
      const ActivationStatsOptions stats = energy::energyStatsOptions();
      DNNC_ASSIGN(ClassifierScore s, scorer.score(model, &stats));
      DNNC_ASSIGN(modelled, energy::evaluateModelEnergy(model, spec_, s.stats, &cache_, objective));
    }
    return &*modelled;
  };
  for (const auto& g : goals_) {
    switch (g.resource) {
      case Resource::Size: {
        DNNC_ASSIGN(double bytes, packedBytes(model));
        out.push_back(bytes);
        break;
      }
      case Resource::Energy: {
        DNNC_ASSIGN(const energy::ModelEnergy* e, modelledCost(energy::Objective::Energy));
        out.push_back(e->cost.energy_pj.total());
        break;
      }
      case Resource::Latency: {
        if (measure_cpu_) {
          DNNC_ASSIGN(double ms, singleSampleLatencyMs(model, probe_.batches.front(), threads_, 15, 0.05));
          out.push_back(ms);
        } else {
          DNNC_ASSIGN(const energy::ModelEnergy* e, modelledCost(energy::Objective::Energy));
          out.push_back(e->cost.latency_cycles);
        }
        break;
      }
      case Resource::Macs: {
        DNNC_ASSIGN(LayerTable table, buildLayerTable(model));
        if (!table.unshaped.empty())
          return Error(Exit::Input, "the MACs of ", table.unshaped.size(), " layers are unknown (first: '",
                       table.unshaped.front(), "')");
        // MACs whose weight is nonzero: what a zero-skipping engine still multiplies.
        double macs = 0;
        for (const LayerRow& l : table.layers)
          macs += l.params > 0 ? double(l.macs) * double(l.nonzero_params) / double(l.params) : double(l.macs);
        out.push_back(macs);
        break;
      }
    }
  }
  return out;
}

Expected<double> CompressMeter::accuracy(const Model& model, const CalibrationSet& set) const {
  ClassifierScorer scorer(set, threads_);
  DNNC_ASSIGN(ClassifierScore s, scorer.score(model));
  return s.accuracy;
}

Expected<Measures> CompressMeter::measure(const Model& model, const CalibrationSet& set) {
  Measures m;
  DNNC_ASSIGN(m.accuracy, accuracy(model, set));
  DNNC_ASSIGN(m.values, resources(model));
  return m;
}

double goalDistance(const std::vector<ResourceGoal>& goals, const std::vector<double>& values,
                    const std::vector<double>& original) {
  double worst = 0;
  for (size_t i = 0; i < goals.size(); ++i) worst = std::max(worst, values[i] / goals[i].goal(original[i]));
  return worst;
}

}  // namespace dnnc::cli
