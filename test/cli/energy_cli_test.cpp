// dnnc energy: the JSON contract on the bundled models, two-model ratios, --batch, --act-sparsity (flags and
// stats JSON), --data, the skip list, bad input, and JSSC 2017 Table V reproduced through the CLI on the
// Caffe AlexNet exported by tools/make_zoo.py (skipped with a warning when it was not exported).
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "lib/ir/graph.h"
#include "lib/ir/onnx_io.h"
#include "test/support/test_support.h"
#include "test/unit/energy/alexnet_fixture.h"

using namespace dnnc::test;
using nlohmann::json;

namespace {

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

json runJson(const std::vector<std::string>& args) {
  auto r = runDnnc(args);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

void requireCleanError(const CommandResult& r, int code, const std::string& needle) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == code);
  CHECK(r.err.rfind("dnnc: ", 0) == 0);
  CHECK(r.err.find(needle) != std::string::npos);
  CHECK(lines(r.err) <= 2);
  if (lines(r.err) == 2) CHECK(r.err.find("\nhint: ") != std::string::npos);
  CHECK(r.out.empty());
}

// lenet5 with every other weight of conv2 and fc1 set to zero.
std::string prunedLenet5(const std::string& dir) {
  auto model = dnnc::loadModel(testData("lenet5.onnx"));
  REQUIRE(model.ok());
  dnnc::Graph g(model->graph(), ".");
  for (dnnc::NodeId id : g.nodes()) {
    const auto& n = g.node(id);
    if (n.name() != "/conv2/Conv" && n.name() != "/fc1/Gemm") continue;
    auto w = g.readWeight(n.input(1));
    REQUIRE(w.ok());
    auto v = w->span<float>();
    for (size_t i = 0; i < v.size(); i += 2) v[i] = 0.0f;
    g.setWeight(n.input(1), *w);
  }
  std::string path = dir + "/lenet5_pruned.onnx";
  REQUIRE(dnnc::saveModel(*model, path).ok());
  return path;
}

}  // namespace

TEST_CASE("energy --json has the documented keys on the bundled models") {
  for (const char* name : {"lenet5.onnx", "rescnn.onnx", "lenet300.onnx"}) {
    if (!fileExists(testData(name))) continue;
    INFO(name);
    json j = runJson({"energy", testData(name), "--json"});
    CHECK(j["command"] == "energy");
    CHECK(j["inputs"][0]["sha256"].get<std::string>().size() == 64);
    CHECK(j["accelerator"] == "eyeriss");
    CHECK(j["batch"] == 1);
    REQUIRE(j["layers"].size() > 0);
    CHECK(j["skipped"].empty());
    double energy = 0, latency = 0, dram = 0;
    for (const auto& l : j["layers"]) {
      for (const char* key : {"name", "node", "op", "macs", "nonzero_macs", "active_pes", "utilization", "energy",
                              "energy_pj", "energy_by_level", "energy_by_type", "dram_bytes", "glb_bytes",
                              "latency_cycles", "processing_cycles", "mapping", "share", "weight_zero_fraction"})
        CHECK(l.contains(key));
      for (const char* level : {"dram", "glb", "array", "rf", "mac"}) CHECK(l["energy_by_level"].contains(level));
      for (const char* type : {"ifmap", "ofmap", "weight", "computation"}) CHECK(l["energy_by_type"].contains(type));
      CHECK(l["energy"].get<double>() > 0);
      CHECK(l["energy_pj"].get<double>() > 0);
      CHECK(l["latency_cycles"].get<double>() >= l["processing_cycles"].get<double>());
      CHECK(l["mapping"]["source"] == "search");
      energy += l["energy"].get<double>();
      latency += l["latency_cycles"].get<double>();
      dram += l["dram_bytes"].get<double>();
    }
    CHECK(j["layers"][0]["first_layer"] == true);
    CHECK(j["total"]["energy"].get<double>() == Approx(energy));
    CHECK(j["total"]["latency_cycles"].get<double>() == Approx(latency));
    CHECK(j["total"]["dram_bytes"].get<double>() == Approx(dram));
  }
  json lenet = runJson({"energy", testData("lenet5.onnx"), "--json"});
  std::vector<std::string> names;
  for (const auto& l : lenet["layers"]) names.push_back(l["name"]);
  CHECK(names == std::vector<std::string>{"conv1", "conv2", "fc1", "fc2"});
  CHECK(lenet["total"]["macs"] == 2293000);
}

