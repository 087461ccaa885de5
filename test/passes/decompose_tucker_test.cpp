#include <random>
#include <set>
#include <tuple>

#include "test/passes/decompose_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

// W_hat[k,c,i,j] = sum_{a,b} out[k,a] core[a,b,i,j] in[b,c], read back from the three convs.
std::vector<double> recompose(const onnx::ModelProto& m, std::vector<int64_t>& ranks) {
  auto convs = nodesOf(m, "Conv");
  REQUIRE(convs.size() == 3);
  std::vector<int64_t> d1, d2, d3;
  auto w1 = weightValues(m, convs[0]->input(1), &d1), w2 = weightValues(m, convs[1]->input(1), &d2),
       w3 = weightValues(m, convs[2]->input(1), &d3);
  const int64_t R3 = d1[0], C = d1[1], R4 = d2[0], h = d2[2], w = d2[3], K = d3[0];
  REQUIRE(d2[1] == R3);
  REQUIRE(d3[1] == R4);
  ranks = {R3, R4};
  std::vector<double> out(static_cast<size_t>(K * C * h * w), 0.0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          double s = 0;
          for (int64_t a = 0; a < R4; ++a)
            for (int64_t b = 0; b < R3; ++b) s += double(w3[k * R4 + a]) * w2[((a * R3 + b) * h + i) * w + j] * w1[b * C + c];
          out[static_cast<size_t>(((k * C + c) * h + i) * w + j)] = s;
        }
  return out;
}

const char* kAttrs = "strides = [2, 1], pads = [1, 0, 2, 1], dilations = [2, 1]";

}  // namespace

TEST_CASE("decompose-tucker at full rank reproduces the conv in ONNX Runtime, with stride, pads and dilation") {
  auto w = randomValues(6 * 6 * 3 * 3, 1), b = randomValues(6, 2);
  auto original = convModel({6, 6, 3, 3}, w, b, 6, 11, 10, kAttrs);
  nlohmann::json report;
  Model out = runPasses(original, "decompose-tucker(rank=6),dce", &report);
  auto convs = nodesOf(out.proto, "Conv");
  REQUIRE(convs.size() == 3);
  CHECK(intsAttr(*convs[0], "kernel_shape") == std::vector<int64_t>{1, 1});
  CHECK(intsAttr(*convs[1], "strides") == std::vector<int64_t>{2, 1});
  CHECK(intsAttr(*convs[1], "pads") == std::vector<int64_t>{1, 0, 2, 1});
  CHECK(intsAttr(*convs[1], "dilations") == std::vector<int64_t>{2, 1});
  CHECK(convs[0]->input_size() == 2);
  CHECK(convs[1]->input_size() == 2);
  REQUIRE(convs[2]->input_size() == 3);
  CHECK(convs[2]->input(2) == "b");
  CHECK(out.proto.graph().initializer_size() == 4);  // three factors and the bias; w removed by dce
  const auto& d = report[0]["rewrites"][0]["details"];
  CHECK(d["rel_error"].get<double>() < 1e-6);
  CHECK(d["params_before"] == 6 * 6 * 9 + 6);
  CHECK(d["params_after"] == 36 + 36 * 9 + 36 + 6);
  // Output 5x9 (H: (11 + 1 + 2 - 2*(3-1) - 1)/2 + 1 = 5, W: 10 + 0 + 1 - 3 + 1 = 9) from shape inference;
  // the first 1x1 conv runs on the whole 11x10 input.
  CHECK(d["macs_before"] == 5 * 9 * 6 * 6 * 9);
  CHECK(d["macs_after"] == 11 * 10 * 6 * 6 + 5 * 9 * 6 * 6 * 9 + 5 * 9 * 6 * 6);
  std::vector<int64_t> ranks;
  CHECK(relError(w, recompose(out.proto, ranks)) < 1e-5);
  requireSameOutputsInOrt(original, out.proto, {randomValues(6 * 11 * 10, 3, -2.f, 2.f)}, {{1, 6, 11, 10}}, 1e-5);
}

TEST_CASE("decompose-tucker at low rank: the reported error is the recomposed kernel's, and the graph computes it") {
  auto w = randomValues(8 * 6 * 3 * 3, 4), b = randomValues(8, 5);
  auto original = convModel({8, 6, 3, 3}, w, b, 6, 9, 9, kAttrs);
  nlohmann::json report;
  Model out = runPasses(original, "decompose-tucker(rank=3),dce", &report);
  const auto& d = report[0]["rewrites"][0]["details"];
  std::vector<int64_t> ranks;
  auto w_hat = recompose(out.proto, ranks);
  CHECK(ranks == std::vector<int64_t>{3, 3});
  const double err = relError(w, w_hat);
  CHECK(err > 0.1);  // a random kernel is far from rank (3, 3)
  CHECK(d["rel_error"].get<double>() == Approx(err).epsilon(1e-4));
  CHECK(d["rel_error"].get<double>() <= d["hosvd_rel_error"].get<double>() + 1e-12);
  // The decomposed graph computes exactly the conv with the recomposed kernel.
  std::vector<float> w_hat_f(w_hat.begin(), w_hat.end());
  auto reference = convModel({8, 6, 3, 3}, w_hat_f, b, 6, 9, 9, kAttrs);
  requireSameOutputsInOrt(reference, out.proto, {randomValues(6 * 81, 6, -2.f, 2.f)}, {{1, 6, 9, 9}}, 1e-5);
}

