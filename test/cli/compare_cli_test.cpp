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
