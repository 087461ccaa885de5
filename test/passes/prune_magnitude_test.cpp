// prune-magnitude against independent references: thresholds from a naive full sort of |w| (or of
// group norms) in the test, ONNX Runtime for the pruned models.
#include <algorithm>
#include <cmath>
#include <set>

#include "lib/ir/graph.h"
#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

std::string floats(const std::vector<float>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

// Conv [6,3,3,3] -> Relu -> Flatten -> Gemm transB [5, 6*4*4]  -> MatMul B [5, 8].
onnx::ModelProto smallModel() {
  std::string text = R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2, 3, 6, 6] x) => (float[2, 8] y)
    <float[6, 3, 3, 3] cw = {)" + floats(randomValues(162, 1)) + R"(}, float[6] cb = {)" + floats(randomValues(6, 2)) + R"(},
     float[5, 96] fw = {)" + floats(randomValues(480, 3)) + R"(}, float[5] fb = {)" + floats(randomValues(5, 4)) + R"(},
     float[5, 8] mw = {)" + floats(randomValues(40, 5)) + R"(}>
    {
      c = Conv <pads = [0, 0, 0, 0]> (x, cw, cb)
      r = Relu (c)
      f = Flatten (r)
      h = Gemm <transB = 1> (f, fw, fb)
      y = MatMul (h, mw)
    })";
  auto m = modelFromText(text);
  m.mutable_graph()->mutable_node(0)->set_name("conv1");
  m.mutable_graph()->mutable_node(3)->set_name("fc1");
  m.mutable_graph()->mutable_node(4)->set_name("fc2");
  return m;
}

std::vector<float> weight(const onnx::ModelProto& proto, const std::string& name) {
  for (const auto& t : proto.graph().initializer())
    if (t.name() == name) return readTensor(t, ".")->toFloats();
  FAIL("no initializer " << name);
  return {};
}

int64_t zeros(const std::vector<float>& v) { return std::count(v.begin(), v.end(), 0.0f); }

// The k-th smallest |w| by a full sort, k = round(s * n).
float naiveThreshold(std::vector<float> v, double s) {
  for (auto& x : v) x = std::abs(x);
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::llround(s * double(v.size())));
  return k == 0 ? -1.0f : v[k - 1];
}

void requireRunsWithSameShapes(const onnx::ModelProto& a, const onnx::ModelProto& b,
                               const std::vector<float>& x, const std::vector<int64_t>& shape) {
  if (ortRunner().empty()) {
    WARN("ONNX Runtime (npm onnxruntime-node) not installed: skipping the runtime check");
    return;
  }
  std::string dir = scratchDir("prune_ort");
  writeBytes(dir + "/a.onnx", a.SerializeAsString());
  writeBytes(dir + "/b.onnx", b.SerializeAsString());
  auto ra = runOrt(dir + "/a.onnx", {x}, {shape});
  auto rb = runOrt(dir + "/b.onnx", {x}, {shape});
  INFO(ra.error << rb.error);
  REQUIRE(ra.ok);
  REQUIRE(rb.ok);
  CHECK(ra.shapes == rb.shapes);
}

}  // namespace

TEST_CASE("prune-magnitude global sparsity zeroes exactly the smallest weights across layers", "[prune]") {
  auto original = smallModel();
  nlohmann::json report;
  Model pruned = runPasses(original, "prune-magnitude(sparsity=0.7)", &report);
  std::vector<float> all;
  for (auto name : {"cw", "fw", "mw"}) {
    auto w = weight(original, name);
    all.insert(all.end(), w.begin(), w.end());
  }
  const float t = naiveThreshold(all, 0.7);
  int64_t total_zeros = 0;
  for (auto name : {"cw", "fw", "mw"}) {
    auto before = weight(original, name), after = weight(pruned.proto, name);
    for (size_t i = 0; i < before.size(); ++i) {
      INFO(name << "[" << i << "] = " << before[i]);
      CHECK(after[i] == (std::abs(before[i]) <= t ? 0.0f : before[i]));
    }
    total_zeros += zeros(after);
  }
  CHECK(total_zeros == std::llround(0.7 * double(all.size())));
  CHECK(weight(pruned.proto, "cb") == weight(original, "cb"));  // biases stay
  CHECK(report[0]["summary"]["zeros"] == total_zeros);
  CHECK(report[0]["summary"]["sparsity"].get<double>() == Approx(0.7).margin(1e-3));
  CHECK(report[0]["summary"]["global_threshold"].get<double>() == Approx(t));
  REQUIRE(report[0]["rewrites"].size() == 3);
  CHECK(report[0]["rewrites"][1]["nodes"][0] == "fc1");
  auto x = randomValues(2 * 3 * 6 * 6, 9);
  requireRunsWithSameShapes(original, pruned.proto, x, {2, 3, 6, 6});
}

