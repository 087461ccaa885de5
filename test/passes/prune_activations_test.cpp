// prune-activations against a naive reference: each threshold is the target quantile of its Relu's
// input, found by a full sort in the test with the upstream thresholds applied by hand.
#include <algorithm>

#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

std::string floats(const std::vector<float>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

Expected<nlohmann::json> runWithData(Model& m, const std::string& pipeline, const std::string& data, const std::string& labels = "") {
  auto p = parsePipeline(pipeline, builtinPasses());
  REQUIRE(p.ok());
  PassContext ctx;
  ctx.threads = 1;  // the machine is shared; spinning OpenMP threads only slow the test down
  if (!data.empty()) ctx.calibration = Calibration{{data, 1.0f, "", ""}, labels, 0, 64};
  return runPipeline(m, *p, builtinPasses(), ctx);
}

float kthSmallest(std::vector<float> v, double fraction) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::llround(fraction * double(v.size()))) - 1];
}

float alphaOf(const onnx::NodeProto& n) {
  for (const auto& a : n.attribute())
    if (a.name() == "alpha") return a.f();
  return -1;
}

// x -> Relu -> MatMul(w [8, 6]) -> Relu -> y: two sites, the second's input depending on the first's cut-off.
onnx::ModelProto twoRelus(const std::vector<float>& w) {
  return modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N, 8] x) => (float[N, 6] y)
    <float[8, 6] w = {)" + floats(w) + R"(}>
    {
      r = Relu (x)
      h = MatMul (r, w)
      y = Relu (h)
    })");
}

}  // namespace

TEST_CASE("prune-activations thresholds are the target quantiles, layer by layer", "[prune]") {
  const int n = 40;
  const std::vector<float> w = randomValues(8 * 6, 21);
  auto m = twoRelus(w);
  std::string dir = scratchDir("prune_act");
  auto x = randomValues(n * 8, 22, -1.0f, 2.0f);
  writeNpyFloat(dir + "/x.npy", x, {n, 8});
  Model model;
  model.proto = m;
  auto report = runWithData(model, "prune-activations(sparsity=0.6)", dir + "/x.npy");
  INFO((report.ok() ? std::string() : report.error().message()));
  REQUIRE(report.ok());
  REQUIRE(checkModel(model).ok());
  // Reference: alpha1 from x; then h = ThresholdedRelu(x, alpha1) @ w; alpha2 from h.
  const float a1 = kthSmallest(x, 0.6);
  std::vector<float> h(n * 6, 0.0f);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < 6; ++j)
      for (int k = 0; k < 8; ++k) h[i * 6 + j] += (x[i * 8 + k] > a1 ? x[i * 8 + k] : 0.0f) * w[k * 6 + j];
  const float a2 = kthSmallest(h, 0.6);
  const auto& g = model.proto.graph();
  REQUIRE(g.node(0).op_type() == "ThresholdedRelu");
  REQUIRE(g.node(2).op_type() == "ThresholdedRelu");
  CHECK(alphaOf(g.node(0)) == a1);
  CHECK(alphaOf(g.node(2)) == Approx(a2).epsilon(1e-5));
  const auto& s = (*report)[0]["summary"];
  CHECK(s["relu_output_sparsity"].get<double>() == Approx(0.6).margin(0.01));
  CHECK(s["relu_output_sparsity_before"].get<double>() < 0.55);
  // ONNX Runtime on the pruned model: 60 % of y is zero.
  if (ortRunner().empty()) {
    WARN("ONNX Runtime not installed: skipping the runtime check");
    return;
  }
  writeBytes(dir + "/p.onnx", model.proto.SerializeAsString());
  auto out = runOrt(dir + "/p.onnx", {x}, {{n, 8}});
  INFO(out.error);
  REQUIRE(out.ok);
  double zeros = std::count(out.values[0].begin(), out.values[0].end(), 0.0f);
  CHECK(zeros / double(out.values[0].size()) == Approx(0.6).margin(0.01));
}

TEST_CASE("prune-activations chooses the cut-offs already there again, on data= of its own", "[prune]") {
  // A second run at another target re-targets the ThresholdedRelus the first one left (as the steps of
  // dnnc compress do): its cut-offs are the new target's quantiles, as from the plain Relus; the data
  // comes from data= (no --data), with its preprocessing.
  const int n = 50;
  const std::vector<float> w = randomValues(8 * 6, 31);
  auto m = twoRelus(w);
  std::string dir = scratchDir("prune_act_again");
  auto raw = randomValues(n * 8, 32, 0.0f, 6.0f);
  writeNpyFloat(dir + "/x.npy", raw, {n, 8});
  std::vector<float> x = raw;
  for (float& v : x) v = (v * 0.5f - 1.0f) / 2.0f;  // scale=0.5, mean=1, std=2
  const std::string data = "data=\"" + dir + "/x.npy\",scale=0.5,mean=1,std=2";
  Model direct, twice;
  direct.proto = twice.proto = m;
  REQUIRE(runWithData(direct, "prune-activations(sparsity=0.8," + data + ")", "").ok());
  auto report = runWithData(twice, "prune-activations(sparsity=0.5," + data + "),prune-activations(sparsity=0.8," + data + ")", "");
  INFO((report.ok() ? std::string() : report.error().message()));
  REQUIRE(report.ok());
  const auto& g = twice.proto.graph();
  REQUIRE(g.node(0).op_type() == "ThresholdedRelu");
  REQUIRE(g.node(2).op_type() == "ThresholdedRelu");
  CHECK(alphaOf(g.node(0)) == kthSmallest(x, 0.8));
  for (int i : {0, 2}) CHECK(alphaOf(g.node(i)) == Approx(alphaOf(direct.proto.graph().node(i))).epsilon(1e-6));
  CHECK((*report)[1]["summary"]["relu_output_sparsity"].get<double>() == Approx(0.8).margin(0.01));
  // Back down: a target the plain Relu reaches makes it a Relu again.
  REQUIRE(runWithData(twice, "prune-activations(sparsity=0," + data + ")", "").ok());
  CHECK(twice.proto.graph().node(0).op_type() == "Relu");
  CHECK(twice.proto.graph().node(0).attribute_size() == 0);
}

