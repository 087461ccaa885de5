// Erf's vectorizable approximation (lib/exec/ops/erf_approx.h) against std::erf in double, on a dense
// grid over [-10, 10] (both branches, their 0.5 seam, the saturated tails) and on tiny inputs, where a
// formula of the form 1 - (...) would lose the value to cancellation; and the Erf node on it.
#include <catch2/catch.hpp>

#include <cmath>

#include "lib/exec/ops/erf_approx.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

TEST_CASE("erfApprox is within 4e-7 of erf, absolute and relative, and odd", "[exec][erf]") {
  double worst_abs = 0, worst_rel = 0;
  for (int i = -2000000; i <= 2000000; ++i) {
    const float x = static_cast<float>(i * 5e-6);
    const double exact = std::erf(static_cast<double>(x)), got = ops::erfApprox(x);
    worst_abs = std::max(worst_abs, std::fabs(got - exact));
    if (exact != 0) worst_rel = std::max(worst_rel, std::fabs(got - exact) / std::fabs(exact));
    if (ops::erfApprox(-x) != -ops::erfApprox(x)) FAIL("not odd at " << x);
  }
  for (float x : {1e-30f, 1e-20f, 1e-10f, 1e-6f, 3e-4f}) {
    const double exact = std::erf(static_cast<double>(x));
    worst_rel = std::max(worst_rel, std::fabs(ops::erfApprox(x) - exact) / exact);
  }
  INFO("worst absolute " << worst_abs << ", worst relative " << worst_rel);
  CHECK(worst_abs <= 4e-7);
  CHECK(worst_rel <= 8e-7);
  CHECK(ops::erfApprox(40.0f) == 1.0f);
  CHECK(ops::erfApprox(-40.0f) == -1.0f);
}

TEST_CASE("the Erf node matches std::erf", "[exec][erf]") {
  const char* text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[4, 1000] X) => (float[4, 1000] Y) {
  Y = Erf (X)
})";
  Tensor x = randomTensor({4, 1000}, 21, -4.0f, 4.0f);
  Tensor want(DType::Float, {4, 1000});
  for (int64_t i = 0; i < x.numel(); ++i) want.data<float>()[i] = static_cast<float>(std::erf(double{x.data<float>()[i]}));
  for (int threads : {1, 2}) CHECK(closeness(runOk(*makeExecutor(modelFromText(text), threads), {&x})[0], want, 1e-6, 1e-6) <= 1.0);
}
