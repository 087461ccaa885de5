#include "lib/prune/magnitude.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <span>
#include <filesystem>

#include "lib/support/glob.h"
#include "lib/prune/global_magnitude.h"
#include "lib/prune/threshold.h"

namespace dnnc {

Status checkSparsity(double sparsity, const std::string& what) {
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    return Error(Exit::Usage, what, " ", sparsity, " is outside [0, 1)")
        .withHint("a sparsity is the fraction of weights to zero, e.g. 0.9");
  return {};
}

namespace {

Expected<double> parseTarget(const std::string& value, const std::string& layer, const std::string& where) {
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0') return Error(Exit::Usage, where, ": sparsity of '", layer, "' is '", value, "', not a number");
  DNNC_TRY(checkSparsity(v, strCat(where, ": sparsity of '", layer, "'")));
  return v;
}

Expected<LayerSparsity> parseFile(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    return Error(Exit::Input, "cannot read layer sparsities from '", path, "': no such file")
        .withHint("give NAME=SPARSITY,... inline, or a YAML/JSON file of name: sparsity");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Error(Exit::Input, "cannot parse '", path, "': ", e.what());
  }
  YAML::Node map = root.IsMap() && root["layers"] ? root["layers"] : root;
  if (!map.IsMap()) return Error(Exit::Input, "'", path, "' is not a map of layer name to sparsity");
  LayerSparsity out;
  for (const auto& kv : map) {
    if (!kv.second.IsScalar()) return Error(Exit::Input, "'", path, "': the value of '", kv.first.as<std::string>(), "' is not a number");
    auto v = parseTarget(kv.second.as<std::string>(), kv.first.as<std::string>(), strCat("'", path, "'"));
    if (!v) return Error(Exit::Input, v.error().message());
    out.emplace_back(kv.first.as<std::string>(), *v);
  }
  return out;
}

}  // namespace

Expected<LayerSparsity> parseLayerSparsity(const std::string& text) {
  if (text.find('=') == std::string::npos) {
    // A word with no path separator and no extension was meant inline ('conv1' without '=0.5').
    if (!std::filesystem::exists(text) && text.find_first_of("/.") == std::string::npos)
      return Error(Exit::Usage, "layer sparsity '", text, "' is not NAME=SPARSITY");
    return parseFile(text);
  }
  LayerSparsity out;
  for (const auto& item : splitList(text)) {
    auto eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0)
      return Error(Exit::Usage, "layer sparsity '", item, "' is not NAME=SPARSITY");
    DNNC_ASSIGN(double v, parseTarget(item.substr(eq + 1), item.substr(0, eq), "layer-sparsity"));
    out.emplace_back(item.substr(0, eq), v);
  }
  return out;
}