TEST_CASE("energy prints the per-layer tables and is deterministic") {
  auto r = runDnnc({"energy", testData("lenet5.onnx")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* s : {"conv1", "fc2", "total", "where the MACs", "energy by level", "n=1", "latency"})
    CHECK(r.out.find(s) != std::string::npos);
  CHECK(r.err.empty());
  auto a = runDnnc({"energy", testData("rescnn.onnx"), "--json"});
  auto b = runDnnc({"energy", testData("rescnn.onnx"), "--json"});
  CHECK(a.out == b.out);
}

TEST_CASE("energy with two models reports model2/model1; a model against itself gives 1") {
  json j = runJson({"energy", testData("lenet5.onnx"), testData("lenet5.onnx"), "--json"});
  for (const char* key : {"energy", "latency_cycles", "dram_bytes", "processing_cycles"})
    CHECK(j["ratios"][key].get<double>() == 1.0);
  CHECK(j["model2"]["layers"].size() == j["layers"].size());
  REQUIRE(j["ratios"]["layers"].size() == 4);
  for (const auto& l : j["ratios"]["layers"]) CHECK(l["energy"].get<double>() == 1.0);
  auto text = runDnnc({"energy", testData("lenet5.onnx"), testData("lenet5.onnx")});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("model2/model1") != std::string::npos);
  CHECK(text.out.find("1.000") != std::string::npos);
}

TEST_CASE("energy reads weight zeros from the weights: pruning shows on a weight-gating accelerator") {
  std::string pruned = prunedLenet5(scratchDir("energy-pruned"));
  json j = runJson({"energy", testData("lenet5.onnx"), pruned, "--accel", "eyeriss-sparse", "--json"});
  const auto& l2 = j["model2"]["layers"];
  CHECK(l2[1]["weight_zero_fraction"].get<double>() == Approx(0.5));
  CHECK(l2[2]["weight_zero_fraction"].get<double>() == Approx(0.5));
  CHECK(l2[0]["weight_zero_fraction"].get<double>() == 0.0);
  CHECK(l2[1]["nonzero_weights"].get<int64_t>() * 2 == l2[1]["weights"].get<int64_t>());
  CHECK(j["ratios"]["nonzero_macs"].get<double>() < 1.0);
  CHECK(j["ratios"]["energy"].get<double>() < 1.0);
  CHECK(j["ratios"]["macs"].get<double>() == 1.0);
}

TEST_CASE("energy --batch replaces the symbolic batch") {
  json j = runJson({"energy", testData("lenet5.onnx"), "--batch", "4", "--json"});
  CHECK(j["batch"] == 4);
  CHECK(j["total"]["macs"] == 4 * 2293000);
  CHECK(j["layers"][2]["shape"]["N"] == 4);
}

