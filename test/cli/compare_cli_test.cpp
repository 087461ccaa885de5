// dnnc compare: a model against itself is 1x everywhere; against a filter-pruned copy the MACs and params
// ratios equal those of `dnnc info` (an independent count).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

TEST_CASE("compare reports accuracy, sizes, MACs, energy and CPU latency before and after", "[compare]") {
  std::string dir = scratchDir("compare");
  auto prune = runDnnc({"run", testData("lenet5.onnx"), "-o", dir + "/p.onnx", "--passes", "prune-structured(sparsity=0.5)", "-q"});
  REQUIRE(prune.exit_code == 0);
  auto r = runDnnc({"compare", testData("lenet5.onnx"), dir + "/p.onnx", "--data", testData("fashion_test_2000_images.npy"),
                    "--labels", testData("fashion_test_2000_labels.npy"), "--limit", "200", "--scale", "1/255", "--mean",
                    "0.2860", "--std", "0.3530", "--threads", "1", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  auto info = [&](const std::string& path) {
    auto i = runDnnc({"info", path, "--json"});
    REQUIRE(i.exit_code == 0);
    return json::parse(i.out);
  };
  json a = info(testData("lenet5.onnx"))["model"], b = info(dir + "/p.onnx")["model"];
  CHECK(j["before"]["macs"] == a["macs"]);
  CHECK(j["after"]["macs"] == b["macs"]);
  CHECK(j["after"]["params"] == b["params"]);
  CHECK(j["after"]["energy_pj"].get<double>() < j["before"]["energy_pj"].get<double>());
  CHECK(j["before"]["top1"].get<double>() > 0.85);
  CHECK(j["after"]["cpu_latency_ms"].get<double>() > 0);
  auto missing = runDnnc({"compare", testData("lenet5.onnx"), dir + "/p.onnx"});
  CHECK(missing.exit_code == 2);
}

TEST_CASE("compare counts MACs at the data's shape for a model with symbolic H and W, or at --input-shape", "[compare]") {
  // Conv 3->4, 3x3, pad 1, on [N,3,H,W]: 4*3*9 MACs per output position; a ReduceMean head gives 4 outputs.
  std::string dir = scratchDir("compare_symbolic");
  std::string w;
  for (int i = 0; i < 108; ++i) w += (i ? ", " : "") + std::to_string(0.01 * (i % 13) - 0.06);
  auto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,H,W] x) => (float[N,4] y) <float[4,3,3,3] w = {)" + w + R"(}> {
  c = Conv <pads = [1, 1, 1, 1]> (x, w)
  y = ReduceMean <axes = [2, 3], keepdims = 0> (c)
})");
  writeBytes(dir + "/m.onnx", m.SerializeAsString());
  std::vector<float> data(5 * 3 * 8 * 6);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i % 17) / 17.0f;
  writeNpyFloat(dir + "/x.npy", data, {5, 3, 8, 6});
  auto macs = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"compare", dir + "/m.onnx", dir + "/m.onnx", "--data", dir + "/x.npy", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = runDnnc(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["before"]["macs"];
  };
  CHECK(macs({}) == 4 * 3 * 9 * 8 * 6);
  CHECK(macs({"--input-shape", "x=1,3,4,4"}) == 4 * 3 * 9 * 4 * 4);
}

namespace {

json energyJson(const std::vector<std::string>& args) {
  auto r = runDnnc(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

double techniqueEnergy(const json& list, const std::string& name) {
  for (const auto& t : list)
    if (t["technique"] == name) return t["energy"].is_null() ? -1.0 : t["energy"].get<double>();
  FAIL("no technique " << name);
  return 0;
}

}  // namespace

TEST_CASE("compare --techniques scores both models with each technique, as dnnc energy does with each on", "[compare]") {
  std::string dir = scratchDir("compare-techniques");
  // 64 test images (the energy runs read all of --data), and LeNet-5 pruned then shared at 4 bits.
  std::vector<int64_t> shape;
  std::vector<float> x = readNpyAsFloat(testData("fashion_test_2000_images.npy"), shape);
  shape[0] = 64;
  x.resize(size_t(64 * 28 * 28));
  writeNpyFloat(dir + "/x.npy", x, shape);
  REQUIRE(runDnnc({"run", testData("lenet5.onnx"), "-o", dir + "/small.onnx", "--passes",
                   "prune-magnitude(sparsity=0.8),share(bits=4)", "-q"}).exit_code == 0);
  const std::vector<std::string> pre = {"--data", dir + "/x.npy", "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), pre.begin(), pre.end());
    args.push_back("--json");
    return energyJson(args);
  };
  json j = with({"compare", testData("lenet5.onnx"), dir + "/small.onnx", "--techniques", "--threads", "1"});
  REQUIRE(j.contains("techniques"));
  for (const char* side : {"before", "after"}) {
    const std::string model = std::string(side) == "before" ? testData("lenet5.onnx") : dir + "/small.onnx";
    INFO(side);
    const json& t = j["techniques"][side];
    // Each figure equals dnnc energy's with that technique on, run on its own.
    CHECK(techniqueEnergy(t, "as given") == Approx(with({"energy", model})["total"]["energy"].get<double>()));
    writeBytes(dir + "/gated.yaml",
               "base: eyeriss\nzero_handling:\n  gate_weight_zeros: true\n"
               "  ifmap_zero_gates: [mac, filter_read, psum_read, psum_write]\n"
               "  weight_zero_gates: [mac, filter_read, psum_read, psum_write]\n");
    CHECK(techniqueEnergy(t, "zero gating") ==
          Approx(with({"energy", model, "--accel", dir + "/gated.yaml"})["total"]["energy"].get<double>()));
    json u = with({"energy", model, "--accel", "eyeriss-ucnn"});
    double ucnn = 0;
    for (const auto& l : u["layers"]) ucnn += l.contains("ucnn") ? l["ucnn"]["energy"].get<double>() : l["energy"].get<double>();
    CHECK(techniqueEnergy(t, "UCNN") == Approx(ucnn));
    // On the shared model too: the executor runs Gather(codebook, indices) once, at load, so SnaPEA
    // orders the shared weights as it does stored ones.
    CHECK(techniqueEnergy(t, "SnaPEA (exact)") == Approx(with({"energy", model, "--snapea"})["snapea"]["energy"].get<double>()));
    CHECK(techniqueEnergy(t, "delta coding") ==
          Approx(with({"energy", model, "--delta"})["delta"]["total"]["adaptive"]["energy"].get<double>()));
  }
  // What sharing buys only UCNN can use: on the shared model UCNN saves, on the float one it does not.
  CHECK(techniqueEnergy(j["techniques"]["after"], "UCNN") < techniqueEnergy(j["techniques"]["after"], "as given"));
  // A technique that does not apply says why: delta coding needs RLC, which eyeriss-sparse does not use.
  json s = with({"compare", testData("lenet5.onnx"), dir + "/small.onnx", "--techniques", "--accel", "eyeriss-sparse"});
  for (const auto& t : s["techniques"]["after"])
    if (t["technique"] == "delta coding") {
      CHECK(t["energy"].is_null());
      CHECK(t["note"].get<std::string>().find("RLC") != std::string::npos);
    }
  CHECK(techniqueEnergy(s["techniques"]["after"], "zero gating") == Approx(techniqueEnergy(s["techniques"]["after"], "as given")));
  auto text = runDnnc({"compare", testData("lenet5.onnx"), dir + "/small.onnx", "--techniques", "--data", dir + "/x.npy",
                       "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("energy on eyeriss with") != std::string::npos);
  CHECK(text.out.find("SnaPEA (exact)") != std::string::npos);
}
