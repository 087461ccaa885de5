// lib/prune helpers: threshold selection, globs, layer names, and the schedule derivation with
// synthetic accuracy curves (so the expected schedule is known in closed form).
#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "lib/support/glob.h"
#include "lib/prune/magnitude.h"
#include "lib/prune/sensitivity.h"
#include "lib/prune/threshold.h"
#include "test/support/test_support.h"

using namespace dnnc;

TEST_CASE("prefixToPrune takes the smallest candidates up to the nearest element count", "[prune]") {
  std::vector<float> scores = {0.5f, 0.1f, 0.1f, 0.0f, 0.9f};
  auto order = ascendingOrder(scores);
  CHECK(order == std::vector<uint32_t>{3, 1, 2, 0, 4});  // ties by index
  CHECK(prefixToPrune(order, {}, 2) == 2);
  CHECK(prefixToPrune(order, {}, 0) == 0);
  CHECK(prefixToPrune(order, {}, 5) == 5);
  // Groups of sizes 4, 4, 2, 4, 4 (by candidate index), taken as idx 3, 1, 2: 4, 8, 10 elements.
  std::vector<int32_t> sizes = {4, 4, 2, 4, 4};
  CHECK(prefixToPrune(order, sizes, 10) == 3);
  CHECK(prefixToPrune(order, sizes, 9) == 2);   // 8 and 10 are equally far: stop below the target
  CHECK(prefixToPrune(order, sizes, 12) == 3);  // 10 is closer than 14
  CHECK(prefixToPrune(order, sizes, 5) == 1);  // 4 is closer to 5 than 8
  CHECK(targetElements(0.7, 10) == 7);
  // Already-zero candidates are always taken when scores are given.
  CHECK(prefixToPrune(order, {}, 0, scores) == 1);
  CHECK(prefixToPrune(order, {}, 2, scores) == 2);
}

TEST_CASE("quantile and standard deviation against a naive sort", "[prune]") {
  std::vector<float> v = {5, 1, 4, 2, 3, 9, 7, 8, 6, 0};
  auto copy = v;
  CHECK(quantile(copy, 0.3) == 2.0f);
  copy = v;
  CHECK(std::isinf(quantile(copy, 0.0)));
  CHECK(standardDeviation(std::vector<float>{1, 3}) == Approx(1.0));
}

TEST_CASE("globs and comma lists", "[prune]") {
  CHECK(globMatch("/conv*", "/conv1/Conv"));
  CHECK(globMatch("*fc?", "layer.fc1"));
  CHECK_FALSE(globMatch("conv1", "conv10"));
  CHECK(isGlob("a[12]"));
  CHECK(splitList(" a, b ,,c") == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("layer sparsity: inline, YAML map and schedule file, with range checks", "[prune]") {
  auto inline_ = parseLayerSparsity("conv1=0.5, /fc1/Gemm=0.95");
  REQUIRE(inline_.ok());
  CHECK(*inline_ == LayerSparsity{{"conv1", 0.5}, {"/fc1/Gemm", 0.95}});
  std::string dir = dnnc::test::scratchDir("layer_sparsity");
  dnnc::test::writeBytes(dir + "/a.yaml", "conv1: 0.5\nfc1: 0.9\n");
  auto y = parseLayerSparsity(dir + "/a.yaml");
  REQUIRE(y.ok());
  CHECK(*y == LayerSparsity{{"conv1", 0.5}, {"fc1", 0.9}});
  dnnc::test::writeBytes(dir + "/s.json", R"({"granularity": "element", "layers": {"/fc1/Gemm": 0.8}})");
  auto j = parseLayerSparsity(dir + "/s.json");
  REQUIRE(j.ok());
  CHECK(*j == LayerSparsity{{"/fc1/Gemm", 0.8}});
  CHECK(parseLayerSparsity("conv1=1.0").error().code() == Exit::Usage);
  CHECK(parseLayerSparsity("conv1=x").error().code() == Exit::Usage);
  dnnc::test::writeBytes(dir + "/bad.yaml", "conv1: 2\n");
  CHECK(parseLayerSparsity(dir + "/bad.yaml").error().code() == Exit::Input);
}

namespace {

// Three layers whose drop alone at level l is w_k * l^2 points and whose drops add when combined.
struct Synthetic {
  std::map<std::string, double> weight = {{"a", 1.0}, {"b", 4.0}, {"c", 10.0}};
  double base = 0.9;
  int evaluations = 0;
  Accuracy accuracyOf(const LayerSparsity& s) const {
    double drop = 0;
    for (const auto& [layer, level] : s) drop += weight.at(layer) * level * level;
    return {static_cast<int64_t>(std::llround((base - drop / 100.0) * 100000)), 100000};
  }
};

}  // namespace

TEST_CASE("deriveSchedule bisects the per-layer tolerance until the combined drop fits", "[prune]") {
  Synthetic syn;
  SensitivityResult r;
  r.baseline = syn.accuracyOf({});
  r.layers = {"a", "b", "c"};
  r.levels = {0.1, 0.3, 0.5, 0.7, 0.9};
  r.granularities = {"element"};
  for (const auto& l : r.layers)
    for (double level : r.levels) r.points.push_back({l, "element", level, syn.accuracyOf({{l, level}})});
  // The "model" records what was pruned in its doc string, so evaluation can read it back.
  Model model;
  PruneLayersFn prune = [](Model& m, const LayerSparsity& t, const std::string&) -> Status {
    std::string s;
    for (const auto& [l, v] : t) s += l + "=" + std::to_string(v) + ",";
    m.proto.set_doc_string(s);
    return {};
  };
  EvaluateFn evaluate = [&](const Model& m) -> Expected<Accuracy> {
    auto parsed = parseLayerSparsity(m.proto.doc_string().empty() ? "a=0" : m.proto.doc_string());
    REQUIRE(parsed.ok());
    ++syn.evaluations;
    return syn.accuracyOf(*parsed);
  };
  auto s = deriveSchedule(model, r, "element", 2.0, prune, evaluate);
  REQUIRE(s.ok());
  double combined = 0;
  for (const auto& [l, v] : s->layers) combined += syn.weight[l] * v * v;
  CHECK(combined <= 2.0 + 1e-9);
  // Alone within 2 points: a 0.9 (0.81), b 0.7 (1.96), c 0.3 (0.9): together 3.67 > 2, so the tolerance
  // must shrink; the result keeps every layer at or below its solo choice.
  std::map<std::string, double> got(s->layers.begin(), s->layers.end());
  CHECK(got["a"] <= 0.9);
  CHECK(got["b"] <= 0.7);
  CHECK(got["c"] <= 0.3);
  CHECK(got["a"] > 0);
  CHECK(s->tolerance_points < 2.0);
  // A budget smaller than every first-level drop cannot be met.
  auto none = deriveSchedule(model, r, "element", 0.005, prune, evaluate);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code() == Exit::Target);
  CHECK(deriveSchedule(model, r, "element", -1, prune, evaluate).error().code() == Exit::Usage);
}
