// prune-energy-aware on the bundled LeNet-5 with real calibration data: the output is valid, runs in ONNX
// Runtime, and its accuracy as ONNX Runtime measures it is what the report claims and within the budget.
#include <nlohmann/json.hpp>

#include "lib/exec/dataset.h"
#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

Calibration fashionCalibration(int64_t limit) {
  Calibration c;
  c.data.path = testData("fashion_test_2000_images.npy");
  c.data.scale = 1.0f / 255.0f;
  c.data.mean = "0.2860";
  c.data.std = "0.3530";
  c.labels = testData("fashion_test_2000_labels.npy");
  c.limit = limit;
  return c;
}

Expected<nlohmann::json> runEnergyAware(Model& m, const std::string& pipeline, std::optional<Calibration> c) {
  auto p = parsePipeline(pipeline, builtinPasses());
  REQUIRE(p.ok());
  PassContext ctx;
  ctx.threads = 1;
  ctx.calibration = std::move(c);
  return runPipeline(m, *p, builtinPasses(), ctx);
}

}  // namespace

TEST_CASE("prune-energy-aware prunes LeNet-5 within its budget, most costly layers first", "[prune-energy-aware]") {
  auto model = loadModel(testData("lenet5.onnx"));
  REQUIRE(model.ok());
  Model m = *model;
  auto report = runEnergyAware(m, "prune-energy-aware(accuracy-budget=2,steps=5,samples=128)", fashionCalibration(256));
  INFO((report.ok() ? "" : report.error().message()));
  REQUIRE(report.ok());
  REQUIRE(checkModel(m).ok());
  const auto& s = (*report)[0]["summary"];
  INFO(s.dump(1));
  const auto& layers = s["layers"];
  REQUIRE(layers.size() == 4);
  for (size_t i = 1; i < layers.size(); ++i)
    CHECK(layers[i - 1]["energy_pj_before"].get<double>() >= layers[i]["energy_pj_before"].get<double>());
  CHECK(s["pruned"]["nonzero_weights"].get<int64_t>() < s["original"]["nonzero_weights"].get<int64_t>() / 2);
  CHECK(s["pruned"]["nonzero_macs"].get<double>() < s["original"]["nonzero_macs"].get<double>());
  CHECK(s["energy_reduction"].get<double>() > 1.3);
  const double claimed = s["pruned"]["accuracy"].get<double>();
  CHECK(s["original"]["accuracy"].get<double>() - claimed <= 2.0 + 1e-9);

  // ONNX Runtime on the same 256 images must agree with the accuracy the pass reports.
  if (ortRunner().empty()) {
    WARN("ONNX Runtime not installed: skipping the independent accuracy check");
    return;
  }
  std::vector<int64_t> shape;
  std::vector<float> images = fashionImages(256, shape);
  std::string dir = scratchDir("pea");
  REQUIRE(saveModel(m, dir + "/pruned.onnx").ok());
  auto ort = runOrt(dir + "/pruned.onnx", {images}, {shape});
  INFO(ort.error);
  REQUIRE(ort.ok);
  REQUIRE(ort.shapes[0] == std::vector<int64_t>{256, 10});
  auto labels = readLabels(testData("fashion_test_2000_labels.npy"));
  REQUIRE(labels.ok());
  int correct = 0;
  for (int i = 0; i < 256; ++i) {
    auto row = ort.values[0].begin() + i * 10;
    correct += std::max_element(row, row + 10) - row == (*labels)[i];
  }
  CHECK(100.0 * correct / 256 == Approx(claimed).margin(100.0 / 256));
}

TEST_CASE("prune-energy-aware needs data, and says when an energy target is out of reach", "[prune-energy-aware]") {
  auto model = loadModel(testData("lenet300.onnx"));
  REQUIRE(model.ok());
  Model m = *model;
  auto none = runEnergyAware(m, "prune-energy-aware", std::nullopt);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code() == Exit::Usage);
  auto tight = runEnergyAware(m, "prune-energy-aware(accuracy-budget=0,target-energy=0.01,steps=2,samples=64)",
                              fashionCalibration(128));
  REQUIRE_FALSE(tight.ok());
  CHECK(tight.error().code() == Exit::Target);
}