TEST_CASE("energy --act-sparsity from flags and from a stats JSON; --no-rlc is dense") {
  json j = runJson({"energy", testData("lenet5.onnx"), "--act-sparsity", "conv2=0.5,fc1=40%,*=0.3", "--json"});
  const auto& L = j["layers"];
  CHECK(L[0]["ifmap_zero_fraction"] == 0.0);  // the network input: '*' leaves it alone
  CHECK(L[1]["ifmap_zero_fraction"] == 0.5);
  CHECK(L[2]["ifmap_zero_fraction"].get<double>() == Approx(0.4));
  CHECK(L[3]["ifmap_zero_fraction"].get<double>() == Approx(0.3));
  CHECK(L[0]["ofmap_zero_fraction"] == 0.5);  // conv1 writes what conv2 reads
  CHECK(L[1]["nonzero_macs"].get<double>() < L[1]["macs"].get<double>());
  CHECK(j["total"]["dram_bytes"].get<double>() < j["total"]["dram_bytes_dense"].get<double>());

  json dense = runJson({"energy", testData("lenet5.onnx"), "--act-sparsity", "conv2=0.5", "--no-rlc", "--json"});
  CHECK(dense["compression"] == false);
  CHECK(dense["total"]["dram_bytes"].get<double>() == dense["total"]["dram_bytes_dense"].get<double>());

  std::string dir = scratchDir("energy-stats");
  json stats = {{"activations",
                 {{{"node", "/conv2/Conv"}, {"input", 0}, {"count", 1000}, {"zeros", 600},
                   {"zero_runs", {{"counts", {100, 50, 20, 10}}}}}}}};
  // 100 + 100 + 60 + 340 zeros in the runs of >= 4: consistent
  writeBytes(dir + "/stats.json", stats.dump());
  json s = runJson({"energy", testData("lenet5.onnx"), "--act-sparsity", dir + "/stats.json", "--json"});
  CHECK(s["layers"][1]["ifmap_zero_fraction"].get<double>() == Approx(0.6));
  CHECK(s["layers"][1]["ifmap_zero_runs_measured"] == true);
  CHECK(s["inputs"].size() == 2);  // the model and the stats file
}

TEST_CASE("energy --data measures zero runs by running the model") {
  std::vector<int64_t> shape;
  std::vector<float> images = fashionImages(16, shape);
  std::string dir = scratchDir("energy-data");
  writeNpyFloat(dir + "/x.npy", images, shape);
  json j = runJson({"energy", testData("lenet5.onnx"), "--data", dir + "/x.npy", "--json"});
  CHECK(j["data"] == dir + "/x.npy");
  for (size_t i = 1; i < 4; ++i) {
    const auto& l = j["layers"][i];
    INFO(l["name"]);
    CHECK(l["ifmap_zero_runs_measured"] == true);
    CHECK(l["ifmap_zero_fraction"].get<double>() > 0.05);  // after ReLU
    CHECK(l["ifmap_zero_fraction"].get<double>() < 0.95);
  }
  CHECK(j["layers"][0]["ofmap_zero_fraction"] == j["layers"][1]["ifmap_zero_fraction"]);
}

TEST_CASE("energy refuses to leave layers out of its totals unless --allow-partial, which still names them") {
  std::string dir = scratchDir("energy-skip");
  writeBytes(dir + "/m.onnx", modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[1,2,8,8] x) => (float[1,3,8,8] y, float[1,2,17,17] z) <float[3,2,3,3] w = {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}, float[2,2,3,3] wt = {1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}> {
      y = Conv <pads = [1, 1, 1, 1]> (x, w)
      z = ConvTranspose <strides = [2, 2]> (x, wt)
    })").SerializeAsString());
  requireCleanError(runDnnc({"energy", dir + "/m.onnx"}), 3, "1 of 2 cannot be modelled: z (ConvTranspose)");
  json j = runJson({"energy", dir + "/m.onnx", "--json", "--allow-partial"});
  REQUIRE(j["layers"].size() == 1);
  REQUIRE(j["skipped"].size() == 1);
  CHECK(j["skipped"][0]["op"] == "ConvTranspose");
  CHECK(j["skipped"][0]["reason"].get<std::string>().find("transposed") != std::string::npos);
  auto text = runDnnc({"energy", dir + "/m.onnx", "--allow-partial"});
  CHECK(text.out.find("skipped (not in the totals): 1 node") != std::string::npos);

  // A 13x13 filter is taller than Eyeriss's 12 PE rows: no mapping fits; the other layer is still scored.
  std::string ones;
  for (int i = 0; i < 169; ++i) ones += i ? ",1" : "1";
  writeBytes(dir + "/tall.onnx", modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[1,1,16,16] x) => (float[1,1,4,4] y, float[1,1,16,16] z) <float[1,1,13,13] w = {)" + ones +
                                               R"(}, float[1,1,1,1] v = {2}> {
      y = Conv (x, w)
      z = Conv (x, v)
    })").SerializeAsString());
  requireCleanError(runDnnc({"energy", dir + "/tall.onnx"}), 3, "y (Conv): no row-stationary mapping");
  json t = runJson({"energy", dir + "/tall.onnx", "--json", "--allow-partial"});
  REQUIRE(t["layers"].size() == 1);
  CHECK(t["layers"][0]["name"] == "z");
  REQUIRE(t["skipped"].size() == 1);
  CHECK(t["skipped"][0]["name"] == "y");
  CHECK(t["skipped"][0]["reason"].get<std::string>().find("no row-stationary mapping") != std::string::npos);
  // A model without layers is scored as empty, not an error.
  writeBytes(dir + "/none.onnx", modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[1,4] x) => (float[1,4] y) { y = Relu (x) })").SerializeAsString());
  json none = runJson({"energy", dir + "/none.onnx", "--json"});
  CHECK(none["layers"].empty());
  CHECK(none["total"]["energy"] == 0.0);
  CHECK(runDnnc({"energy", dir + "/none.onnx"}).exit_code == 0);
}