TEST_CASE("prune-magnitude per-layer targets by node or weight name, others untouched", "[prune]") {
  auto original = smallModel();
  nlohmann::json report;
  Model pruned = runPasses(original, "prune-magnitude(layer-sparsity='conv1=0.5,fw=0.9')", &report);
  auto cw = weight(original, "cw"), fw = weight(original, "fw");
  float tc = naiveThreshold(cw, 0.5), tf = naiveThreshold(fw, 0.9);
  auto pc = weight(pruned.proto, "cw"), pf = weight(pruned.proto, "fw");
  for (size_t i = 0; i < cw.size(); ++i) CHECK(pc[i] == (std::abs(cw[i]) <= tc ? 0.0f : cw[i]));
  for (size_t i = 0; i < fw.size(); ++i) CHECK(pf[i] == (std::abs(fw[i]) <= tf ? 0.0f : fw[i]));
  CHECK(zeros(pc) == 81);
  CHECK(zeros(pf) == 432);
  CHECK(weight(pruned.proto, "mw") == weight(original, "mw"));
  REQUIRE(report[0]["skipped"].size() == 1);
  CHECK(report[0]["skipped"][0]["node"] == "fc2");
}

TEST_CASE("prune-magnitude q rule prunes below q times the layer's standard deviation", "[prune]") {
  auto original = smallModel();
  Model pruned = runPasses(original, "prune-magnitude(q=0.8,skip=fc2)");
  for (auto name : {"cw", "fw"}) {
    auto w = weight(original, name);
    double mean = 0, ss = 0;
    for (float v : w) mean += v;
    mean /= double(w.size());
    for (float v : w) ss += (v - mean) * (v - mean);
    const double t = 0.8 * std::sqrt(ss / double(w.size()));
    auto p = weight(pruned.proto, name);
    int64_t expect_zeros = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      bool gone = std::abs(w[i]) < t;
      expect_zeros += gone;
      CHECK(p[i] == (gone ? 0.0f : w[i]));
    }
    CHECK(zeros(p) == expect_zeros);
    CHECK(expect_zeros > 0);
  }
  CHECK(weight(pruned.proto, "mw") == weight(original, "mw"));
}

TEST_CASE("prune-magnitude simd:4 zeroes whole aligned groups along the reduction dimension", "[prune]") {
  // Gemm without transB stores [K, N]: the reduction (K) runs down the columns, a stride of N apart.
  std::string text = R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[3, 10] x) => (float[3, 6] y)
    <float[10, 6] w = {)" + floats(randomValues(60, 11)) + R"(}>
    { y = Gemm (x, w) })";
  auto original = modelFromText(text);
  Model pruned = runPasses(original, "prune-magnitude(sparsity=0.5,granularity=simd:4)");
  auto w = weight(original, "w"), p = weight(pruned.proto, "w");
  // Groups: column n, rows [0,4), [4,8) and the short tail [8,10); ranked by RMS.
  struct G { float rms; int n, r0, r1; };
  std::vector<G> groups;
  for (int n = 0; n < 6; ++n)
    for (int r0 = 0; r0 < 10; r0 += 4) {
      int r1 = std::min(10, r0 + 4);
      double ss = 0;
      for (int r = r0; r < r1; ++r) ss += double(w[r * 6 + n]) * w[r * 6 + n];
      groups.push_back({float(std::sqrt(ss / (r1 - r0))), n, r0, r1});
    }
  std::sort(groups.begin(), groups.end(), [](const G& a, const G& b) { return a.rms < b.rms; });
  // Take groups smallest first while that ends closer to 30 zeros.
  int pruned_count = 0;
  std::set<std::pair<int, int>> gone;
  for (const auto& g : groups) {
    int size = g.r1 - g.r0;
    if (pruned_count + size > 30 && 2 * (30 - pruned_count) <= size) break;
    pruned_count += size;
    gone.insert({g.n, g.r0});
  }
  for (const auto& g : groups)
    for (int r = g.r0; r < g.r1; ++r) CHECK(p[r * 6 + g.n] == (gone.count({g.n, g.r0}) ? 0.0f : w[r * 6 + g.n]));
  CHECK(zeros(p) == pruned_count);
}

