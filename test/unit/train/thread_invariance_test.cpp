// The training kernels give the same gradients (bit for bit) and the same Gauss-Newton curvature for
// any thread count: Conv sums its weight gradient over fixed blocks of images in block order, and the
// other ops either split only independent elements or channels. A batch of 24 gives every Conv more
// than one block of chunks, so the cross-thread reduction is exercised.
#include <catch2/catch.hpp>

#include "test/unit/train/train_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

std::vector<std::vector<float>> gradients(const Model& model, int threads, train::Mode mode) {
  auto tape = train::Tape::create(model, {.threads = threads, .bn_batch_stats = true});
  REQUIRE(tape.ok());
  auto& t = **tape;
  const train::Buf x = randomBuf({24, 1, 28, 28}, 11);
  std::vector<int64_t> labels(24);
  for (int64_t i = 0; i < 24; ++i) labels[i] = i % 10;
  REQUIRE(t.forward(x, train::Phase::Train).ok());
  train::Buf g;
  train::lossAndGrad(t.output(), labels, nullptr, {}, g);
  t.seedGrad(g);
  t.backward(mode);
  std::vector<std::vector<float>> out;
  for (int k = 0; k < t.numParams(); ++k) out.push_back(t.paramGrad(k).v);
  return out;
}

}  // namespace

TEST_CASE("train: residual CNN gradients and curvature do not depend on the thread count", "[train]") {
  const Model model = bundledModel("rescnn");
  for (train::Mode mode : {train::Mode::Gradient, train::Mode::Curvature}) {
    const auto one = gradients(model, 1, mode);
    REQUIRE(!one.empty());
    for (int threads : {2, 3}) {
      const auto many = gradients(model, threads, mode);
      REQUIRE(many.size() == one.size());
      for (size_t k = 0; k < one.size(); ++k) {
        INFO("parameter " << k << ", " << threads << " threads");
        CHECK(many[k] == one[k]);
        double norm = 0;
        for (float v : one[k]) norm += double(v) * v;
        CHECK(norm > 0);
      }
    }
  }
}
