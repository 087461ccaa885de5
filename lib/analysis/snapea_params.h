// SnaPEA predictive-mode parameters as a model carries them: the per-layer (n, threshold) that the
// `snapea` pass calibrated (passes/snapea.cpp), with the accuracy it measured, stored as JSON in the
// model's metadata_props under kSnapeaMetadataKey. The graph is not changed: ONNX Runtime and the
// executor still compute every output exactly; only SnaPEA hardware (or `dnnc energy --snapea`, which
// simulates it) acts on the parameters. docs/energy-model.md, "SnaPEA", describes the format.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/analysis/snapea.h"
#include "lib/ir/model.h"

namespace dnnc {

inline constexpr const char* kSnapeaMetadataKey = "dnnc.snapea";

struct SnapeaLayerParams {
  std::string node;    // the Conv
  int64_t terms = 0;   // terms per output (C/group x kH x kW)
  SnapeaPrediction prediction;  // n = 0: the layer stays in exact mode
};

struct SnapeaParams {
  double budget = 0;            // top-1 points the calibration could spend
  uint64_t seed = 0;            // of the held-out split
  int64_t profile_samples = 0;  // samples the thresholds were derived from
  int64_t heldout_samples = 0;  // samples top-1 was measured on (disjoint from the profile samples)
  double top1_before = 0;       // held-out top-1, exact (fractions in [0, 1])
  double top1 = 0;              // held-out top-1 with the predictions simulated
  std::vector<SnapeaLayerParams> layers;  // graph order
  std::vector<SnapeaPrediction> predictions() const;
};

std::string snapeaParamsJson(const SnapeaParams& p);
// Errors: Exit::Input naming `source` and the field.
Expected<SnapeaParams> parseSnapeaParams(const std::string& json, const std::string& source);

// The parameters stored in `model` (nullopt when there are none), or why they cannot be read.
Expected<std::optional<SnapeaParams>> readSnapeaParams(const Model& model, const std::string& source);
// Stores `p` under kSnapeaMetadataKey, replacing an earlier entry.
void writeSnapeaParams(Model& model, const SnapeaParams& p);

}  // namespace dnnc
