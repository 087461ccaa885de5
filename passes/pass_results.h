// The per-layer results passes report and commands print, typed: a pass fills one of these and logs it
// (`ctx.log->rewrite(what, nodes, result)` converts it with to_json), a command reads it back with
// `details.get<T>()` to render its table. One definition of the keys, which the golden report schemas
// (test/golden/schema) keep stable.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dnnc {

// prune-magnitude: one pruned weight layer.
struct PrunedLayerResult {
  std::string op = {}, weight = {}, rule = {};
  int64_t params = 0, zeros_before = 0, zeros = 0;
  double threshold = 0;
  std::optional<double> target = {};  // the layer's own sparsity target, when it had one
  double sparsityBefore() const { return params ? double(zeros_before) / double(params) : 0.0; }
  double sparsity() const { return params ? double(zeros) / double(params) : 0.0; }
};

// prune-magnitude: the layers it pruned, together.
struct PruneMagnitudeSummary {
  std::string granularity = {};
  int64_t layers_pruned = 0, params = 0, zeros_before = 0, zeros = 0;
  std::optional<double> global_threshold = {};  // with sparsity=S (one threshold across the layers)
  double sparsityBefore() const { return params ? double(zeros_before) / double(params) : 0.0; }
  double sparsity() const { return params ? double(zeros) / double(params) : 0.0; }
};

// prune-activations: one Relu and its cut-off.
struct ReluThresholdResult {
  double threshold = 0, sparsity_before = 0, sparsity = 0;
};

// share: one layer given a codebook.
struct SharedLayerResult {
  std::string weight = {};
  int64_t bits = 0, codebook_size = 0, nonzeros = 0, elements = 0;
  double mse = 0;
  std::optional<double> sqnr_db = {};  // none when the sharing is exact
};

// quantize: one layer written as QDQ.
struct QuantizedLayerResult {
  std::string weight = {};
  int64_t bits = 0, scales = 0;  // scales: 1, or one per output channel
  double mse = 0;
  std::optional<double> sqnr_db = {};
};

// decompose-svd, -tucker, -cp: one layer replaced by a chain.
struct DecomposedLayerResult {
  std::string layer = {};
  std::vector<int64_t> matrix = {};  // svd: the weight matrix [m, n]
  std::vector<int64_t> kernel = {};  // tucker, cp: the kernel [K, C, h, w]
  std::vector<int64_t> ranks = {};
  std::string rank_source = {};
  int64_t params_before = 0, params_after = 0;
  std::optional<int64_t> macs_before = {}, macs_after = {};  // none when the layer's spatial size is unknown
  double rel_error = 0;
  std::optional<double> energy_kept = {};                          // svd
  std::optional<double> hosvd_rel_error = {};                      // tucker
  std::optional<int64_t> hooi_iterations = {}, als_iterations = {};     // tucker, cp
};

// netadapt: one step of the trajectory (iteration 0 is the original model).
struct NetAdaptStep {
  int64_t iteration = 0;
  double resource = 1.0;  // of the original
  double accuracy = 0;    // percent
  std::optional<std::string> layer = {};  // the layer whose filters the step removed
};

// netadapt with compare-uniform: filter pruning of every group at one rate, to the same budget.
struct NetAdaptUniform {
  bool reached = false;
  double sparsity = 0, resource_ratio = 0;
  std::optional<double> accuracy_one_shot = {}, accuracy = {};  // when reached
};

struct NetAdaptSummary {
  std::string resource = {}, measure = {};
  double budget = 0, resource_before = 0, resource_after = 0, resource_ratio = 0;
  std::string accuracy_metric = {};
  double accuracy_before = 0, accuracy_after = 0;
  int64_t iterations = 0;
  std::vector<NetAdaptStep> trajectory = {};
  std::optional<NetAdaptUniform> uniform = {};
};

void to_json(nlohmann::json& j, const PrunedLayerResult& r);
void from_json(const nlohmann::json& j, PrunedLayerResult& r);
void to_json(nlohmann::json& j, const PruneMagnitudeSummary& r);
void from_json(const nlohmann::json& j, PruneMagnitudeSummary& r);
void to_json(nlohmann::json& j, const ReluThresholdResult& r);
void from_json(const nlohmann::json& j, ReluThresholdResult& r);
void to_json(nlohmann::json& j, const SharedLayerResult& r);
void from_json(const nlohmann::json& j, SharedLayerResult& r);
void to_json(nlohmann::json& j, const QuantizedLayerResult& r);
void from_json(const nlohmann::json& j, QuantizedLayerResult& r);
void to_json(nlohmann::json& j, const DecomposedLayerResult& r);
void from_json(const nlohmann::json& j, DecomposedLayerResult& r);
void to_json(nlohmann::json& j, const NetAdaptStep& r);
void from_json(const nlohmann::json& j, NetAdaptStep& r);
void to_json(nlohmann::json& j, const NetAdaptUniform& r);
void from_json(const nlohmann::json& j, NetAdaptUniform& r);
void to_json(nlohmann::json& j, const NetAdaptSummary& r);
void from_json(const nlohmann::json& j, NetAdaptSummary& r);

}  // namespace dnnc