TEST_CASE("decompose-tucker picks the true multilinear ranks by EVBMF on a low-rank + noise kernel") {
  // W = G x_0 U x_1 V with ranks (R4, R3) = (5, 4), plus small noise.
  std::mt19937 rng(7);
  std::normal_distribution<float> n;
  const int K = 16, C = 12, R4 = 5, R3 = 4;
  std::vector<float> U(K * R4), V(C * R3), G(R4 * R3 * 9), w(K * C * 9);
  for (auto* v : {&U, &V, &G})
    for (auto& x : *v) x = n(rng);
  for (int k = 0; k < K; ++k)
    for (int c = 0; c < C; ++c)
      for (int s = 0; s < 9; ++s) {
        float acc = 0;
        for (int a = 0; a < R4; ++a)
          for (int bb = 0; bb < R3; ++bb) acc += U[k * R4 + a] * V[c * R3 + bb] * G[(a * R3 + bb) * 9 + s];
        w[(k * C + c) * 9 + s] = acc + 0.05f * n(rng);
      }
  auto original = convModel({K, C, 3, 3}, w, randomValues(K, 8), C, 8, 8, "pads = [1, 1, 1, 1]");
  nlohmann::json report;
  Model out = runPasses(original, "decompose-tucker,dce", &report);
  const auto& d = report[0]["rewrites"][0]["details"];
  CHECK(d["rank_source"] == "evbmf");
  CHECK(d["ranks"] == nlohmann::json({R3, R4}));
  CHECK(d["rel_error"].get<double>() < 0.05);
  requireSameOutputsInOrt(original, out.proto, {randomValues(C * 64, 9, -1.f, 1.f)}, {{1, C, 8, 8}}, 0.05);
}

TEST_CASE("decompose-tucker leaves grouped, depthwise and 1x1 convs alone with a note") {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 4, 6, 6] x) => (float[1, 4, 6, 6] y)
    <float[4, 2, 3, 3] wg = {)" + floatList(randomValues(72, 1)) + R"(}, float[4, 1, 3, 3] wd = {)" +
                         floatList(randomValues(36, 2)) + R"(}, float[4, 4, 1, 1] wp = {)" + floatList(randomValues(16, 3)) +
                         R"(}, float[4, 4, 3, 3] wf = {)" + floatList(randomValues(144, 4)) + R"(}>
    {
      a = Conv <group = 2, pads = [1, 1, 1, 1]> (x, wg)
      b = Conv <group = 4, pads = [1, 1, 1, 1]> (a, wd)
      c = Conv (b, wp)
      y = Conv <pads = [1, 1, 1, 1]> (c, wf)
    })");
  nlohmann::json report;
  Model out = runPasses(m, "decompose-tucker(rank=2)", &report);
  CHECK(report[0]["summary"]["decomposed"] == 1);
  REQUIRE(report[0]["skipped"].size() == 3);
  CHECK(report[0]["skipped"][0]["reason"].get<std::string>().find("grouped") != std::string::npos);
  CHECK(report[0]["skipped"][1]["reason"].get<std::string>().find("depthwise") != std::string::npos);
  CHECK(report[0]["skipped"][2]["reason"].get<std::string>().find("1x1") != std::string::npos);
  CHECK(countOps(out.proto, "Conv") == 6);
}

TEST_CASE("decompose-tucker rejects a zero rank, a rank above the channels and a layers pattern that matches nothing") {
  auto m = convModel({4, 3, 3, 3}, randomValues(108, 1), randomValues(4, 2), 3, 5, 5, "");
  Error zero = pipelineError(m, "decompose-tucker(rank=0)");
  CHECK(zero.code() == Exit::Usage);
  CHECK(zero.message().find("at least 1") != std::string::npos);
  Error big = pipelineError(m, "decompose-tucker(rank=4)");
  CHECK(big.code() == Exit::Usage);
  CHECK(big.message().find("exceeds the input channels (3)") != std::string::npos);
  Error none = pipelineError(m, "decompose-tucker(layers='conv9*')");
  CHECK(none.code() == Exit::Usage);
  CHECK(none.message().find("no Conv layer named 'conv9*'") != std::string::npos);
  Error both = pipelineError(m, "decompose-tucker(rank=2,ratio=0.5)");
  CHECK(both.code() == Exit::Usage);
  Error ratio = pipelineError(m, "decompose-tucker(ratio=1.5)");
  CHECK(ratio.code() == Exit::Usage);
  Error tolerance = pipelineError(m, "decompose-tucker(tolerance=-1)");
  CHECK(tolerance.code() == Exit::Usage);
  CHECK(tolerance.message().find("tolerance must be in [0, 1)") != std::string::npos);
}