namespace {

struct Plan {
  enum Rule { None, Skip, Global, Layer, Q } rule = None;
  double target = 0;
};

// Decides each layer's rule; errors for names that select nothing and contradictory choices.
Expected<std::vector<Plan>> planLayers(const std::vector<WeightLayer>& layers, const MagnitudeConfig& c) {
  std::vector<Plan> plans(layers.size());
  for (size_t i = 0; i < layers.size(); ++i)
    plans[i].rule = c.q ? Plan::Q : c.sparsity ? Plan::Global : Plan::None;
  for (const auto& s : c.skip) {
    DNNC_ASSIGN(auto hit, selectLayers(layers, s, "skip"));
    for (size_t i : hit) plans[i].rule = Plan::Skip;
  }
  for (const auto& [name, target] : c.layer_sparsity) {
    DNNC_ASSIGN(auto hit, selectLayers(layers, name, "layer-sparsity"));
    for (size_t i : hit) {
      if (plans[i].rule == Plan::Skip)
        return Error(Exit::Usage, "layer '", layers[i].name, "' is both skipped and given a sparsity ('", name, "')");
      plans[i] = {Plan::Layer, target};
    }
  }
  return plans;
}

int64_t countZeros(std::span<const float> w) {
  return std::count(w.begin(), w.end(), 0.0f);
}

// Records a layer its plan leaves alone, with the reason; true when it is one.
bool noteLeftAlone(const WeightLayer& layer, const Plan& plan, MagnitudeResult& result) {
  if (plan.rule == Plan::Skip) result.skipped.push_back({layer.name, "skipped as asked"});
  if (plan.rule == Plan::None) result.skipped.push_back({layer.name, "no sparsity given for it"});
  return plan.rule == Plan::Skip || plan.rule == Plan::None;
}

// A pruned layer's line of the result.
LayerPruneResult layerResult(const WeightLayer& layer, const Plan& plan, int64_t zeros_before, int64_t zeros_after,
                             double threshold) {
  LayerPruneResult r;
  r.layer = layer.name;
  r.op = layer.op;
  r.weight = layer.weight;
  r.rule = plan.rule == Plan::Global ? "global" : plan.rule == Plan::Layer ? "layer" : "q";
  r.params = layer.numel;
  r.zeros_before = zeros_before;
  r.zeros_after = zeros_after;
  r.target = plan.rule == Plan::Layer ? plan.target : -1;
  r.threshold = threshold;
  return r;
}

// Whether the fast global path applies: element granularity and every rule the global one (or none).
bool globalElementsOnly(const std::vector<Plan>& plans, const MagnitudeConfig& config) {
  if (config.granularity.kind == Granularity::Simd || !config.sparsity) return false;
  return std::none_of(plans.begin(), plans.end(), [](const Plan& p) { return p.rule == Plan::Layer || p.rule == Plan::Q; });
}

// The global rule at element granularity without a copy of the weights or a sort: the weights are edited
// where they are stored (a copy only of a layer stored otherwise than raw float32), the k-th smallest
// magnitude found by radix selection. The weights pruned, thresholds and counts are those of the general
// path (first k by (|w|, layer, position)); a layer whose zeros do not change is left untouched, as there.
Expected<MagnitudeResult> pruneGlobalElements(Graph& graph, const std::vector<WeightLayer>& layers,
                                              const std::vector<Plan>& plans, const MagnitudeConfig& config,
                                              MagnitudeResult result) {
  std::vector<std::span<float>> values(layers.size());
  std::vector<std::vector<float>> owned(layers.size());  // layers not stored as raw float32
  std::vector<int64_t> zeros_before(layers.size());
  std::vector<std::span<float>> global;
  int64_t global_params = 0, global_zeros = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    values[i] = graph.floatWeightInPlace(layers[i].weight);
    if (values[i].empty()) {
      DNNC_ASSIGN(Tensor t, graph.readWeight(layers[i].weight));
      owned[i] = t.toFloats();
      values[i] = owned[i];
    }
    result.params += layers[i].numel;
    zeros_before[i] = countZeros(values[i]);
    result.zeros_before += zeros_before[i];
    if (noteLeftAlone(layers[i], plans[i], result) || plans[i].rule != Plan::Global) continue;
    global.push_back(values[i]);
    global_params += layers[i].numel;
    global_zeros += zeros_before[i];
  }
  // Weights already zero are always taken (prefixToPrune); then up to the target, one element at a time.
  const int64_t k = std::min(global_params, std::max(global_zeros, targetElements(*config.sparsity, global_params)));
  const GlobalSelection sel = selectSmallestMagnitudes(global, k);
  int64_t ties_left = sel.ties_taken;
  float global_value;
  std::memcpy(&global_value, &sel.value_bits, sizeof global_value);
  if (global_params > 0) result.global_threshold = sel.any ? double(global_value) : 0.0;

  auto bitsOf = [](float w) {
    uint32_t b;
    std::memcpy(&b, &w, sizeof b);
    return b & 0x7fffffffu;
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    int64_t zeros = zeros_before[i];
    double threshold = 0;
    if (plans[i].rule == Plan::Global && sel.any) {
      // Magnitudes below the selected one are pruned, and the first ties at it while ties are left. The
      // first pass counts them (and finds the largest magnitude pruned), the second zeroes; both are
      // branch-free over the layer except for the ties, which only a second loop looks for.
      std::span<float> w = values[i];
      const uint32_t vb = sel.value_bits;
      int64_t below_nonzero = 0, equal = 0;
      uint32_t largest_below = 0;
      for (float v : w) {
        const uint32_t b = bitsOf(v);
        below_nonzero += int64_t(b < vb) & int64_t(b != 0);
        equal += int64_t(b == vb);
        largest_below = std::max(largest_below, b < vb ? b : 0u);
      }
      const int64_t tied = std::min(ties_left, equal);
      const int64_t newly_zero = below_nonzero + (vb != 0 ? tied : 0);
      float largest;
      std::memcpy(&largest, &largest_below, sizeof largest);
      threshold = double(largest);
      if (tied > 0) threshold = std::max(threshold, double(global_value));
      if (newly_zero > 0) {
        for (float& v : w) v = bitsOf(v) < vb ? 0.0f : v;
        for (size_t j = 0, left = size_t(tied); left > 0 && j < w.size(); ++j)
          if (bitsOf(w[j]) == vb) {
            w[j] = 0.0f;
            --left;
          }
        if (owned[i].empty()) graph.weightEditedInPlace(layers[i].weight);
        else graph.setWeight(layers[i].weight, Tensor::fromFloats(owned[i], layers[i].dims));
        result.changed = true;
        zeros += newly_zero;
      }
      ties_left -= tied;
    }
    result.zeros_after += zeros;
    if (plans[i].rule == Plan::Global) result.layers.push_back(layerResult(layers[i], plans[i], zeros_before[i], zeros, threshold));
  }
  return result;
}

}  // namespace

