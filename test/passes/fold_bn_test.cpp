#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

std::string floats(const std::vector<float>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

// Conv -> BN -> Relu -> Gemm -> BN(1d); the conv weight is shared with a second Conv that must keep it.
onnx::ModelProto convBnModel() {
  auto w = randomValues(4 * 3 * 3 * 3, 1);
  auto scale = randomValues(4, 2, 0.5f, 2.0f), bias = randomValues(4, 3), mean = randomValues(4, 4);
  auto var = randomValues(4, 5, 0.1f, 3.0f);
  auto fw = randomValues(5 * 4 * 16, 6), fb = randomValues(5, 7);
  auto s2 = randomValues(5, 8, 0.5f, 2.0f), b2 = randomValues(5, 9), m2 = randomValues(5, 10), v2 = randomValues(5, 11, 0.1f, 2.f);
  std::string text = R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2, 3, 8, 8] x) => (float[2, 5] y, float[2, 4, 6, 6] side)
    <float[4, 3, 3, 3] w = {)" + floats(w) + R"(}, float[4] sc = {)" + floats(scale) + R"(},
     float[4] bi = {)" + floats(bias) + R"(}, float[4] mu = {)" + floats(mean) + R"(}, float[4] va = {)" + floats(var) + R"(},
     float[5, 64] fw = {)" + floats(fw) + R"(}, float[5] fb = {)" + floats(fb) + R"(},
     float[5] s2 = {)" + floats(s2) + R"(}, float[5] b2 = {)" + floats(b2) + R"(}, float[5] m2 = {)" + floats(m2) + R"(},
     float[5] v2 = {)" + floats(v2) + R"(}>
    {
      c = Conv <strides = [2, 2], pads = [1, 1, 1, 1]> (x, w)
      n = BatchNormalization <epsilon = 0.001> (c, sc, bi, mu, va)
      r = Relu (n)
      f = Flatten (r)
      gm = Gemm <transB = 1> (f, fw, fb)
      y = BatchNormalization (gm, s2, b2, m2, v2)
      side = Conv (x, w)
    })";
  return modelFromText(text);
}

int countOps(const onnx::ModelProto& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op;
  return n;
}

}  // namespace

TEST_CASE("fold-bn folds into Conv and Gemm and keeps outputs equal in ONNX Runtime") {
  auto original = convBnModel();
  nlohmann::json report;
  Model folded = runPasses(original, "fold-bn", &report);
  CHECK(countOps(folded.proto, "BatchNormalization") == 0);
  CHECK(countOps(folded.proto, "Conv") == 2);
  CHECK(report[0]["summary"]["folded"] == 2);
  // The shared weight stays intact for the other Conv.
  bool shared_intact = false;
  for (const auto& t : folded.proto.graph().initializer())
    if (t.name() == "w") shared_intact = readTensor(t, ".")->toFloats() == readTensor(original.graph().initializer(0), ".")->toFloats();
  CHECK(shared_intact);
  requireSameOutputsInOrt(original, folded.proto, {randomValues(2 * 3 * 8 * 8, 42, -3.f, 3.f)}, {{2, 3, 8, 8}}, 1e-5);
}

TEST_CASE("fold-bn is idempotent and leaves BNs it cannot fold with a reason") {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 2, 4, 4] x) => (float[1, 2, 4, 4] y)
    <float[2] s = {1, 2}, float[2] b = {0, 1}, float[2] mu = {0, 0}, float[2] va = {1, 1}>
    { y = BatchNormalization (x, s, b, mu, va) })");
  nlohmann::json report;
  Model once = runPasses(m, "fold-bn", &report);
  CHECK(countOps(once.proto, "BatchNormalization") == 1);
  REQUIRE(report[0]["skipped"].size() == 1);
  CHECK(report[0]["skipped"][0]["reason"] == "its input comes from a graph input");
  Model a = runPasses(convBnModel(), "fold-bn");
  Model b = runPasses(a.proto, "fold-bn");
  CHECK(serializeModel(a.proto) == serializeModel(b.proto));
}

TEST_CASE("fold-bn on the bundled residual CNN matches the original in ONNX Runtime on real images") {
  if (!fileExists(testData("rescnn.onnx"))) FAIL("missing test/data/rescnn.onnx");
  auto model = loadModel(testData("rescnn.onnx"));
  REQUIRE(model.ok());
  REQUIRE(countOps(model->proto, "BatchNormalization") > 0);
  Model folded = runPasses(model->proto, "fold-bn,dce");
  CHECK(countOps(folded.proto, "BatchNormalization") == 0);
  std::vector<int64_t> shape;
  auto x = fashionImages(64, shape);
  requireSameOutputsInOrt(model->proto, folded.proto, {x}, {shape}, 1e-5);
}
