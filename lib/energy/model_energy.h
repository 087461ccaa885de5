// The energy of a whole ONNX model with activation zeros measured by the executor: the glue that
// `dnnc energy --data` and the energy-aware passes share.
#pragma once
#include <span>
#include <vector>

#include "lib/energy/network.h"
#include "lib/energy/onnx_layers.h"
#include "lib/exec/activation_stats.h"

namespace dnnc::energy {

// Run-length statistics as the energy model needs them: zero runs up to 1023 counted exactly (RLC cuts
// runs every 32, so longer ones barely matter).
ActivationStatsOptions energyStatsOptions();

// The executor's statistics as measured layer inputs. Errors (Exit::Input) when counts are inconsistent.
Expected<std::vector<MeasuredInput>> measuredInputs(std::span<const ActivationStats> stats);

struct ModelEnergy {
  OnnxLayers layers;  // with the measured sparsity set
  NetworkCost cost;
};

// Extracts the layers of `model` (batch 1 unless the model fixes it), sets their ifmap/ofmap sparsity from
// `stats` and evaluates them on `spec` with searched mappings (cached in `cache` when given).
Expected<ModelEnergy> evaluateModelEnergy(const Model& model, const AcceleratorSpec& spec,
                                          std::span<const ActivationStats> stats, MappingCache* cache = nullptr,
                                          Objective objective = Objective::Energy);

}  // namespace dnnc::energy