Expected<MagnitudeResult> pruneMagnitude(Graph& graph, const MagnitudeConfig& config) {
  if (config.sparsity && config.q) return Error(Exit::Usage, "give either a sparsity or q (Han's q x std rule), not both");
  if (!config.sparsity && !config.q && config.layer_sparsity.empty())
    return Error(Exit::Usage, "nothing to prune: give a sparsity, q, or per-layer sparsities");
  if (config.sparsity) DNNC_TRY(checkSparsity(*config.sparsity, "sparsity"));
  if (config.q && !(*config.q >= 0)) return Error(Exit::Usage, "q must be a non-negative number, got ", *config.q);
  if (config.granularity.structured())
    return Error(Exit::Usage, "granularity ", config.granularity.text(), " removes whole filters or channels")
        .withHint("use the prune-structured pass for it");

  WeightLayers found = enumerateWeightLayers(graph);
  const auto& layers = found.layers;
  MagnitudeResult result;
  result.skipped = found.skipped;
  DNNC_ASSIGN(auto plans, planLayers(layers, config));
  if (globalElementsOnly(plans, config)) return pruneGlobalElements(graph, layers, plans, config, std::move(result));

  std::vector<std::vector<float>> weights(layers.size());
  std::vector<LayerCandidates> cands(layers.size());
  std::vector<int64_t> zeros_before(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    DNNC_ASSIGN(Tensor t, graph.readWeight(layers[i].weight));
    weights[i] = t.toFloats();
    result.params += layers[i].numel;
    zeros_before[i] = countZeros(weights[i]);
    result.zeros_before += zeros_before[i];
    if (noteLeftAlone(layers[i], plans[i], result)) continue;
    DNNC_TRY(checkGranularityFits(config.granularity, layers[i]));
    cands[i] = candidates(config.granularity, layers[i], weights[i]);
  }

  std::vector<double> thresholds(layers.size(), 0.0);
  auto pruneLayer = [&](size_t i, size_t k, const std::vector<uint32_t>& order) {
    for (size_t j = 0; j < k; ++j) {
      zeroCandidate(config.granularity, layers[i], weights[i], order[j]);
      thresholds[i] = std::max(thresholds[i], double(cands[i].scores[order[j]]));
    }
  };

  // Per-layer targets and Han's q x std rule: each layer on its own.
  for (size_t i = 0; i < layers.size(); ++i) {
    if (plans[i].rule == Plan::Layer) {
      auto order = ascendingOrder(cands[i].scores);
      pruneLayer(i, prefixToPrune(order, cands[i].sizes, targetElements(plans[i].target, layers[i].numel), cands[i].scores), order);
    } else if (plans[i].rule == Plan::Q) {
      const float t = static_cast<float>(*config.q * standardDeviation(weights[i]));
      auto order = ascendingOrder(cands[i].scores);
      size_t k = 0;
      while (k < order.size() && cands[i].scores[order[k]] < t) ++k;
      pruneLayer(i, k, order);
      thresholds[i] = t;
    }
  }

  // The global rule: one ranking over the candidates of every layer it covers.
  std::vector<float> pooled;
  std::vector<int32_t> pooled_sizes;
  std::vector<std::pair<uint32_t, uint32_t>> where;  // pooled index -> (layer, candidate)
  int64_t global_params = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (plans[i].rule != Plan::Global) continue;
    global_params += layers[i].numel;
    for (size_t k = 0; k < cands[i].scores.size(); ++k) {
      pooled.push_back(cands[i].scores[k]);
      pooled_sizes.push_back(cands[i].sizes.empty() ? 1 : cands[i].sizes[k]);
      where.emplace_back(static_cast<uint32_t>(i), static_cast<uint32_t>(k));
    }
  }
  if (global_params > 0) {
    auto order = ascendingOrder(pooled);
    size_t k = prefixToPrune(order, pooled_sizes, targetElements(*config.sparsity, global_params), pooled);
    double t = 0;
    for (size_t j = 0; j < k; ++j) {
      auto [i, c] = where[order[j]];
      zeroCandidate(config.granularity, layers[i], weights[i], c);
      t = pooled[order[j]];
      thresholds[i] = std::max(thresholds[i], t);
    }
    result.global_threshold = t;
  }

  for (size_t i = 0; i < layers.size(); ++i) {
    int64_t zeros = countZeros(weights[i]);
    result.zeros_after += zeros;
    if (plans[i].rule == Plan::Skip || plans[i].rule == Plan::None) continue;
    if (zeros != zeros_before[i]) {
      graph.setWeight(layers[i].weight, Tensor::fromFloats(weights[i], layers[i].dims));
      result.changed = true;
    }
    result.layers.push_back(layerResult(layers[i], plans[i], zeros_before[i], zeros, thresholds[i]));
  }
  return result;
}

}  // namespace dnnc
