// Mappings: invalid ones get clear errors; the search equals brute force and is deterministic; network
// evaluation, mapping files and JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "lib/energy/energy.h"
#include "test/unit/energy/alexnet_fixture.h"

using namespace dnnc;
using namespace dnnc::energy;

namespace {

AcceleratorSpec eyeriss() {
  auto s = loadAcceleratorSpec("eyeriss");
  REQUIRE(s.ok());
  return *s;
}

void expectInvalid(const LayerShape& l, const Mapping& m, const std::string& needle) {
  auto s = validateMapping(eyeriss(), l, m);
  REQUIRE_FALSE(s.ok());
  INFO(s.error().message());
  CHECK(s.error().code() == Exit::Input);
  CHECK(s.error().message().find("invalid mapping for layer '" + l.name + "'") != std::string::npos);
  CHECK(s.error().message().find(needle) != std::string::npos);
  CHECK_FALSE(evaluate(eyeriss(), l, m).ok());
}

}  // namespace

TEST_CASE("invalid mappings get clear errors", "[energy][mapping]") {
  auto layers = testing::alexnetConvLayers();
  const LayerShape& conv3 = layers[2];
  REQUIRE(validateMapping(eyeriss(), conv3, {4, 13, 16, 4, 1, 4, 64}).ok());
  expectInvalid(conv3, {4, 13, 16, 5, 1, 4, 64}, "scratchpad: ifmap partition overflows: ifmap q*S = 15 words > 12");
  expectInvalid(conv3, {4, 13, 24, 4, 1, 2, 48},
                "scratchpad: filter partition overflows: filter p*q*S = 288 words > 224");
  expectInvalid(conv3, {4, 13, 26, 2, 1, 2, 52}, "scratchpad: psum partition overflows: psum p = 26 words > 24");
  expectInvalid(conv3, {4, 13, 16, 4, 1, 4, 128}, "global buffer: ifmap+psum partition overflows");
  expectInvalid(conv3, {4, 13, 16, 4, 2, 4, 64}, "r*t=8 PE sets of 3x13 do not fit the 12x14 array (4 fit)");
  expectInvalid(conv3, {8, 13, 16, 4, 1, 4, 64}, "n=8 exceeds the batch N=4");
  expectInvalid(conv3, {4, 14, 16, 4, 1, 4, 64}, "e=14 exceeds the ofmap height E=13");
  expectInvalid(conv3, {4, 13, 16, 4, 1, 4, 32}, "m=32 is smaller than the p*t=64 filters of one pass");
  expectInvalid(conv3, {4, 13, 16, 4, 1, 4, 400}, "m=400 exceeds the 384 filters per group");
  expectInvalid(layers[0], {1, 55, 16, 1, 1, 1, 96}, "a PE set of R=11 rows x 4 folded segments (e=55) needs 44 rows");
  // Filters of one pass overflow the 8 kB filter partition: 20*2 filters x 1 channel x 11*11 = 4840 words.
  expectInvalid(layers[0], {1, 7, 20, 1, 1, 2, 80},
                "global buffer: filter partition overflows: filter p*t*q*r*R*S = 4840 words > 4096");
  // The chip's own mappings are valid.
  auto chip = testing::eyerissAlexnetMapping();
  for (int i = 0; i < 5; ++i) CHECK(validateMapping(eyeriss(), layers[i], chip[i]).ok());
}

