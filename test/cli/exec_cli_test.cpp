// infer, eval and stats on the bundled models, checked against independent references: the accuracies
// recorded by the PyTorch training script (test/data/README.md), ONNX Runtime's outputs, and zero counts
// taken straight from the data file.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "lib/exec/npy.h"
#include "test/support/test_support.h"

using namespace dnnc::test;
using nlohmann::json;

namespace {

const std::vector<std::string> kPreprocess = {"--scale", "1/255", "--mean", "0.2860", "--std", "0.3530"};

std::vector<std::string> withPreprocess(std::vector<std::string> args) {
  args.insert(args.end(), kPreprocess.begin(), kPreprocess.end());
  args.insert(args.end(), {"--threads", "1"});
  return args;
}

json runJson(const std::vector<std::string>& args) {
  auto r = runDnnc(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("eval reproduces the recorded accuracies of the bundled models", "[exec-cli]") {
  // test/data/README.md: top-1 on the first 2,000 test images, from the PyTorch module.
  const std::pair<const char*, int> recorded[] = {{"lenet300.onnx", 1821}, {"lenet5.onnx", 1848}, {"rescnn.onnx", 1867}};
  for (const auto& [model, correct] : recorded) {
    INFO(model);
    json j = runJson(withPreprocess({"eval", testData(model), "--data", testData("fashion_test_2000_images.npy"),
                                     "--labels", testData("fashion_test_2000_labels.npy"), "--json"}));
    CHECK(j["samples"] == 2000);
    CHECK(std::abs(j["top1"].get<double>() - correct / 2000.0) <= 0.0005);
    CHECK(j["top5"].get<double>() >= j["top1"].get<double>());
    CHECK(j["top5"].get<double>() <= 1.0);
  }
}

TEST_CASE("eval --reference reports fidelity: a BN-folded model against the original", "[exec-cli]") {
  std::string dir = scratchDir("eval-ref");
  auto fold = runDnnc({"run", testData("rescnn.onnx"), "-o", dir + "/folded.onnx", "--passes", "fold-bn", "-q"});
  REQUIRE(fold.exit_code == 0);
  json j = runJson(withPreprocess({"eval", dir + "/folded.onnx", "--reference", testData("rescnn.onnx"), "--data",
                                   testData("fashion_test_2000_images.npy"), "--limit", "256", "--json"}));
  CHECK(j["samples"] == 256);
  for (const char* key : {"agreement", "max_abs_diff", "mean_abs_diff", "sqnr_db"}) CHECK(j.contains(key));
  CHECK(j["agreement"].get<double>() >= 0.99);
  // The executor folds BatchNormalization into the Conv as fold-bn does, so the two agree to rounding
  // (exactly, today: SQNR is then infinite, reported as null).
  CHECK(j["max_abs_diff"].get<double>() < 1e-4);
  CHECK(j["mean_abs_diff"].get<double>() <= j["max_abs_diff"].get<double>());
  CHECK((j["sqnr_db"].is_null() || j["sqnr_db"].get<double>() > 80.0));

  // A model that really differs: weights shared on 8-bit codebooks (256 values per layer).
  auto share = runDnnc({"run", testData("rescnn.onnx"), "-o", dir + "/shared.onnx", "--passes", "share(bits=8)", "-q"});
  REQUIRE(share.exit_code == 0);
  json s = runJson(withPreprocess({"eval", dir + "/shared.onnx", "--reference", testData("rescnn.onnx"), "--data",
                                   testData("fashion_test_2000_images.npy"), "--limit", "256", "--json"}));
  CHECK(s["agreement"].get<double>() >= 0.98);
  CHECK(s["max_abs_diff"].get<double>() > 1e-3);
  CHECK(s["mean_abs_diff"].get<double>() > 0.0);
  CHECK(s["mean_abs_diff"].get<double>() < s["max_abs_diff"].get<double>());
  CHECK(s["sqnr_db"].get<double>() > 20.0);
  CHECK(s["sqnr_db"].get<double>() < 80.0);
}

TEST_CASE("infer writes graph outputs and intermediates as .npz; the logits match ONNX Runtime", "[exec-cli]") {
  std::string dir = scratchDir("infer");
  auto r = runDnnc(withPreprocess({"infer", testData("lenet5.onnx"), "--data", testData("fashion_test_2000_images.npy"),
                                   "--limit", "40", "--batch", "16", "-o", dir + "/out.npz", "--outputs",
                                   "logits,/relu1/Relu_output_0", "-q"}));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto arrays = dnnc::readNpz(dir + "/out.npz");
  REQUIRE(arrays.ok());
  REQUIRE(arrays->size() == 2);
  const auto& logits = (*arrays)[0].second;
  const auto& relu = (*arrays)[1].second;
  CHECK(logits.dims() == std::vector<int64_t>{40, 10});
  CHECK(relu.dims() == std::vector<int64_t>{40, 20, 24, 24});
  auto relu_values = relu.toFloats();
  CHECK(*std::min_element(relu_values.begin(), relu_values.end()) == 0.0f);

  if (ortRunner().empty()) {
    WARN("ONNX Runtime not installed: skipping the comparison of infer's logits");
    return;
  }
  std::vector<int64_t> shape;
  std::vector<float> images = fashionImages(40, shape);
  auto ort = runOrt(testData("lenet5.onnx"), {images}, {shape});
  INFO(ort.error);
  REQUIRE(ort.ok);
  auto ours = logits.toFloats();
  REQUIRE(ours.size() == ort.values[0].size());
  double scale = 0, worst = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    scale = std::max(scale, std::abs(double(ort.values[0][i])));
    worst = std::max(worst, std::abs(double(ours[i]) - ort.values[0][i]));
  }
  CHECK(worst <= 1e-4 * scale);
}

TEST_CASE("stats counts the zeros of each layer input as the data holds them", "[exec-cli]") {
  // LeNet-300-100's first Gemm reads the raw pixels (no preprocessing): count the zero pixels directly.
  std::vector<int64_t> shape;
  std::vector<float> pixels = readNpyAsFloat(testData("fashion_test_2000_images.npy"), shape);
  const size_t n = 300 * 784;
  size_t zeros = std::count(pixels.begin(), pixels.begin() + n, 0.0f);
  auto r = runDnnc({"stats", testData("lenet300.onnx"), "--data", testData("fashion_test_2000_images.npy"), "--limit",
                    "300", "--threads", "1", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  REQUIRE(j["activations"].size() == 3);  // the inputs of the three Gemms
  const json& first = j["activations"][0];
  CHECK(first["op"] == "Gemm");
  CHECK(first["count"] == n);
  CHECK(std::abs(first["zero_fraction"].get<double>() - double(zeros) / n) < 1e-12);
  CHECK(first["min"] == 0.0);
  CHECK(first["max"] == *std::max_element(pixels.begin(), pixels.begin() + n));
  // Later inputs follow a Relu: zeros appear there too.
  CHECK(j["activations"][1]["zero_fraction"].get<double>() > 0.0);
  CHECK(j["activations"][1]["min"] == 0.0);
}

TEST_CASE("infer, eval and stats reject data that does not fit the model", "[exec-cli]") {
  std::string dir = scratchDir("exec-bad");
  auto labels = runDnnc({"eval", testData("lenet5.onnx"), "--data", testData("fashion_test_2000_labels.npy"), "--labels",
                         testData("fashion_test_2000_labels.npy")});
  CHECK(labels.exit_code == 3);
  CHECK(labels.err.find("dnnc: eval:") != std::string::npos);
  auto missing = runDnnc({"stats", testData("lenet5.onnx"), "--data", dir + "/nope.npy"});
  CHECK(missing.exit_code == 3);
  auto out = runDnnc({"infer", testData("lenet5.onnx"), "--data", testData("fashion_test_2000_images.npy"), "--limit",
                      "4", "-o", dir + "/x.npz", "--outputs", "no_such_value"});
  CHECK(out.exit_code != 0);
  CHECK(out.exit_code < 100);
  CHECK(filesContaining(dir, ".npz").empty());
}

TEST_CASE("infer refuses a model with an op the executor lacks: one line naming op and node, exit 3", "[exec-cli]") {
  std::string dir = scratchDir("exec-unsupported");
  onnx::ModelProto m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,3] X) => (float[N] Y) {
  Y = Det (X)
})");
  m.mutable_graph()->mutable_node(0)->set_name("the_det");
  writeBytes(dir + "/det.onnx", m.SerializeAsString());
  writeNpyFloat(dir + "/x.npy", std::vector<float>(2 * 9, 1.0f), {2, 3, 3});
  auto r = runDnnc({"infer", dir + "/det.onnx", "--data", dir + "/x.npy", "-o", dir + "/y.npz"});
  CHECK(r.exit_code == 3);
  const std::string first = r.err.substr(0, r.err.find('\n'));
  CHECK(first.find("Det") != std::string::npos);
  CHECK(first.find("the_det") != std::string::npos);
  CHECK(filesContaining(dir, ".npz").empty());
}