TEST_CASE("energy takes the activation statistics of `dnnc stats --json`") {
  std::string dir = scratchDir("energy-stats-cmd");
  std::vector<int64_t> shape;
  std::vector<float> images = fashionImages(16, shape);
  writeNpyFloat(dir + "/x.npy", images, shape);
  auto stats = runDnnc({"stats", testData("lenet5.onnx"), "--data", dir + "/x.npy", "--json", dir + "/stats.json"});
  INFO("dnnc stats: " << stats.err);
  REQUIRE(stats.exit_code == 0);
  json from_stats = runJson({"energy", testData("lenet5.onnx"), "--act-sparsity", dir + "/stats.json", "--json"});
  json measured = runJson({"energy", testData("lenet5.onnx"), "--data", dir + "/x.npy", "--json"});
  for (size_t i = 0; i < 4; ++i) {
    INFO(i);
    CHECK(from_stats["layers"][i]["ifmap_zero_fraction"] == measured["layers"][i]["ifmap_zero_fraction"]);
  }
  // --max-run 64 (stats) against 1024 (--data): only runs of 64 or more zeros are spread, a small difference
  CHECK(from_stats["total"]["dram_bytes"].get<double>() ==
        Approx(measured["total"]["dram_bytes"].get<double>()).epsilon(0.01));
}

