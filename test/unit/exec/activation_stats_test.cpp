// Activation statistics: zero fraction, range, histogram and zero runs, streamed over batches.
#include <catch2/catch.hpp>

#include "lib/exec/activation_stats.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

TEST_CASE("zeros, range, histogram and run lengths of a known array", "[exec][stats]") {
  // Two samples of 8: runs [2, 1, 3] then [4, 1(end)].
  const float data[16] = {0, 0, 1, 0, 2, 0, 0, 0,   // sample 0
                          0, 0, 0, 0, -1, 3, 5, 0};  // sample 1
  ActivationStats s;
  double sum = 0;
  ActivationStatsOptions opt;
  opt.bins = 8;
  opt.max_run = 3;
  int64_t dims[2] = {2, 8};
  accumulateActivation(s, data, dims, opt, sum);
  CHECK(s.count == 16);
  CHECK(s.zeros == 11);
  CHECK(s.min == -1);
  CHECK(s.max == 5);
  CHECK(s.mean == Approx(10.0 / 16));
  int64_t total = 0;
  for (int64_t c : s.histogram.counts) total += c;
  CHECK(total == 16);
  CHECK(s.runs == 5);
  // Runs of 1: two (sample 0's "0" at 3 and sample 1's trailing 0); of 2: one; of >= 3: two (3 and 4).
  CHECK(s.zero_runs == std::vector<int64_t>{2, 1, 2});
  // A second batch with a wider range grows the histogram without losing counts.
  const float more[4] = {-10, 0, 20, 0};
  int64_t d2[2] = {1, 4};
  accumulateActivation(s, more, d2, opt, sum);
  CHECK(s.min == -10);
  CHECK(s.max == 20);
  total = 0;
  for (int64_t c : s.histogram.counts) total += c;
  CHECK(total == 20);
  CHECK(s.histogram.lo <= -10);
  CHECK(s.histogram.hi >= 20);
  CHECK(s.zeroFraction() == Approx(13.0 / 20));
}

TEST_CASE("the collector sees every Conv/Gemm/MatMul input activation over a data set", "[exec][stats]") {
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,1,6,6] X) => (float[N,4] Y) {
  c = Conv <pads = [1, 1, 1, 1]> (X, W)
  r = Relu (c)
  f = Flatten (r)
  g = Gemm <transB = 1> (f, G)
  Y = MatMul (g, M)
})");
  m.graph().mutable_node(0)->set_name("conv");
  m.graph().mutable_node(3)->set_name("fc");
  addInitializer(m, "W", randomTensor({2, 1, 3, 3}, 1));
  addInitializer(m, "G", randomTensor({5, 72}, 2));
  addInitializer(m, "M", randomTensor({5, 4}, 3));
  auto exec = makeExecutor(m);
  // The data set: 10 samples, read in batches of 3.
  struct Source : ArraySource {
    Tensor t;
    explicit Source(Tensor x) : t(std::move(x)) {
      dtype_ = t.dtype();
      dims_ = t.dims();
      what_ = "test";
    }
    Status readRows(int64_t first, int64_t count, std::byte* dst) override {
      std::memcpy(dst, t.rawData() + first * rowBytes(), count * rowBytes());
      return {};
    }
  };
  Tensor x = randomTensor({10, 1, 6, 6}, 4);
  ValueInfo vi = exec->inputs()[0];
  auto loader = BatchLoader::create(std::make_unique<Source>(x), vi);
  REQUIRE(loader.ok());
  int calls = 0;
  auto stats = collectActivationStats(*exec, **loader, 3, {}, [&](int64_t, int64_t) { ++calls; });
  REQUIRE(stats.ok());
  CHECK(calls == 4);
  REQUIRE(stats->size() == 3);  // conv X, fc f, MatMul g (M is a weight)
  CHECK((*stats)[0].node == "conv");
  CHECK((*stats)[0].value == "X");
  CHECK((*stats)[0].count == 360);
  CHECK((*stats)[0].zeros == 0);
  CHECK((*stats)[1].node == "fc");
  CHECK((*stats)[1].count == 720);
  CHECK((*stats)[1].sample_dims == std::vector<int64_t>{72});
  CHECK((*stats)[1].zeros > 0);  // after Relu
  CHECK((*stats)[1].zeroFraction() < 1.0);
  CHECK((*stats)[2].op == "MatMul");
  CHECK((*stats)[2].count == 50);
}