TEST_CASE("prune-activations needs data, a target, and names that exist", "[prune]") {
  auto m = loadModel(testData("lenet300.onnx"));
  REQUIRE(m.ok());
  Model a = *m;
  auto no_data = runWithData(a, "prune-activations(sparsity=0.5)", "");
  REQUIRE_FALSE(no_data.ok());
  CHECK(no_data.error().code() == Exit::Usage);
  CHECK(no_data.error().message().find("calibration data") != std::string::npos);
  auto both = parsePipeline("prune-activations", builtinPasses());
  REQUIRE(both.ok());  // parses; the missing target is reported when the pass is made
  PassContext ctx;
  auto r = runPipeline(a, *both, builtinPasses(), ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("needs one target") != std::string::npos);
  auto bad = runWithData(a, "prune-activations(sparsity=0.5,skip=/relu9/Relu)", testData("fashion_test_2000_images.npy"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("no Relu named '/relu9/Relu'") != std::string::npos);
  auto stray = parsePipeline("prune-activations(sparsity=0.5,mean=0.3)", builtinPasses());
  REQUIRE(stray.ok());
  auto r2 = runPipeline(a, *stray, builtinPasses(), ctx);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().message().find("go with data=") != std::string::npos);
}

TEST_CASE("prune-activations on the residual CNN within an accuracy budget runs in ONNX Runtime", "[prune]") {
  auto m = loadModel(testData("rescnn.onnx"));
  REQUIRE(m.ok());
  Model model = *m;
  // 48 raw images, preprocessed by the pass's data options.
  std::string images = testData("fashion_test_2000_images.npy"), labels = testData("fashion_test_2000_labels.npy");
  auto p = parsePipeline("prune-activations(budget=1,samples=48)", builtinPasses());
  REQUIRE(p.ok());
  PassContext ctx;
  ctx.threads = 1;
  ctx.calibration = Calibration{{images, 1.0f / 255.0f, "0.2860", "0.3530"}, labels, 0, 64};
  auto r = runPipeline(model, *p, builtinPasses(), ctx);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  const auto& s = (*r)[0]["summary"];
  CHECK(100.0 * (s["top1_before"].get<double>() - s["top1"].get<double>()) <= 1.0 + 1e-9);
  CHECK(s["relu_output_sparsity"].get<double>() >= s["relu_output_sparsity_before"].get<double>());
  CHECK(s["relus"] == 6);
  REQUIRE(checkModel(model).ok());
  std::vector<int64_t> shape;
  auto x = fashionImages(8, shape);
  if (ortRunner().empty()) return;
  std::string dir = scratchDir("prune_act_res");
  writeBytes(dir + "/a.onnx", m->proto.SerializeAsString());
  writeBytes(dir + "/b.onnx", model.proto.SerializeAsString());
  auto ra = runOrt(dir + "/a.onnx", {x}, {shape}), rb = runOrt(dir + "/b.onnx", {x}, {shape});
  REQUIRE(ra.ok);
  REQUIRE(rb.ok);
  CHECK(ra.shapes == rb.shapes);
}

TEST_CASE("prune-activations on torchvision ResNet-18 and MobileNetV2 exports runs in ONNX Runtime", "[prune]") {
  for (auto name : {"resnet18.onnx", "mobilenet_v2.onnx"}) {
    std::string path = std::string(DNNC_BINARY_DIR) + "/zoo/" + name;
    if (!fileExists(path)) {
      WARN("skipping " << name << ": " << path << " is absent (tools/make_zoo.py makes it)");
      continue;
    }
    auto m = loadModel(path);
    REQUIRE(m.ok());
    std::string dir = scratchDir("prune_act_zoo");
    auto x = randomValues(3 * 224 * 224, 5, -2.0f, 2.0f);
    writeNpyFloat(dir + "/x.npy", x, {1, 3, 224, 224});
    Model model = *m;
    auto r = runWithData(model, "prune-activations(sparsity=0.7)", dir + "/x.npy");
    INFO((r.ok() ? std::string() : r.error().message()));
    REQUIRE(r.ok());
    REQUIRE(checkModel(model).ok());
    int relus = 0;
    for (const auto& n : m->graph().node()) relus += n.op_type() == "Relu";
    // MobileNetV2's activations are ReLU6 (Clip), which a ThresholdedRelu cannot stand for: left alone.
    CHECK((*r)[0]["summary"]["relus"] == relus);
    if (relus > 0) CHECK((*r)[0]["summary"]["relu_output_sparsity"].get<double>() == Approx(0.7).margin(0.02));
    if (ortRunner().empty()) continue;
    writeBytes(dir + "/a.onnx", m->proto.SerializeAsString());
    writeBytes(dir + "/b.onnx", model.proto.SerializeAsString());
    auto ra = runOrt(dir + "/a.onnx", {x}, {{1, 3, 224, 224}}), rb = runOrt(dir + "/b.onnx", {x}, {{1, 3, 224, 224}});
    INFO(ra.error << rb.error);
    REQUIRE(ra.ok);
    REQUIRE(rb.ok);
    CHECK(ra.shapes == rb.shapes);
  }
}