TEST_CASE("energy --dump-accel prints the resolved spec") {
  auto r = runDnnc({"energy", "--dump-accel"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("word_bits: 16  # given") != std::string::npos);
  CHECK(r.out.find("(derived)") != std::string::npos);
  auto e = runDnnc({"energy", "--dump-accel", "--accel", "edge-8bit"});
  REQUIRE(e.exit_code == 0);
  CHECK(e.out.find("edge-8bit") != std::string::npos);
}

TEST_CASE("energy: bad input gets one line and the right exit code") {
  std::string dir = scratchDir("energy-bad");
  std::string lenet = testData("lenet5.onnx");
  auto spec = runDnnc({"energy", "--dump-accel"}).out;
  std::string bad_spec = spec;
  bad_spec.replace(bad_spec.find("word_bits: 16"), 13, "word_bits: sixteen");
  writeBytes(dir + "/bad.yaml", bad_spec);
  writeBytes(dir + "/badmap.yaml", "layers:\n  - {name: conv1, n: 1, e: 7}\n");
  writeBytes(dir + "/unknown.yaml", "layers:\n  - {name: conv9, n: 1, e: 1, p: 1, q: 1, r: 1, t: 1, m: 1}\n");
  writeBytes(dir + "/overflow.yaml", "layers:\n  - {name: conv2, n: 1, e: 8, p: 50, q: 20, r: 1, t: 1, m: 50}\n");
  writeBytes(dir + "/stats.json", R"({"activations": [{"node": "/conv7/Conv", "count": 10, "zeros": 5}]})");
  writeBytes(dir + "/junk.json", "{");
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string needle;
  };
  std::vector<Case> cases = {
      {{"--accel", "nope"}, 3, "no such preset"},
      {{"--accel", dir + "/bad.yaml"}, 3, "word_bits"},
      {{"--mapping", dir + "/badmap.yaml"}, 3, "missing 'p'"},
      {{"--mapping", dir + "/unknown.yaml"}, 3, "no layer 'conv9'"},
      {{"--mapping", dir + "/overflow.yaml"}, 3, "invalid mapping for layer 'conv2'"},
      {{"--mapping", dir + "/missing.yaml"}, 3, "cannot load mapping file"},
      {{"--act-sparsity", "conv9=0.5"}, 3, "no layer 'conv9'"},
      {{"--act-sparsity", dir + "/stats.json"}, 3, "no layer '/conv7/Conv'"},
      {{"--act-sparsity", dir + "/junk.json"}, 3, "not JSON"},
      {{"--act-sparsity", "conv1=2"}, 2, "zero fraction"},
      {{"--act-sparsity", "conv1"}, 2, "expected LAYER=FRACTION"},
      {{"--objective", "speed"}, 2, "unknown objective"},
      {{"--batch", "0"}, 2, "--batch"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"energy", lenet};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--json", dir + "/out.json"});
    INFO(c.args[0] << " " << c.args[1]);
    requireCleanError(runDnnc(args), c.code, c.needle);
    CHECK_FALSE(fileExists(dir + "/out.json"));
  }
  requireCleanError(runDnnc({"energy"}), 2, "no model");
  requireCleanError(runDnnc({"energy", dir + "/missing.onnx"}), 3, "missing.onnx");
  requireCleanError(runDnnc({"energy", lenet, lenet, lenet}), 2, "energy");
  CHECK(filesContaining(dir, ".tmp.").empty());
}

TEST_CASE("energy reproduces the library's JSSC 2017 Table V validation on the exported Caffe AlexNet") {
  using namespace dnnc::energy;
  std::string path = std::string(DNNC_BINARY_DIR) + "/zoo/caffe_alexnet.onnx";
  if (!fileExists(path)) {
    WARN("skipping: no " << path << "; run /usr/bin/python3 tools/make_zoo.py --out " << DNNC_BINARY_DIR
                         << "/zoo caffe_alexnet (needs python3-torch)");
    return;
  }
  auto spec = loadAcceleratorSpec("eyeriss");
  REQUIRE(spec.ok());
  const auto fixture = testing::alexnetConvLayers();
  const auto chip_mapping = testing::eyerissAlexnetMapping();
  // JSSC 2017 Table V, with the tolerances of issue 6 (per layer, total).
  const std::array<double, 5> dram_dense = {6.05, 5.42, 5.06, 3.92, 2.60}, dram_rlc = {5.0, 4.0, 3.0, 2.1, 1.3};
  for (bool rlc : {true, false}) {
    std::vector<std::string> args = {"energy", path, "--accel", "eyeriss", "--batch", "4", "--mapping",
                                     std::string(DNNC_SOURCE_DIR) + "/docs/examples/eyeriss-alexnet-mapping.yaml",
                                     "--act-sparsity", "conv1=0.0001,conv2=0.387,conv3=0.725,conv4=0.793,conv5=0.776",
                                     "--json"};
    if (!rlc) args.push_back("--no-rlc");
    json j = runJson(args);
    REQUIRE(j["layers"].size() == 8);  // conv1-5, fc6-8
    CHECK(j["skipped"].empty());
    double dram_total = 0;
    for (size_t i = 0; i < 5; ++i) {
      auto want = evaluate(*spec, fixture[i], chip_mapping[i], EvalOptions{rlc});
      REQUIRE(want.ok());
      const json& l = j["layers"][i];
      INFO(fixture[i].name << (rlc ? " with RLC" : " dense"));
      CHECK(l["name"] == fixture[i].name);
      CHECK(l["mapping"]["source"] == "file");
      CHECK(l["active_pes"] == want->active_pes);
      CHECK(l["ofmap_zero_fraction"].get<double>() == Approx(fixture[i].ofmap.zero_fraction));
      struct Key {
        const char* key;
        double value;
      };
      for (Key k : {Key{"macs", want->macs}, Key{"nonzero_macs", want->nonzero_macs},
                    Key{"energy", want->energy.total()}, Key{"energy_pj", want->energy_pj.total()},
                    Key{"dram_bytes", want->dramBytes()}, Key{"glb_bytes", want->glb_bytes},
                    Key{"glb_fmap_bytes", want->glb_fmap_bytes}, Key{"processing_cycles", want->processing_cycles},
                    Key{"latency_cycles", want->latency_cycles}}) {
        INFO(k.key);
        CHECK(l[k.key].get<double>() == Approx(k.value).epsilon(1e-12));
      }
      const double mb = l["dram_bytes"].get<double>() / 1e6, chip = rlc ? dram_rlc[i] : dram_dense[i];
      CHECK(std::abs(mb - chip) <= (rlc ? 0.15 : 0.10) * chip);
      dram_total += mb;
    }
    const double chip_total = rlc ? 15.4 : 23.05;
    CHECK(std::abs(dram_total - chip_total) <= 0.05 * chip_total);
  }
}

