// dnnc stats --snapea: SnaPEA exact-mode early termination on the bundled Fashion-MNIST models and the
// zoo's resnet18. Each covered layer's early-terminated output is checked against the executor's Relu
// (an independent computation: the Conv kernel in lib/exec), MAC totals against hand counts of the
// architecture, and the covered/uncovered split against the architecture in test/data/README.md.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

namespace {

json snapeaJson(const std::string& model, const std::vector<std::string>& data_args) {
  std::vector<std::string> args = {"stats", model, "--snapea", "--json", "--threads", "1"};
  args.insert(args.end(), data_args.begin(), data_args.end());
  auto r = runDnnc(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  REQUIRE(j.contains("snapea"));
  return j["snapea"];
}

std::vector<std::string> fashion(int limit) {
  return {"--data", testData("fashion_test_2000_images.npy"), "--scale", "1/255", "--mean", "0.2860", "--std", "0.3530",
          "--limit", std::to_string(limit)};
}

// Every covered layer reproduces the executor's Relu output: terminated outputs 0, the rest within the
// float summation-order tolerance; and the skip rate is real.
void checkExactAndSkipping(const json& s) {
  CHECK(s["mode"] == "exact");
  CHECK(s["exact"] == true);
  for (const auto& l : s["layers"]) {
    INFO(l.dump());
    CHECK(l["mismatches"] == 0);
    CHECK(l["negative_inputs"] == 0);
    CHECK(l["terminated_nonzero"] == 0);  // the executor gave exactly 0 wherever the sum stopped
    CHECK(l["max_abs_diff"].get<double>() < 1e-3);
    CHECK(l["skipped_macs"].get<int64_t>() <= l["negative_macs"].get<int64_t>());
    CHECK(l["terminated_outputs"].get<int64_t>() > 0);
  }
  CHECK(s["skipped_macs"].get<int64_t>() > 0);
  CHECK(s["skip_fraction"].get<double>() > 0);
  CHECK(s["skip_fraction"].get<double>() < 1);
}

std::string reasonOf(const json& s, const std::string& node) {
  for (const auto& u : s["uncovered"])
    if (u["node"] == node) return u["reason"];
  return "";
}

}  // namespace

TEST_CASE("stats --snapea on lenet5: conv2 is covered, exact, and skips MACs", "[snapea]") {
  const int samples = 200;
  json s = snapeaJson(testData("lenet5.onnx"), fashion(samples));
  checkExactAndSkipping(s);
  REQUIRE(s["layers"].size() == 1);
  const json& l = s["layers"][0];
  CHECK(l["node"] == "/conv2/Conv");
  CHECK(l["relu"] == "/relu2/Relu");
  // conv2: 50 filters of 20x5x5 over an 8x8 output (12x12 input, no padding).
  CHECK(l["outputs"] == int64_t{samples} * 50 * 8 * 8);
  CHECK(l["macs"] == int64_t{samples} * 50 * 8 * 8 * 20 * 5 * 5);
  // conv1 reads the normalised image, which has negative values.
  CHECK(reasonOf(s, "/conv1/Conv").find("graph input") != std::string::npos);
}

TEST_CASE("stats --snapea on rescnn: BN in the way until folded, then the Conv->Relu layers are exact", "[snapea]") {
  SECTION("unfolded, every Conv is followed by BatchNormalization and named as not covered") {
    json s = snapeaJson(testData("rescnn.onnx"), fashion(4));
    CHECK(s["layers"].empty());
    CHECK(s["uncovered"].size() == 6);
    CHECK(reasonOf(s, "/block1/a/conv/Conv").find("fold-bn") != std::string::npos);
  }
  SECTION("folded") {
    const std::string dir = scratchDir("snapea-rescnn"), folded = dir + "/folded.onnx";
    auto r = runDnnc({"run", testData("rescnn.onnx"), "-o", folded, "--passes", "fold-bn", "-q"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    json s = snapeaJson(folded, fashion(100));
    checkExactAndSkipping(s);
    std::vector<std::string> covered;
    for (const auto& l : s["layers"]) covered.push_back(l["node"]);
    // Conv -> Relu with a Relu/MaxPool input; the stem reads the image, the b convs feed an Add.
    CHECK(covered == std::vector<std::string>{"/block1/a/conv/Conv", "/down/conv/Conv", "/block2/a/conv/Conv"});
    CHECK(reasonOf(s, "/stem/conv/Conv").find("graph input") != std::string::npos);
    CHECK(reasonOf(s, "/block1/b/conv/Conv").find("Add") != std::string::npos);
    CHECK(reasonOf(s, "/block2/b/conv/Conv").find("Add") != std::string::npos);
  }
}

TEST_CASE("stats --snapea on the zoo's resnet18 after fold-bn is exact and skips MACs", "[snapea][zoo]") {
  const std::string zoo = std::string(DNNC_BINARY_DIR) + "/zoo/";
  if (!fileExists(zoo + "resnet18.onnx") || !fileExists(zoo + "resnet18.input.npy")) {
    WARN("skipping resnet18: no zoo at " << zoo << " (run tools/make_zoo.py)");
    return;
  }
  const std::string dir = scratchDir("snapea-resnet18"), folded = dir + "/folded.onnx";
  auto r = runDnnc({"run", zoo + "resnet18.onnx", "-o", folded, "--passes", "fold-bn", "-q"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json s = snapeaJson(folded, {"--data", zoo + "resnet18.input.npy", "--limit", "1"});
  checkExactAndSkipping(s);
  // The first conv of each of the 8 basic blocks feeds a Relu; conv1 reads the image, each block's
  // second conv and the downsample convs feed an Add.
  CHECK(s["layers"].size() == 8);
  CHECK(s["uncovered"].size() == 1 + 8 + 3);
}
