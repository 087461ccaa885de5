// The training kernels give the same gradients (bit for bit) and the same Gauss-Newton curvature for
// any thread count: Conv sums its weight gradient over fixed blocks of images in block order, and the
// other ops either split only independent elements or channels. A batch of 24 gives every Conv more
// than one block of chunks, so the cross-thread reduction is exercised.
#include <catch2/catch.hpp>

#include "test/unit/train/train_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

std::vector<std::vector<float>> gradients(const Model& model, int threads, train::Mode mode,
                                          std::vector<int64_t> dims = {24, 1, 28, 28}) {
  auto tape = train::Tape::create(model, {.threads = threads, .bn_batch_stats = true});
  REQUIRE(tape.ok());
  auto& t = **tape;
  const train::Buf x = randomBuf(dims, 11);
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

// Gradients and curvature at 2 and 3 threads equal those at 1, bit for bit, and are not all zero.
void checkThreadInvariant(const Model& model, const std::vector<int64_t>& dims) {
  for (train::Mode mode : {train::Mode::Gradient, train::Mode::Curvature}) {
    const auto one = gradients(model, 1, mode, dims);
    REQUIRE(!one.empty());
    for (int threads : {2, 3}) {
      const auto many = gradients(model, threads, mode, dims);
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

}  // namespace

TEST_CASE("train: residual CNN gradients and curvature do not depend on the thread count", "[train]") {
  const Model model = bundledModel("rescnn");
  checkThreadInvariant(model, {24, 1, 28, 28});
}

TEST_CASE("train: depthwise Conv gradients and curvature do not depend on the thread count", "[train]") {
  // MobileNetV2's pattern: 1x1 expansion, BN, ReLU6 (Clip), depthwise 3x3 at stride 2 and 1 (threads
  // take channels), BN with batch statistics, read-out.
  const Model model = textModel(
      R"(<ir_version: 8, opset_import: ["" : 13]>
      g (float[24,3,15,14] x, float[8,3,1,1] w0, float[8] s0, float[8] b0, float[8] m0, float[8] v0, float[8,1,3,3] w1,
         float[8,1,3,3] w2, float[8] s1, float[8] b1, float[8] m1, float[8] v1, float[10,8] f) => (float[24,10] y) {
        e = Conv (x, w0)
        n0 = BatchNormalization (e, s0, b0, m0, v0)
        lo = Constant <value = float {0.0}> ()
        hi = Constant <value = float {6.0}> ()
        r0 = Clip (n0, lo, hi)
        d1 = Conv <group = 8, strides = [2, 2], pads = [1, 1, 1, 1]> (r0, w1)
        d2 = Conv <group = 8, pads = [1, 1, 1, 1]> (d1, w2)
        n1 = BatchNormalization (d2, s1, b1, m1, v1)
        r1 = Clip (n1, lo, hi)
        p = GlobalAveragePool (r1)
        fl = Flatten (p)
        y = Gemm <transB = 1> (fl, f)
      })",
      {{"w0", {8, 3, 1, 1}}, {"s0", {8}, 0.5f, 1.5f}, {"b0", {8}}, {"m0", {8}}, {"v0", {8}, 0.5f, 2.0f}, {"w1", {8, 1, 3, 3}},
       {"w2", {8, 1, 3, 3}}, {"s1", {8}, 0.5f, 1.5f}, {"b1", {8}}, {"m1", {8}}, {"v1", {8}, 0.5f, 2.0f}, {"f", {10, 8}}});
  checkThreadInvariant(model, {24, 3, 15, 14});
}
