// Sigmoid and HardSigmoid followed by a Mul by their own input (SiLU, hard swish) run as one pass
// (KernelContext::fuseGate): against the formulas in double, fused or not (the intermediate fetched),
// either Mul operand order, and a Mul by something else, which must not fuse.
#include <catch2/catch.hpp>

#include <cmath>

#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

Tensor mapped(const Tensor& x, double (*f)(double)) {
  Tensor y(DType::Float, x.dims());
  for (int64_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = static_cast<float>(f(x.data<float>()[i]));
  return y;
}
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double silu(double x) { return x * sigmoid(x); }
double hardSigmoid(double x) { return std::max(0.0, std::min(1.0, x / 6.0 + 0.5)); }
double hardSwish(double x) { return x * hardSigmoid(x); }

}  // namespace

TEST_CASE("Sigmoid or HardSigmoid times its input runs fused and matches the formulas", "[exec][fusion]") {
  Tensor x = randomTensor({2, 5, 7, 9}, 801, -8.0f, 8.0f);
  struct Case {
    const char* act;
    const char* mul;  // the Mul's operands
    double (*f)(double), (*gated)(double);
  };
  const Case cases[] = {
      {"S = Sigmoid(X)", "Y = Mul(X, S)", sigmoid, silu},
      {"S = Sigmoid(X)", "Y = Mul(S, X)", sigmoid, silu},
      {"S = HardSigmoid <alpha = 0.16666667, beta = 0.5> (X)", "Y = Mul(S, X)", hardSigmoid, hardSwish},
      {"S = HardSigmoid <alpha = 0.16666667, beta = 0.5> (X)", "Y = Mul(X, S)", hardSigmoid, hardSwish},
  };
  for (const Case& c : cases)
    for (int threads : {1, 2}) {
      INFO(c.act << "; " << c.mul << " threads " << threads);
      Model m = modelFromText(std::string("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[2,5,7,9] X) => (float[2,5,7,9] Y) {\n  ") +
                              c.act + "\n  " + c.mul + "\n}");
      auto e = makeExecutor(m, threads);
      for (int rep = 0; rep < 2; ++rep) CHECK(closeness(runOk(*e, {&x})[0], mapped(x, c.gated)) <= 1.0);
      // The activation fetched: it stays f(x), and the product is still right.
      auto both = runOk(*e, {&x}, {.fetch = {"S", "Y"}});
      CHECK(closeness(both[0], mapped(x, c.f)) <= 1.0);
      CHECK(closeness(both[1], mapped(x, c.gated)) <= 1.0);
      CHECK(closeness(runOk(*e, {&x})[0], mapped(x, c.gated)) <= 1.0);
    }
}

TEST_CASE("Sigmoid times another value is not fused", "[exec][fusion]") {
  Tensor x = randomTensor({3, 17}, 802, -6.0f, 6.0f), z = randomTensor({3, 17}, 803);
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[3,17] X, float[3,17] Z) => (float[3,17] Y) {
  S = Sigmoid(X)
  Y = Mul(Z, S)
})");
  Tensor want(DType::Float, {3, 17});
  for (int64_t i = 0; i < want.numel(); ++i)
    want.data<float>()[i] = static_cast<float>(z.data<float>()[i] * sigmoid(x.data<float>()[i]));
  CHECK(closeness(runOk(*makeExecutor(m, 1), {&x, &z})[0], want) <= 1.0);
}
