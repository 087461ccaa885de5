#include <Eigen/SVD>

#include "test/passes/decompose_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

// x [2, 12] -> Gemm(transB = 1, alpha, beta) with W [10, 12] and bias [10].
onnx::ModelProto gemmModel(const std::vector<float>& w, const std::vector<float>& b) {
  return modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[2, 12] x) => (float[2, 10] y)
    <float[10, 12] w = {)" + floatList(w) + R"(}, float[10] b = {)" + floatList(b) + R"(}>
    { y = Gemm <transB = 1, alpha = 0.5, beta = 2.0> (x, w, b) })");
}

// Singular values of a row-major rows x cols matrix, by Eigen's Jacobi SVD.
Eigen::VectorXd singular(const std::vector<float>& w, int rows, int cols) {
  Eigen::MatrixXd m(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m(i, j) = w[i * cols + j];
  return Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
}

}  // namespace

TEST_CASE("decompose-svd at full rank reproduces a Gemm with transB, alpha, beta and bias in ONNX Runtime") {
  auto w = randomValues(120, 1), b = randomValues(10, 2);
  auto original = gemmModel(w, b);
  nlohmann::json report;
  Model out = runPasses(original, "decompose-svd(rank=10),dce", &report);
  auto gemms = nodesOf(out.proto, "Gemm");
  REQUIRE(gemms.size() == 2);
  CHECK(gemms[0]->input_size() == 2);
  REQUIRE(gemms[1]->input_size() == 3);
  CHECK(gemms[1]->input(2) == "b");
  CHECK(report[0]["rewrites"][0]["details"]["rel_error"].get<double>() < 1e-12);
  requireSameOutputsInOrt(original, out.proto, {randomValues(24, 3, -2.f, 2.f)}, {{2, 12}}, 1e-5);
}

TEST_CASE("decompose-svd by energy keeps the smallest rank holding that share, with the error of the dropped tail") {
  auto w = randomValues(120, 4), b = randomValues(10, 5);
  Eigen::VectorXd s = singular(w, 10, 12);
  const double total = s.squaredNorm();
  int expect = 0;
  double kept = 0;
  while (kept < 0.8 * total) kept += s[expect] * s[expect], ++expect;
  nlohmann::json report;
  Model out = runPasses(gemmModel(w, b), "decompose-svd(energy=0.8),dce", &report);
  const auto& d = report[0]["rewrites"][0]["details"];
  CHECK(d["ranks"][0] == expect);
  // (The model holds the weights as printed with 6 decimals, so the values differ in the 6th digit.)
  CHECK(d["rel_error"].get<double>() == Approx(std::sqrt((total - kept) / total)).epsilon(1e-5));
  // The two stored factors multiply back to a matrix with exactly that error.
  auto g = nodesOf(out.proto, "Gemm");
  std::vector<int64_t> d1, d2;
  auto a = weightValues(out.proto, g[0]->input(1), &d1), c = weightValues(out.proto, g[1]->input(1), &d2);
  REQUIRE(d1 == std::vector<int64_t>{expect, 12});  // transB kept: stored [r, inputs]
  REQUIRE(d2 == std::vector<int64_t>{10, expect});  // and [outputs, r]
  std::vector<double> w_hat(120, 0.0);
  for (int o = 0; o < 10; ++o)
    for (int i = 0; i < 12; ++i)
      for (int r = 0; r < expect; ++r) w_hat[o * 12 + i] += double(c[o * expect + r]) * a[r * 12 + i];
  CHECK(relError(w, w_hat) == Approx(d["rel_error"].get<double>()).epsilon(1e-4));
}

TEST_CASE("decompose-svd splits a MatMul and rejects bad ranks") {
  auto w = randomValues(8 * 6, 6);
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[3, 8] x) => (float[3, 6] y)
    <float[8, 6] w = {)" + floatList(w) + R"(}>
    { y = MatMul (x, w) })");
  Model out = runPasses(m, "decompose-svd(rank=6),dce");
  CHECK(countOps(out.proto, "MatMul") == 2);
  requireSameOutputsInOrt(m, out.proto, {randomValues(24, 7)}, {{3, 8}}, 1e-5);
  CHECK(pipelineError(m, "decompose-svd(rank=7)").code() == Exit::Usage);
  CHECK(pipelineError(m, "decompose-svd(rank=0)").code() == Exit::Usage);
  CHECK(pipelineError(m, "decompose-svd(energy=0)").code() == Exit::Usage);
  CHECK(pipelineError(m, "decompose-svd(energy=0.5,rank=2)").code() == Exit::Usage);
  CHECK(pipelineError(m, "decompose-svd(layers='fc*')").code() == Exit::Usage);
}

TEST_CASE("decompose-svd on the bundled LeNet-300-100 keeps its predictions at 99 % energy") {
  auto model = loadModel(testData("lenet300.onnx"));
  REQUIRE(model.ok());
  nlohmann::json report;
  Model out = runPasses(model->proto, "decompose-svd(energy=0.99),dce", &report);
  CHECK(report[0]["summary"]["decomposed"].get<int>() >= 2);
  for (const auto& r : report[0]["rewrites"]) CHECK(r["details"]["energy_kept"].get<double>() >= 0.99);
  std::vector<int64_t> shape;
  auto x = fashionImages(64, shape);
  requireSameOutputsInOrt(model->proto, out.proto, {x}, {shape}, 0.1);
}