TEST_CASE("energy scores a shared model (Gather(codebook, indices)) as its gathered weights, with UCNN counts") {
  const std::string dir = scratchDir("energy-shared");
  const std::string gathered = dir + "/shared.onnx", plain = dir + "/materialized.onnx";
  REQUIRE(runDnnc({"share", testData("lenet5.onnx"), "--bits", "3", "-o", gathered, "-q"}).exit_code == 0);
  REQUIRE(runDnnc({"share", testData("lenet5.onnx"), "--bits", "3", "--materialize", "-o", plain, "-q"}).exit_code ==
          0);
  // Same weights, two encodings: the same layers, energies and UCNN counts.
  json a = runJson({"energy", gathered, "--accel", "eyeriss-ucnn", "--json"});
  json b = runJson({"energy", plain, "--accel", "eyeriss-ucnn", "--json"});
  CHECK(a["skipped"].empty());
  REQUIRE(a["layers"].size() == 4);
  REQUIRE(b["layers"].size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    const json &x = a["layers"][i], &y = b["layers"][i];
    INFO(x["name"]);
    CHECK(x["nonzero_weights"] == y["nonzero_weights"]);
    CHECK(x["energy"].get<double>() == Approx(y["energy"].get<double>()).epsilon(1e-12));
    for (const char* k : {"unique_weights", "multiplies", "additions", "input_reads", "energy", "energy_dense"})
      CHECK(x["ucnn"][k] == y["ucnn"][k]);
    CHECK(x["ucnn"]["unique_weights"].get<int>() <= 8);  // 3-bit codebooks
    CHECK(x["ucnn"]["multiplies"].get<double>() < x["macs"].get<double>());
    CHECK(x["ucnn"]["energy"].get<double>() < x["ucnn"]["energy_gated"].get<double>());
  }
  // The default preset scores it too (before, its Gemm layers were refused as products of two activations).
  json e = runJson({"energy", gathered, "--json"});
  CHECK(e["skipped"].empty());
  CHECK_FALSE(e["layers"][0].contains("ucnn"));  // only an accelerator with UCNN support reports it
  auto text = runDnnc({"energy", gathered, "--accel", "eyeriss-ucnn"});
  CHECK(text.out.find("UCNN (Hegde et al., ISCA 2018)") != std::string::npos);
  // Not a silent answer: each layer says its weights are stored as indices and counted as values.
  for (size_t i = 0; i < 4; ++i) {
    CHECK(a["layers"][i].value("weights_expanded_by", "") == "Gather");
    CHECK_FALSE(b["layers"][i].contains("weights_expanded_by"));
  }
  CHECK(text.out.find("data stored narrower than the 16-bit word: conv1: weights 3 bits (Gather)") != std::string::npos);
  auto quantized = dir + "/quantized.onnx";
  REQUIRE(runDnnc({"quantize", testData("lenet5.onnx"), "-o", quantized, "-q"}).exit_code == 0);
  json q = runJson({"energy", quantized, "--json"});
  REQUIRE(q["layers"].size() == 4);
  CHECK(q["layers"][0].value("weights_expanded_by", "") == "DequantizeLinear");
}

