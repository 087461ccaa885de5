#include "lib/analysis/snapea_params.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <nlohmann/json.hpp>

#include "lib/support/sha256.h"

namespace dnnc {

std::vector<SnapeaPrediction> SnapeaParams::predictions() const {
  std::vector<SnapeaPrediction> out;
  for (const auto& l : layers) out.push_back(l.prediction);
  return out;
}

std::string snapeaParamsJson(const SnapeaParams& p) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : p.layers)
    layers.push_back({{"node", l.node}, {"terms", l.terms}, {"n", l.prediction.n}, {"threshold", l.prediction.threshold}});
  nlohmann::json j = {{"version", 1},
                      {"mode", "predictive"},
                      {"budget_points", p.budget},
                      {"seed", p.seed},
                      {"profile_samples", p.profile_samples},
                      {"heldout_samples", p.heldout_samples},
                      {"top1_before", p.top1_before},
                      {"top1", p.top1},
                      {"layers", layers}};
  if (!p.graph_sha256.empty()) j["graph_sha256"] = p.graph_sha256;
  return j.dump();
}

Expected<SnapeaParams> parseSnapeaParams(const std::string& text, const std::string& source) {
  auto bad = [&](const std::string& why) { return Error(Exit::Input, "cannot read the SnaPEA parameters of ", source, ": ", why); };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("'" + std::string(kSnapeaMetadataKey) + "' is not a JSON object");
  if (j.value("version", 0) != 1) return bad("unknown version (expected 1)");
  if (j.value("mode", "") != "predictive") return bad("mode is not \"predictive\"");
  if (!j.contains("layers") || !j["layers"].is_array()) return bad("no layers[]");
  SnapeaParams p;
  try {
    p.budget = j.at("budget_points").get<double>();
    p.seed = j.at("seed").get<uint64_t>();
    p.profile_samples = j.at("profile_samples").get<int64_t>();
    p.heldout_samples = j.at("heldout_samples").get<int64_t>();
    p.top1_before = j.at("top1_before").get<double>();
    p.top1 = j.at("top1").get<double>();
    p.graph_sha256 = j.value("graph_sha256", "");
    for (const auto& l : j["layers"]) {
      SnapeaLayerParams x;
      x.node = l.at("node").get<std::string>();
      x.terms = l.at("terms").get<int64_t>();
      x.prediction.node = x.node;
      x.prediction.n = l.at("n").get<int64_t>();
      x.prediction.threshold = l.at("threshold").get<double>();
      if (x.prediction.n < 0 || x.prediction.n > x.terms) return bad("layer '" + x.node + "': n outside [0, terms]");
      p.layers.push_back(std::move(x));
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  return p;
}

std::string snapeaGraphDigest(const Model& model) {
  // What the thresholds depend on, not how it is stored: the nodes (Constant values included), inputs and
  // outputs as serialised, then each initializer's name, type, dims and values (external data read in),
  // so that saving with --external-data or another tensor field does not change it. value_info (shape
  // annotations) is left out.
  const onnx::GraphProto& g = model.graph();
  onnx::GraphProto skeleton;
  *skeleton.mutable_node() = g.node();
  *skeleton.mutable_input() = g.input();
  *skeleton.mutable_output() = g.output();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    skeleton.SerializeToCodedStream(&coded);
  }
  for (const auto& init : g.initializer()) {
    bytes += init.name() + '\0' + std::to_string(init.data_type()) + '\0';
    for (int64_t d : init.dims()) bytes += std::to_string(d) + ',';
    auto t = readTensor(init, model.base_dir);
    if (t) bytes.append(reinterpret_cast<const char*>(t->rawData()), t->sizeBytes());
    else bytes += "unreadable";  // an unreadable tensor fails the executor anyway
  }
  return sha256Hex(bytes);
}

Expected<std::optional<SnapeaParams>> readSnapeaParams(const Model& model, const std::string& source) {
  for (const auto& e : model.proto.metadata_props())
    if (e.key() == kSnapeaMetadataKey) {
      DNNC_ASSIGN(SnapeaParams p, parseSnapeaParams(e.value(), source));
      if (!p.graph_sha256.empty() && p.graph_sha256 != snapeaGraphDigest(model))
        return Error(Exit::Input, "the SnaPEA parameters of ", source,
                     " were calibrated on another graph: the model changed after the snapea pass")
            .withHint("run the snapea pass last (dnnc prune --snapea-budget puts it after any pruning)");
      return std::optional<SnapeaParams>(std::move(p));
    }
  return std::optional<SnapeaParams>();
}

void writeSnapeaParams(Model& model, SnapeaParams p) {
  p.graph_sha256 = snapeaGraphDigest(model);
  auto* props = model.proto.mutable_metadata_props();
  for (int i = props->size() - 1; i >= 0; --i)
    if (props->Get(i).key() == kSnapeaMetadataKey) props->DeleteSubrange(i, 1);
  auto* e = model.proto.add_metadata_props();
  e->set_key(kSnapeaMetadataKey);
  e->set_value(snapeaParamsJson(p));
}

}  // namespace dnnc
