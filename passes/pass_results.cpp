#include "passes/pass_results.h"

namespace dnnc {

namespace {

// An optional value is written as its value or, where the schema keeps the key, as null.
template <class T>
nlohmann::json orNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
template <class T>
std::optional<T> optionalAt(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

void to_json(nlohmann::json& j, const PrunedLayerResult& r) {
  j = {{"op", r.op},
       {"weight", r.weight},
       {"rule", r.rule},
       {"params", r.params},
       {"zeros_before", r.zeros_before},
       {"zeros", r.zeros},
       {"sparsity_before", r.sparsityBefore()},
       {"sparsity", r.sparsity()},
       {"threshold", r.threshold}};
  if (r.target) j["target"] = *r.target;
}

void from_json(const nlohmann::json& j, PrunedLayerResult& r) {
  j.at("op").get_to(r.op);
  j.at("weight").get_to(r.weight);
  j.at("rule").get_to(r.rule);
  j.at("params").get_to(r.params);
  j.at("zeros_before").get_to(r.zeros_before);
  j.at("zeros").get_to(r.zeros);
  j.at("threshold").get_to(r.threshold);
  r.target = optionalAt<double>(j, "target");
}

void to_json(nlohmann::json& j, const PruneMagnitudeSummary& r) {
  j = {{"granularity", r.granularity},
       {"layers_pruned", r.layers_pruned},
       {"params", r.params},
       {"zeros_before", r.zeros_before},
       {"zeros", r.zeros},
       {"sparsity_before", r.sparsityBefore()},
       {"sparsity", r.sparsity()}};
  if (r.global_threshold) j["global_threshold"] = *r.global_threshold;
}

void from_json(const nlohmann::json& j, PruneMagnitudeSummary& r) {
  j.at("granularity").get_to(r.granularity);
  j.at("layers_pruned").get_to(r.layers_pruned);
  j.at("params").get_to(r.params);
  j.at("zeros_before").get_to(r.zeros_before);
  j.at("zeros").get_to(r.zeros);
  r.global_threshold = optionalAt<double>(j, "global_threshold");
}

void to_json(nlohmann::json& j, const ReluThresholdResult& r) {
  j = {{"threshold", r.threshold}, {"sparsity_before", r.sparsity_before}, {"sparsity", r.sparsity}};
}

void from_json(const nlohmann::json& j, ReluThresholdResult& r) {
  j.at("threshold").get_to(r.threshold);
  j.at("sparsity_before").get_to(r.sparsity_before);
  j.at("sparsity").get_to(r.sparsity);
}

void to_json(nlohmann::json& j, const SharedLayerResult& r) {
  j = {{"weight", r.weight},     {"bits", r.bits}, {"codebook_size", r.codebook_size}, {"nonzeros", r.nonzeros},
       {"elements", r.elements}, {"mse", r.mse},   {"sqnr_db", orNull(r.sqnr_db)}};
}

void from_json(const nlohmann::json& j, SharedLayerResult& r) {
  j.at("weight").get_to(r.weight);
  j.at("bits").get_to(r.bits);
  j.at("codebook_size").get_to(r.codebook_size);
  j.at("nonzeros").get_to(r.nonzeros);
  j.at("elements").get_to(r.elements);
  j.at("mse").get_to(r.mse);
  r.sqnr_db = optionalAt<double>(j, "sqnr_db");
}

void to_json(nlohmann::json& j, const QuantizedLayerResult& r) {
  j = {{"weight", r.weight}, {"bits", r.bits}, {"scales", r.scales}, {"mse", r.mse}, {"sqnr_db", orNull(r.sqnr_db)}};
}

void from_json(const nlohmann::json& j, QuantizedLayerResult& r) {
  j.at("weight").get_to(r.weight);
  j.at("bits").get_to(r.bits);
  j.at("scales").get_to(r.scales);
  j.at("mse").get_to(r.mse);
  r.sqnr_db = optionalAt<double>(j, "sqnr_db");
}

void to_json(nlohmann::json& j, const DecomposedLayerResult& r) {
  j = {{"layer", r.layer},
       {"ranks", r.ranks},
       {"rank_source", r.rank_source},
       {"params_before", r.params_before},
       {"params_after", r.params_after},
       {"macs_before", orNull(r.macs_before)},
       {"macs_after", orNull(r.macs_after)},
       {"rel_error", r.rel_error}};
  if (!r.matrix.empty()) j["matrix"] = r.matrix;
  if (!r.kernel.empty()) j["kernel"] = r.kernel;
  if (r.energy_kept) j["energy_kept"] = *r.energy_kept;
  if (r.hosvd_rel_error) j["hosvd_rel_error"] = *r.hosvd_rel_error;
  if (r.hooi_iterations) j["hooi_iterations"] = *r.hooi_iterations;
  if (r.als_iterations) j["als_iterations"] = *r.als_iterations;
}

void from_json(const nlohmann::json& j, DecomposedLayerResult& r) {
  j.at("layer").get_to(r.layer);
  j.at("ranks").get_to(r.ranks);
  j.at("rank_source").get_to(r.rank_source);
  j.at("params_before").get_to(r.params_before);
  j.at("params_after").get_to(r.params_after);
  r.macs_before = optionalAt<int64_t>(j, "macs_before");
  r.macs_after = optionalAt<int64_t>(j, "macs_after");
  j.at("rel_error").get_to(r.rel_error);
  if (j.contains("matrix")) j.at("matrix").get_to(r.matrix);
  if (j.contains("kernel")) j.at("kernel").get_to(r.kernel);
  r.energy_kept = optionalAt<double>(j, "energy_kept");
  r.hosvd_rel_error = optionalAt<double>(j, "hosvd_rel_error");
  r.hooi_iterations = optionalAt<int64_t>(j, "hooi_iterations");
  r.als_iterations = optionalAt<int64_t>(j, "als_iterations");
}

void to_json(nlohmann::json& j, const NetAdaptStep& r) {
  j = {{"iteration", r.iteration}, {"resource", r.resource}, {"accuracy", r.accuracy}, {"layer", orNull(r.layer)}};
}

void from_json(const nlohmann::json& j, NetAdaptStep& r) {
  j.at("iteration").get_to(r.iteration);
  j.at("resource").get_to(r.resource);
  j.at("accuracy").get_to(r.accuracy);
  r.layer = optionalAt<std::string>(j, "layer");
}

void to_json(nlohmann::json& j, const NetAdaptUniform& r) {
  j = {{"reached", r.reached}, {"sparsity", r.sparsity}, {"resource_ratio", r.resource_ratio}};
  if (r.accuracy_one_shot) j["accuracy_one_shot"] = *r.accuracy_one_shot;
  if (r.accuracy) j["accuracy"] = *r.accuracy;
}

void from_json(const nlohmann::json& j, NetAdaptUniform& r) {
  j.at("reached").get_to(r.reached);
  j.at("sparsity").get_to(r.sparsity);
  j.at("resource_ratio").get_to(r.resource_ratio);
  r.accuracy_one_shot = optionalAt<double>(j, "accuracy_one_shot");
  r.accuracy = optionalAt<double>(j, "accuracy");
}

void to_json(nlohmann::json& j, const NetAdaptSummary& r) {
  j = {{"resource", r.resource},
       {"measure", r.measure},
       {"budget", r.budget},
       {"resource_before", r.resource_before},
       {"resource_after", r.resource_after},
       {"resource_ratio", r.resource_ratio},
       {"accuracy_metric", r.accuracy_metric},
       {"accuracy_before", r.accuracy_before},
       {"accuracy_after", r.accuracy_after},
       {"iterations", r.iterations},
       {"trajectory", r.trajectory}};
  if (r.uniform) j["uniform"] = *r.uniform;
}

void from_json(const nlohmann::json& j, NetAdaptSummary& r) {
  j.at("resource").get_to(r.resource);
  j.at("measure").get_to(r.measure);
  j.at("budget").get_to(r.budget);
  j.at("resource_before").get_to(r.resource_before);
  j.at("resource_after").get_to(r.resource_after);
  j.at("resource_ratio").get_to(r.resource_ratio);
  j.at("accuracy_metric").get_to(r.accuracy_metric);
  j.at("accuracy_before").get_to(r.accuracy_before);
  j.at("accuracy_after").get_to(r.accuracy_after);
  j.at("iterations").get_to(r.iterations);
  j.at("trajectory").get_to(r.trajectory);
  if (j.contains("uniform")) r.uniform = j.at("uniform").get<NetAdaptUniform>();
}

}  // namespace dnnc