TEST_CASE("energy counts codebook indices and INT8 weights at their stored width on the levels narrow_data lists") {
  const std::string dir = scratchDir("energy-narrow");
  const std::string gathered = dir + "/shared.onnx", plain = dir + "/materialized.onnx", q8 = dir + "/q8.onnx";
  REQUIRE(runDnnc({"share", testData("lenet5.onnx"), "--bits", "4", "-o", gathered, "-q"}).exit_code == 0);
  REQUIRE(runDnnc({"share", testData("lenet5.onnx"), "--bits", "4", "--materialize", "-o", plain, "-q"}).exit_code == 0);
  REQUIRE(runDnnc({"quantize", testData("lenet5.onnx"), "-o", q8, "-q"}).exit_code == 0);
  // Eyeriss (no weight compression in DRAM) with narrow data moved at its width through DRAM and the GLB.
  const std::string spec = dir + "/narrow.yaml";
  writeBytes(spec, "base: eyeriss\nname: eyeriss-narrow\nnarrow_data: {levels: [dram, glb]}\n");
  json words = runJson({"energy", testData("lenet5.onnx"), "--accel", spec, "--json"});
  json shared = runJson({"energy", gathered, "--accel", spec, "--json"});
  json materialized = runJson({"energy", plain, "--accel", spec, "--json"});
  json quantized = runJson({"energy", q8, "--accel", spec, "--json"});
  json chip = runJson({"energy", gathered, "--accel", "eyeriss", "--json"});
  REQUIRE(words["layers"].size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    INFO(words["layers"][i]["name"]);
    CHECK_FALSE(words["layers"][i].contains("weight_bits"));  // float weights: words
    CHECK(shared["layers"][i]["weight_bits"] == 4);            // a 16-entry codebook
    const int m = materialized["layers"][i]["weight_bits"].get<int>();  // the values it holds, at most 16
    CHECK(m >= 1);
    CHECK(m <= 4);
    CHECK(quantized["layers"][i]["weight_bits"] == 8);
    // The same mapping moves the same words; DRAM carries them at 4 and 8 of 16 bits.
    const double w = words["layers"][i]["dram_bytes_by_type"]["weight"].get<double>();
    CHECK(shared["layers"][i]["dram_bytes_by_type"]["weight"].get<double>() == Approx(w / 4));
    CHECK(quantized["layers"][i]["dram_bytes_by_type"]["weight"].get<double>() == Approx(w / 2));
    // Outputs are words either way.
    CHECK(shared["layers"][i]["dram_bytes_by_type"]["ofmap"].get<double>() ==
          Approx(words["layers"][i]["dram_bytes_by_type"]["ofmap"].get<double>()));
    // The chip's preset lists no narrow levels: its published counts stay.
    CHECK(chip["layers"][i]["dram_bytes_by_type"]["weight"].get<double>() ==
          Approx(runJson({"energy", testData("lenet5.onnx"), "--json"})["layers"][i]["dram_bytes_by_type"]["weight"].get<double>()));
  }
  CHECK(shared["total"]["energy"].get<double>() < chip["total"]["energy"].get<double>());
  CHECK(shared["total"]["energy_by_type"]["weight"].get<double>() <
        chip["total"]["energy_by_type"]["weight"].get<double>());
  // Said by name, in the text.
  auto text = runDnnc({"energy", gathered, "--accel", spec});
  CHECK(text.out.find("conv1: weights 4 bits (Gather)") != std::string::npos);
  CHECK(text.out.find("counted at that width on dram, glb (narrow_data)") != std::string::npos);
  auto as_words = runDnnc({"energy", gathered});
  CHECK(as_words.out.find("counted as words (this accelerator lists no narrow_data levels") != std::string::npos);
}
