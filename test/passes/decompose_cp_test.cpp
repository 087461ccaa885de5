#include <random>

#include "test/passes/decompose_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

// W_hat[k,c,i,j] = sum_r out[k,r] in[r,c] v[r,i] h[r,j], read back from the four convs.
std::vector<double> recompose(const onnx::ModelProto& m, int64_t& rank) {
  auto convs = nodesOf(m, "Conv");
  REQUIRE(convs.size() == 4);
  std::vector<int64_t> d1, d2, d3, d4;
  auto a = weightValues(m, convs[0]->input(1), &d1), v = weightValues(m, convs[1]->input(1), &d2),
       hz = weightValues(m, convs[2]->input(1), &d3), o = weightValues(m, convs[3]->input(1), &d4);
  const int64_t R = d1[0], C = d1[1], h = d2[2], w = d3[3], K = d4[0];
  REQUIRE(d2 == std::vector<int64_t>{R, 1, h, 1});
  REQUIRE(d3 == std::vector<int64_t>{R, 1, 1, w});
  REQUIRE(d4 == std::vector<int64_t>{K, R, 1, 1});
  rank = R;
  std::vector<double> out(static_cast<size_t>(K * C * h * w), 0.0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          double s = 0;
          for (int64_t r = 0; r < R; ++r) s += double(o[k * R + r]) * a[r * C + c] * v[r * h + i] * hz[r * w + j];
          out[static_cast<size_t>(((k * C + c) * h + i) * w + j)] = s;
        }
  return out;
}

// A kernel of exact CP rank `rank`.
std::vector<float> cpKernel(int K, int C, int h, int w, int rank, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  std::vector<float> A(K * rank), B(C * rank), V(h * rank), H(w * rank), out(K * C * h * w, 0.f);
  for (auto* f : {&A, &B, &V, &H})
    for (auto& x : *f) x = n(rng);
  for (int k = 0; k < K; ++k)
    for (int c = 0; c < C; ++c)
      for (int i = 0; i < h; ++i)
        for (int j = 0; j < w; ++j)
          for (int r = 0; r < rank; ++r) out[((k * C + c) * h + i) * w + j] += A[k * rank + r] * B[c * rank + r] * V[i * rank + r] * H[j * rank + r];
  return out;
}

const char* kAttrs = "strides = [2, 1], pads = [1, 0, 2, 2], dilations = [1, 2]";

}  // namespace

TEST_CASE("decompose-cp recovers an exactly rank-3 kernel and matches the conv in ONNX Runtime") {
  auto w = cpKernel(6, 4, 3, 3, 3, 1);
  auto b = randomValues(6, 2);
  auto original = convModel({6, 4, 3, 3}, w, b, 4, 9, 9, kAttrs);
  nlohmann::json report;
  Model out = runPasses(original, "decompose-cp(rank=3),dce", &report);
  auto convs = nodesOf(out.proto, "Conv");
  REQUIRE(convs.size() == 4);
  // Vertical conv: the H stride, pads and dilation; horizontal conv: the W ones; both depthwise.
  CHECK(intAttr(*convs[1], "group", 1) == 3);
  CHECK(intsAttr(*convs[1], "strides") == std::vector<int64_t>{2, 1});
  CHECK(intsAttr(*convs[1], "pads") == std::vector<int64_t>{1, 0, 2, 0});
  CHECK(intsAttr(*convs[1], "dilations").empty());
  CHECK(intAttr(*convs[2], "group", 1) == 3);
  CHECK(intsAttr(*convs[2], "strides").empty());
  CHECK(intsAttr(*convs[2], "pads") == std::vector<int64_t>{0, 0, 0, 2});
  CHECK(intsAttr(*convs[2], "dilations") == std::vector<int64_t>{1, 2});
  REQUIRE(convs[3]->input_size() == 3);
  const auto& d = report[0]["rewrites"][0]["details"];
  CHECK(d["rel_error"].get<double>() < 1e-5);
  CHECK(d["params_after"] == 3 * (6 + 4 + 3 + 3) + 6);
  int64_t rank = 0;
  CHECK(relError(w, recompose(out.proto, rank)) < 1e-5);
  CHECK(rank == 3);
  requireSameOutputsInOrt(original, out.proto, {randomValues(4 * 81, 3, -2.f, 2.f)}, {{1, 4, 9, 9}}, 1e-4);
}

TEST_CASE("decompose-cp at low rank: the reported error is the recomposed kernel's, and the graph computes it") {
  auto w = randomValues(8 * 5 * 3 * 3, 4), b = randomValues(8, 5);
  auto original = convModel({8, 5, 3, 3}, w, b, 5, 10, 9, kAttrs);
  nlohmann::json report;
  Model out = runPasses(original, "decompose-cp(ratio=0.4),dce", &report);
  const auto& d = report[0]["rewrites"][0]["details"];
  int64_t rank = 0;
  auto w_hat = recompose(out.proto, rank);
  CHECK(rank == int64_t(0.4 * 360 / 19));  // R = floor(ratio K C h w / (K + C + h + w))
  CHECK(d["rel_error"].get<double>() == Approx(relError(w, w_hat)).epsilon(1e-4));
  CHECK(report[0]["summary"]["max_rel_error"].get<double>() == d["rel_error"].get<double>());
  std::vector<float> w_hat_f(w_hat.begin(), w_hat.end());
  auto reference = convModel({8, 5, 3, 3}, w_hat_f, b, 5, 10, 9, kAttrs);
  requireSameOutputsInOrt(reference, out.proto, {randomValues(5 * 90, 6, -2.f, 2.f)}, {{1, 5, 10, 9}}, 1e-5);
}

TEST_CASE("decompose-cp needs a rank, rejects bad ones and refuses a model of only grouped convs") {
  auto m = convModel({4, 3, 3, 3}, randomValues(108, 1), randomValues(4, 2), 3, 5, 5, "");
  CHECK(pipelineError(m, "decompose-cp").code() == Exit::Usage);
  CHECK(pipelineError(m, "decompose-cp(rank=0)").code() == Exit::Usage);
  Error big = pipelineError(m, "decompose-cp(rank=37)");  // 108 elements / largest mode 4 = 27
  CHECK(big.code() == Exit::Usage);
  CHECK(big.message().find("exceeds the largest CP rank 27") != std::string::npos);
  CHECK(pipelineError(m, "decompose-cp(rank=2,layers='x*')").code() == Exit::Usage);
  auto pw = convModel({4, 2, 1, 1}, randomValues(8, 1), randomValues(4, 2), 4, 5, 5, "group = 2");
  // Nothing left to decompose: exit 4, naming the layer and why.
  Error none = pipelineError(pw, "decompose-cp(rank=2)");
  CHECK(none.code() == Exit::Target);
  CHECK_THAT(none.message(), Catch::Contains("y: grouped convolution (group 2)"));
}