TEST_CASE("prune-magnitude is idempotent and counts weights already zero as pruned", "[prune]") {
  auto original = smallModel();
  Model once = runPasses(original, "prune-magnitude(sparsity=0.6,granularity=simd:2)");
  nlohmann::json report;
  Model twice = runPasses(once.proto, "prune-magnitude(sparsity=0.6,granularity=simd:2)", &report);
  CHECK(serializeModel(once.proto) == serializeModel(twice.proto));
  CHECK(report[0]["summary"]["zeros_before"] == report[0]["summary"]["zeros"]);
  // A lower target on a pruned model prunes nothing more.
  Model lower = runPasses(once.proto, "prune-magnitude(sparsity=0.3)");
  CHECK(serializeModel(once.proto) == serializeModel(lower.proto));
}

TEST_CASE("prune-magnitude rejects bad targets, unknown layers and groups that do not fit", "[prune]") {
  auto expectError = [](const onnx::ModelProto& proto, const std::string& pipeline, Exit code, const std::string& needle) {
    Model m;
    m.proto = proto;
    auto p = parsePipeline(pipeline, builtinPasses());
    REQUIRE(p.ok());
    PassContext ctx;
    auto r = runPipeline(m, *p, builtinPasses(), ctx);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message());
    CHECK(r.error().code() == code);
    CHECK(r.error().message().find(needle) != std::string::npos);
  };
  auto m = smallModel();
  expectError(m, "prune-magnitude(sparsity=1)", Exit::Usage, "outside [0, 1)");
  expectError(m, "prune-magnitude(sparsity=-0.1)", Exit::Usage, "outside [0, 1)");
  expectError(m, "prune-magnitude(layer-sparsity='conv1=1.5')", Exit::Usage, "outside [0, 1)");
  expectError(m, "prune-magnitude(layer-sparsity='conv9=0.5')", Exit::Usage, "no weight layer named 'conv9'");
  expectError(m, "prune-magnitude(sparsity=0.5,skip=nope)", Exit::Usage, "'nope'");
  expectError(m, "prune-magnitude(sparsity=0.5,granularity=simd:0)", Exit::Usage, "unknown granularity");
  expectError(m, "prune-magnitude()", Exit::Usage, "nothing to prune");
  // MatMul B [5, 8] reduces over 5: simd:8 does not fit; skipping that layer makes it fit.
  expectError(m, "prune-magnitude(sparsity=0.5,granularity=simd:8)", Exit::Usage, "does not fit layer 'fc2'");
  runPasses(m, "prune-magnitude(sparsity=0.5,granularity=simd:8,skip=fc2)");
  // A globbed skip that matches nothing is allowed.
  runPasses(m, "prune-magnitude(sparsity=0.5,skip='*/nothing*')");
}

TEST_CASE("prune-magnitude on the bundled models reaches the target and runs in ONNX Runtime", "[prune]") {
  std::vector<int64_t> shape;
  auto x = fashionImages(8, shape);
  for (auto name : {"lenet300.onnx", "lenet5.onnx", "rescnn.onnx"}) {
    INFO(name);
    auto model = loadModel(testData(name));
    REQUIRE(model.ok());
    for (auto pipeline : {"prune-magnitude(sparsity=0.8)", "prune-magnitude(sparsity=0.6,granularity=simd:4)"}) {
      INFO(pipeline);
      nlohmann::json report;
      Model pruned = runPasses(model->proto, pipeline, &report);
      CHECK(report[0]["summary"]["sparsity"].get<double>() == Approx(std::string(pipeline).find("0.8") != std::string::npos ? 0.8 : 0.6).margin(0.002));
      requireRunsWithSameShapes(model->proto, pruned.proto, x, shape);
    }
  }
}

TEST_CASE("prune-magnitude on torchvision ResNet-18 and MobileNetV2 exports", "[prune]") {
  for (auto name : {"resnet18.onnx", "mobilenet_v2.onnx"}) {
    std::string path = std::string(DNNC_BINARY_DIR) + "/zoo/" + name;
    if (!fileExists(path)) {
      WARN("skipping " << name << ": " << path << " is absent (tools/make_zoo.py makes it)");
      continue;
    }
    auto model = loadModel(path);
    REQUIRE(model.ok());
    nlohmann::json report;
    Model pruned = runPasses(model->proto, "prune-magnitude(sparsity=0.5,granularity=simd:8,skip='*fc*')", &report);
    CHECK(report[0]["summary"]["layers_pruned"].get<int>() > 15);
    auto x = randomValues(3 * 224 * 224, 7);
    requireRunsWithSameShapes(model->proto, pruned.proto, x, {1, 3, 224, 224});
  }
}