TEST_CASE("the pruned search equals brute force over the whole space", "[energy][mapping][search]") {
  // A tiny accelerator makes every capacity limit bind.
  auto tiny = parseAcceleratorSpec(R"yaml(
name: tiny
clock_mhz: 100
pe_array: {rows: 4, cols: 5}
levels:
  - {class: dram, clock_mhz: 25, energy: 200}
  - class: global_buffer
    energy: 6
    partitions: [{types: [ifmap, psum], size_words: 300}, {types: [filter], size_words: 80}]
  - {class: array_noc, energy: 2}
  - class: pe_spad
    energy: 1
    partitions: [{types: [ifmap], size_words: 6}, {types: [filter], size_words: 24}, {types: [psum], size_words: 4}]
zero_handling: {gate_ifmap_zeros: true, fmap_compression: rlc}
latency: {overlap_dram: [filter]}
)yaml",
                                   "tiny");
  REQUIRE(tiny.ok());
  for (const AcceleratorSpec& spec : {eyeriss(), *tiny}) {
    for (LayerShape l : {convLayer("a", 2, 4, 6, 6, 6, 3, 3, 1, 1), convLayer("b", 2, 4, 5, 5, 6, 1, 1),
                         convLayer("c", 2, 3, 11, 11, 5, 5, 5, 2, 2), convLayer("d", 1, 4, 6, 6, 4, 3, 3, 1, 1, 2)}) {
      l.ifmap.zero_fraction = 0.4;
      l.ofmap.zero_fraction = 0.5;
      const Objective objectives[3] = {Objective::Energy, Objective::Latency, Objective::Edp};
      double best[3];
      Mapping found[3];
      auto any = searchMapping(spec, l, Objective::Energy);
      if (!any.ok()) {
        // Then nothing fits at all.
        for (int e = 1; e <= l.E; ++e) CHECK_FALSE(validateMapping(spec, l, {1, e, 1, 1, 1, 1, 1}).ok());
        continue;
      }
      for (int k = 0; k < 3; ++k) {
        auto f = searchMapping(spec, l, objectives[k]);
        REQUIRE(f.ok());
        found[k] = *f;
        auto fc = evaluate(spec, l, *f);
        REQUIRE(fc.ok());
        best[k] = objectiveValue(*fc, objectives[k]);
      }
      int valid = 0;
      for (int n = 1; n <= l.N; ++n)
        for (int e = 1; e <= l.E; ++e)
          for (int p = 1; p <= l.Mg(); ++p)
            for (int q = 1; q <= l.C; ++q)
              for (int r = 1; r <= l.C; ++r)
                for (int t = 1; t <= l.Mg(); ++t)
                  for (int m = 1; m <= l.Mg(); ++m) {
                    Mapping mp{n, e, p, q, r, t, m};
                    auto c = evaluate(spec, l, mp);
                    if (!c) continue;
                    ++valid;
                    for (int k = 0; k < 3; ++k) {
                      if (objectiveValue(*c, objectives[k]) >= best[k] * (1 - 1e-12)) continue;
                      FAIL(spec.name << " " << l.name << " " << objectiveName(objectives[k]) << ": " << toString(mp)
                                     << " beats " << toString(found[k]));
                    }
                  }
      CHECK(valid > 10);
    }
  }
}

TEST_CASE("the search is deterministic and the objective matters", "[energy][mapping][search]") {
  auto spec = eyeriss();
  auto layers = testing::alexnetConvLayers();
  for (const auto& l : layers) {
    auto a = searchMapping(spec, l, Objective::Energy);
    auto b = searchMapping(spec, l, Objective::Energy);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(*a == *b);
    auto fast = searchMapping(spec, l, Objective::Latency);
    REQUIRE(fast.ok());
    auto ce = evaluate(spec, l, *a), cl = evaluate(spec, l, *fast);
    REQUIRE(ce.ok());
    REQUIRE(cl.ok());
    CHECK(cl->latency_cycles <= ce->latency_cycles);
    CHECK(ce->energy.total() <= cl->energy.total());
  }
  auto n1 = evaluateNetwork(spec, layers);
  auto n2 = evaluateNetwork(spec, layers);
  REQUIRE(n1.ok());
  REQUIRE(n2.ok());
  CHECK(toJson(*n1).dump() == toJson(*n2).dump());
}

TEST_CASE("no mapping fits a filter taller than the array", "[energy][mapping][search]") {
  LayerShape l = convLayer("tall", 1, 3, 32, 32, 8, 13, 13);
  auto m = searchMapping(eyeriss(), l, Objective::Energy);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code() == Exit::Input);
  CHECK(m.error().message().find("no row-stationary mapping of layer 'tall'") != std::string::npos);
}

