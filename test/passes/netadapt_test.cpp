// netadapt on LeNet-5 with a MAC budget: the result meets the budget as an independent count (the layer
// table of `dnnc info`) says, keeps its output shape, runs in ONNX Runtime, and the trajectory is monotone.
#include <nlohmann/json.hpp>

#include "lib/analysis/layer_table.h"
#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

TEST_CASE("netadapt shrinks LeNet-5 filters to a MAC budget", "[netadapt]") {
  auto model = loadModel(testData("lenet5.onnx"));
  REQUIRE(model.ok());
  Model m = *model;
  auto p = parsePipeline("netadapt(resource=macs,budget=0.6,step=0.2,iterations=4,short-samples=128,val-samples=128,long-epochs=0)",
                         builtinPasses());
  REQUIRE(p.ok());
  PassContext ctx;
  ctx.threads = 1;
  Calibration c;
  c.data.path = testData("fashion_train_5000_images.npy");
  c.data.scale = 1.0f / 255.0f;
  c.data.mean = "0.2860";
  c.data.std = "0.3530";
  c.labels = testData("fashion_train_5000_labels.npy");
  c.limit = 512;
  ctx.calibration = c;
  auto r = runPipeline(m, *p, builtinPasses(), ctx);
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  REQUIRE(checkModel(m).ok());
  auto before = buildLayerTable(*model), after = buildLayerTable(m);
  REQUIRE(before.ok());
  REQUIRE(after.ok());
  CHECK(double(after->macs) <= 0.6 * double(before->macs) + 1);
  const auto& s = (*r)[0]["summary"];
  CHECK(s["resource_ratio"].get<double>() == Approx(double(after->macs) / double(before->macs)));
  const auto& t = s["trajectory"];
  REQUIRE(t.size() >= 2);
  for (size_t i = 1; i < t.size(); ++i) CHECK(t[i]["resource"].get<double>() < t[i - 1]["resource"].get<double>());
  if (ortRunner().empty()) return;
  std::vector<int64_t> shape;
  auto images = fashionImages(16, shape);
  std::string dir = scratchDir("netadapt");
  REQUIRE(saveModel(m, dir + "/a.onnx").ok());
  auto ort = runOrt(dir + "/a.onnx", {images}, {shape});
  INFO(ort.error);
  REQUIRE(ort.ok);
  CHECK(ort.shapes[0] == std::vector<int64_t>{16, 10});
}
