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
  // SHA-256 of the graph the thresholds were calibrated on (its deterministic serialisation: weights,
  // nodes and all); empty in parameters written before it was recorded.
  std::string graph_sha256;
  std::vector<SnapeaPrediction> predictions() const;
};

std::string snapeaParamsJson(const SnapeaParams& p);
// Errors: Exit::Input naming `source` and the field.
Expected<SnapeaParams> parseSnapeaParams(const std::string& json, const std::string& source);

// The parameters stored in `model` (nullopt when there are none), or why they cannot be read. Parameters
// calibrated on another graph (a pass changed the weights or nodes after the snapea pass) are refused
// with Exit::Input: thresholds for other weights would give a confident, wrong count.
Expected<std::optional<SnapeaParams>> readSnapeaParams(const Model& model, const std::string& source);
// Stores `p` under kSnapeaMetadataKey, replacing an earlier entry, with the digest of model's graph.
void writeSnapeaParams(Model& model, SnapeaParams p);
// The digest writeSnapeaParams records.
std::string snapeaGraphDigest(const Model& model);

}  // namespace dnnc
