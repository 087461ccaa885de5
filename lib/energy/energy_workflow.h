// The `dnnc energy` workflow and its report: one or two ONNX models scored on an accelerator spec, with
// the activation zeros of each layer input given (--act-sparsity flags or a `dnnc stats --json` file) or
// measured by running the model on data, a mapping file's fixed mappings, and the JSON schema and text
// tables of the result (docs/report-schema.md). The CLI only turns flags into an EnergyRequest and prints.
//
// A layer that cannot be modelled (a shape that depends on unknown input dims, a ConvTranspose, a layer
// no mapping fits) is named; without allow_partial the whole request fails with Exit::Input, because
// totals that leave layers out would mislead.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/analysis/shape_resolution.h"
#include "lib/energy/delta_energy.h"
#include "lib/analysis/snapea_params.h"
#include "lib/energy/energy.h"
#include "lib/energy/onnx_layers.h"
#include "lib/exec/dataset.h"

namespace dnnc::energy {

struct EnergyRequest {
  std::vector<std::string> models;  // one, or two to compare (model2 / model1)
  std::string accel = "eyeriss";    // preset or spec file
  std::optional<AcceleratorSpec> spec;  // when set, used instead of loading `accel` (a variant built in code)
  std::string objective = "energy";  // energy, latency or edp
  int batch = 0;                     // 0: the model's static batch, 1 where symbolic
  InputShapes input_shapes;
  std::string mapping;        // a mapping file, or ""
  std::string act_sparsity;   // "conv2=0.387,*=0.5" or a `dnnc stats --json` file, or ""
  bool compression = true;    // RLC on DRAM traffic (false: --no-rlc)
  bool allow_partial = false;
  DataOptions data;           // measure activation zeros on these samples when the path is set
  int64_t data_batch = 32;
  int threads = 0;
  // With data: feature maps also scored delta coded (delta_energy.h), spatial deltas, and temporal ones
  // with frames (the samples in order as frames of one sequence).
  bool delta = false, frames = false;
  // With data: SnaPEA early termination measured on it (exact mode, or predictive with the parameters a
  // model stores under dnnc.snapea) and scored on the accelerator next to the cost without it.
  bool snapea = false;
};

// One evaluated model.
struct ScoredModel {
  std::string path, sha256;
  OnnxLayers layers;
  NetworkCost cost;
  std::string sparsity_source;  // how activation zeros were obtained
  // With a spec that has weight_repetition.factorized_dot_products (UCNN), per layer: the cost with UCNN
  // (nullopt where the weights are not known), and the energy of the same mapping with no zero gating.
  std::vector<std::optional<UcnnCost>> ucnn;
  std::vector<double> ungated_energy;
  std::optional<DeltaEnergy> delta;  // with EnergyRequest::delta
  // With EnergyRequest::snapea: the count on the data, the model's predictive parameters (when stored),
  // and per layer the cost with SnaPEA under the same mapping (nullopt: not a covered Conv -> Relu).
  std::optional<SnapeaResult> snapea;
  std::optional<SnapeaParams> snapea_params;
  std::vector<std::optional<LayerCost>> snapea_cost;
  int given_ifmaps = 0;         // layers whose ifmap zeros are known
  double load_ms = 0, extract_ms = 0, measure_ms = 0, eval_ms = 0;
};

struct EnergyResult {
  AcceleratorSpec spec;
  std::vector<ScoredModel> models;
  // Every file the result depends on (models, mapping, stats, spec) with its SHA-256, for the report.
  std::vector<std::pair<std::string, std::string>> inputs;
};

// (model path, samples done, samples in all) while activation zeros are measured.
using MeasureProgress = std::function<void(const std::string&, int64_t, int64_t)>;

Expected<EnergyResult> runEnergyRequest(const EnergyRequest& request, const MeasureProgress& progress = {});

// The report's fields: the first model's cost and layers, and with two models "model2" and "ratios".
nlohmann::json energyReportJson(const EnergyResult& result, const EnergyRequest& request);
// The text tables of the same report.
std::string formatEnergyReport(const EnergyResult& result);
// One line per model: where the time went (for -v).
std::string energyTimings(const ScoredModel& s);

}  // namespace dnnc::energy
