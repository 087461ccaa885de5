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