TEST_CASE("decompose-tucker's sweeps: at most `iterations`, fewer with a loose tolerance, never worse than the HOSVD") {
  auto w = randomValues(12 * 10 * 3 * 3, 14), b = randomValues(12, 15);
  auto original = convModel({12, 10, 3, 3}, w, b, 10, 7, 7, kAttrs);
  for (const char* params : {"rank=4,iterations=3,tolerance=0", "rank=4,iterations=50,tolerance=0.5", "rank=4"}) {
    nlohmann::json report;
    runPasses(original, std::string("decompose-tucker(") + params + ")", &report);
    const auto& d = report[0]["rewrites"][0]["details"];
    INFO(params << ": " << d.dump());
    CHECK(d["rel_error"].get<double>() <= d["hosvd_rel_error"].get<double>() + 1e-12);
    const int sweeps = d["hooi_iterations"].get<int>();
    if (std::string(params).find("iterations=3") != std::string::npos) CHECK(sweeps == 3);
    else if (std::string(params).find("tolerance=0.5") != std::string::npos) CHECK(sweeps == 1);
    else CHECK((sweeps >= 1 && sweeps <= 10));
  }
}

TEST_CASE("decompose-tucker with a params ratio meets it and selects layers by glob") {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 16, 8, 8] x) => (float[1, 16, 8, 8] y)
    <float[16, 16, 3, 3] w1 = {)" + floatList(randomValues(2304, 1)) + R"(}, float[16, 16, 3, 3] w2 = {)" +
                         floatList(randomValues(2304, 2)) + R"(}>
    {
      a = Conv <pads = [1, 1, 1, 1]> (x, w1)
      r = Relu (a)
      y = Conv <pads = [1, 1, 1, 1]> (r, w2)
    })");
  // Nodes from text have no names: their labels are their first outputs.
  nlohmann::json report;
  Model out = runPasses(m, "decompose-tucker(ratio=0.3,layers='y'),dce", &report);
  REQUIRE(report[0]["rewrites"].size() == 1);
  const auto& d = report[0]["rewrites"][0]["details"];
  CHECK(d["layer"] == "y");
  double ratio = double(d["params_after"].get<int64_t>()) / d["params_before"].get<int64_t>();
  CHECK(ratio == Approx(0.3).margin(0.06));
  CHECK(countOps(out.proto, "Conv") == 4);
}

TEST_CASE("decompose-tucker on the bundled residual CNN: full rank on its 32-channel block matches in ONNX Runtime") {
  auto model = loadModel(testData("rescnn.onnx"));
  REQUIRE(model.ok());
  nlohmann::json report;
  Model out = runPasses(model->proto, "decompose-tucker(rank=32,layers='/block1/*'),dce", &report);
  CHECK(report[0]["summary"]["decomposed"] == 2);
  CHECK(countOps(out.proto, "Conv") == countOps(model->proto, "Conv") + 4);
  std::vector<int64_t> shape;
  auto x = fashionImages(32, shape);
  requireSameOutputsInOrt(model->proto, out.proto, {x}, {shape}, 1e-4);
}

TEST_CASE("decompose-svd, -tucker and -cp leave no replaced weight behind, without a dce after them") {
  // The factors replace the kernel: the kernel must not stay in the file (a shared one would).
  for (const auto& [file, pipeline, gone] :
       {std::tuple<std::string, std::string, std::string>{"lenet300.onnx", "decompose-svd(ratio=0.5,layers='/fc1/Gemm')", "fc1.weight"},
        {"rescnn.onnx", "decompose-tucker(ratio=0.5,layers='/block2/a/conv/Conv')", "block2.a.conv.weight"},
        {"rescnn.onnx", "decompose-cp(rank=8,layers='/block2/a/conv/Conv')", "block2.a.conv.weight"}}) {
    INFO(pipeline);
    auto model = loadModel(testData(file));
    REQUIRE(model.ok());
    bool had = false;
    for (const auto& t : model->proto.graph().initializer()) had = had || t.name() == gone;
    REQUIRE(had);
    Model out = runPasses(model->proto, pipeline);
    std::set<std::string> read;
    for (const auto& n : out.proto.graph().node()) read.insert(n.input().begin(), n.input().end());
    for (const auto& t : out.proto.graph().initializer()) {
      CHECK(t.name() != gone);
      CHECK(read.count(t.name()));
    }
  }
}
