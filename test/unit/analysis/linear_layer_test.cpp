// The linear view of Conv/Gemm/MatMul layers and the least-squares refit, against the executor's own
// convolution (conformance-tested) and against the matrices that generated the data.
#include <catch2/catch.hpp>
#include <onnx/defs/parser.h>

#include <random>

#include "lib/analysis/linear_layer.h"
#include "lib/exec/executor.h"
#include "lib/linalg/masked_least_squares.h"

using namespace dnnc;

namespace {

Tensor randomTensor(std::vector<int64_t> dims, uint32_t seed) {
  Tensor t(DType::Float, std::move(dims));
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (float& v : t.span<float>()) v = d(rng);
  return t;
}

Model convModel() {
  Model m;
  auto st = onnx::OnnxParser::Parse(m.proto, R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2, 3, 9, 11] x) => (float[2, 4, 4, 6] y) {
      y = Conv <pads = [1, 2, 0, 1], strides = [2, 2], dilations = [1, 2]> (x, w, b)
    })");
  REQUIRE(st.IsOK());
  auto add = [&](const char* name, const Tensor& t) {
    auto* init = m.proto.mutable_graph()->add_initializer();
    init->set_name(name);
    writeTensor(t, *init);
  };
  add("w", randomTensor({4, 3, 3, 2}, 1));
  add("b", randomTensor({4}, 2));
  return m;
}

}  // namespace

TEST_CASE("sampled im2col columns times the weight matrix give the executor's convolution", "[linear-layer]") {
  Model m = convModel();
  Graph g(m.graph(), ".");
  std::string why;
  auto layer = linearLayer(g, 0, why);
  REQUIRE(layer);
  CHECK(layer->fan_in == 3 * 3 * 2);
  CHECK(layer->outputs == 4);
  Tensor x = randomTensor({2, 3, 9, 11}, 3);
  auto exec = Executor::create(m, {.threads = 1});
  REQUIRE(exec.ok());
  auto y = (*exec)->run({&x});
  REQUIRE(y.ok());
  REQUIRE((*y)[0].dims() == std::vector<int64_t>{2, 4, 4, 6});
  std::mt19937_64 rng(7);
  LayerSamples s = sampleLayer(*layer, x, (*y)[0], 30, rng);
  REQUIRE(s.x.cols() == 30);
  auto w = weightMatrix(*layer, *g.readWeight("w"));
  auto b = g.readWeight("b")->toFloats();
  Eigen::MatrixXf predicted = w * s.x;
  for (int j = 0; j < s.x.cols(); ++j)
    for (int k = 0; k < 4; ++k) CHECK(predicted(k, j) + b[k] == Approx(s.y(k, j)).margin(1e-4));
}

TEST_CASE("grouped convolutions and computed weights are not linear layers, with a reason", "[linear-layer]") {
  Model m;
  REQUIRE(onnx::OnnxParser::Parse(m.proto, R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 4, 5, 5] x, float[2, 2, 3, 3] k) => (float[1, 2, 3, 3] y) {
      y = Conv <group = 2> (x, k)
    })").IsOK());
  Graph g(m.graph(), ".");
  std::string why;
  CHECK_FALSE(linearLayer(g, 0, why));
  CHECK(why == "its weight is computed, not a constant");
}

TEST_CASE("least squares on the support recovers the sparse matrix and bias that made the data", "[linear-layer]") {
  const int k = 12, m = 5, n = 400;
  std::mt19937 rng(11);
  std::normal_distribution<float> d(0.0f, 1.0f);
  RowMatrixF truth(m, k);
  std::vector<float> bias(m);
  for (int i = 0; i < m; ++i) {
    bias[i] = d(rng);
    for (int j = 0; j < k; ++j) truth(i, j) = (i + j) % 3 == 0 ? 0.0f : d(rng);
  }
  Eigen::MatrixXf x(k, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i) x(i, j) = d(rng);
  Eigen::MatrixXf y = truth * x;
  for (int i = 0; i < m; ++i) y.row(i).array() += bias[i];
  // Start from the right zero pattern with wrong values and no bias.
  RowMatrixF w = truth;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < k; ++j)
      if (w(i, j) != 0.0f) w(i, j) = 0.5f;
  std::vector<float> b(m, 0.0f);
  refitOnSupport(leastSquaresSystem(x, y), w, &b, 1e-9);
  for (int i = 0; i < m; ++i) {
    CHECK(b[i] == Approx(bias[i]).margin(1e-3));
    for (int j = 0; j < k; ++j) {
      CHECK(w(i, j) == Approx(truth(i, j)).margin(1e-3));
      if (truth(i, j) == 0.0f) CHECK(w(i, j) == 0.0f);  // zeros stay zeros
    }
  }
}