TEST_CASE("mapping files: selection by name or index, clear errors", "[energy][mapping]") {
  auto t = parseMappingTable(R"yaml(
layers:
  - {name: conv2, n: 1, e: 27, p: 16, q: 2, r: 1, t: 1, m: 64}
  - {index: 0, n: 1, e: 7, p: 16, q: 1, r: 1, t: 2, m: 96}
)yaml",
                             "'m.yaml'");
  REQUIRE(t.ok());
  CHECK(t->find("conv2", 5)->mapping.e == 27);
  CHECK(t->find("whatever", 0)->mapping.e == 7);
  CHECK(t->find("conv3", 2) == nullptr);

  auto bad = [](const std::string& yaml, const std::string& needle) {
    auto r = parseMappingTable(yaml, "'m.yaml'");
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message());
    CHECK(r.error().code() == Exit::Input);
    CHECK(r.error().message().find(needle) != std::string::npos);
  };
  bad("layers:\n  - {name: c, n: 1, e: 7, p: 16, q: 1, r: 1, t: 2}\n", "layers[0] ('c'): missing 'm'");
  bad("layers:\n  - {name: c, n: 1, e: 7, p: 0, q: 1, r: 1, t: 2, m: 4}\n",
      "layers[0] ('c').p: expected a positive integer, got 0");
  bad("layers:\n  - {name: c, n: 1, e: x, p: 1, q: 1, r: 1, t: 2, m: 4}\n",
      "layers[0] ('c').e: expected a positive integer, got 'x'");
  bad("layers:\n  - {n: 1, e: 7, p: 1, q: 1, r: 1, t: 2, m: 4}\n", "expected exactly one of 'name'");
  bad("layers:\n  - {name: c, n: 1, e: 7, p: 1, q: 1, r: 1, t: 2, m: 4, z: 3}\n", "layers[0] ('c').z: unknown field");
  bad("layers:\n  - {name: c, n: 1, e: 7, p: 1, q: 1, r: 1, t: 2, m: 4}\n  - {name: c, n: 1, e: 7, p: 1, q: 1, r: 1, "
      "t: 2, m: 4}\n",
      "layer listed twice");
  bad("mappings: []\n", "mappings: unknown field");
  auto missing = loadMappingFile("/nonexistent/m.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == Exit::Input);

  // A fixed mapping that overflows fails the network evaluation, naming the file and the layer.
  auto over =
      parseMappingTable("layers:\n  - {name: conv3, n: 4, e: 13, p: 16, q: 5, r: 1, t: 4, m: 64}\n", "'m.yaml'");
  REQUIRE(over.ok());
  NetworkOptions opts;
  opts.mappings = &*over;
  auto net = evaluateNetwork(eyeriss(), testing::alexnetConvLayers(), opts);
  REQUIRE_FALSE(net.ok());
  CHECK(net.error().code() == Exit::Input);
  CHECK(net.error().message().find("mapping file 'm.yaml': invalid mapping for layer 'conv3'") != std::string::npos);
}

TEST_CASE("network JSON carries the contract's keys", "[energy][mapping][json]") {
  auto net = evaluateNetwork(eyeriss(), testing::alexnetConvLayers());
  REQUIRE(net.ok());
  nlohmann::json j = toJson(*net);
  REQUIRE(j["layers"].size() == 5);
  for (const auto& l : j["layers"]) {
    for (const char* key :
         {"name", "macs", "nonzero_macs", "active_pes", "energy", "energy_pj", "energy_by_level", "energy_by_type",
          "dram_bytes", "glb_bytes", "latency_cycles", "processing_cycles", "mapping"})
      CHECK(l.contains(key));
    for (const char* key : {"dram", "glb", "array", "rf", "mac"}) CHECK(l["energy_by_level"].contains(key));
    for (const char* key : {"ifmap", "ofmap", "weight", "computation"}) CHECK(l["energy_by_type"].contains(key));
    CHECK(l["mapping"]["source"] == "search");
  }
  for (const char* key :
       {"energy", "latency_cycles", "dram_bytes", "energy_pj", "processing_cycles", "fps", "latency_ms"})
    CHECK(j["total"].contains(key));
  double sum = 0;
  for (const auto& l : j["layers"]) sum += l["energy"].get<double>();
  CHECK(j["total"]["energy"].get<double>() == Approx(sum));
  CHECK(net->fps() == Approx(4 * 1000.0 / net->latency_ms()));
}

TEST_CASE("a mapping cache carries searches across network evaluations", "[energy][mapping][search]") {
  auto spec = eyeriss();
  auto layers = testing::alexnetConvLayers();
  layers.push_back(layers[4]);  // a repeated shape is searched once
  layers.back().name = "conv5_again";
  MappingCache cache;
  NetworkOptions opts;
  opts.cache = &cache;
  auto a = evaluateNetwork(spec, layers, opts);
  REQUIRE(a.ok());
  CHECK(cache.entries.size() == 5);
  auto b = evaluateNetwork(spec, layers, opts);
  REQUIRE(b.ok());
  CHECK(cache.entries.size() == 5);
  CHECK(toJson(*a).dump() == toJson(*b).dump());
  CHECK(toJson(*a).dump() == toJson(*evaluateNetwork(spec, layers)).dump());
  layers[2].ifmap.zero_fraction = 0.9;  // sparsity is part of the key
  REQUIRE(evaluateNetwork(spec, layers, opts).ok());
  CHECK(cache.entries.size() == 6);
  opts.objective = Objective::Latency;  // so is the objective
  REQUIRE(evaluateNetwork(spec, layers, opts).ok());
  CHECK(cache.entries.size() == 11);
}
