// The 2-D pooling path (lib/exec/ops/pool_common.h: column maxima or sums, then tap by tap over a
// padded row) against naive loops, MaxPool and AveragePool (with and without count_include_pad): stride
// 1 with padding (GoogLeNet's inception branch, an SPP block: the stride-1 whole-plane path), DenseNet's
// 2x2 transition, ceil_mode, unequal strides and asymmetric pads, windows wider than the map, two threads.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

struct PoolCase {
  int64_t N, C, H, W, kh, kw, sh, sw, pt, pl, pb, pr;
  bool ceil;
};

int64_t outSize(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, bool ceil) {
  const int64_t span = in + p0 + p1 - k;
  int64_t o = (ceil ? (span + s - 1) / s : span / s) + 1;
  if (ceil && (o - 1) * s >= in + p0) --o;  // the last window must start inside the input or left padding
  return o;
}

const PoolCase kCases[] = {
    {1, 3, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, false},   // inception branch
    {2, 4, 13, 11, 3, 3, 2, 2, 0, 0, 0, 0, true},    // ceil_mode
    {1, 2, 9, 17, 2, 3, 1, 2, 1, 0, 0, 2, false},    // unequal strides, asymmetric pads
    {1, 2, 7, 5, 5, 5, 3, 3, 2, 2, 2, 2, true},      // window wider than the map
    {3, 5, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, false},
    {1, 6, 56, 56, 2, 2, 2, 2, 0, 0, 0, 0, false},   // DenseNet's transition
    {1, 2, 15, 15, 3, 3, 2, 2, 1, 1, 1, 1, true},    // ceil_mode window past the padding
    {1, 3, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, false},   // ResNet's stem pool
    {1, 3, 13, 13, 5, 5, 1, 1, 2, 2, 2, 2, false},   // an SPP block's same-size pool
    {2, 2, 10, 9, 3, 2, 1, 1, 0, 1, 2, 0, false},    // stride 1, asymmetric pads
    {1, 2, 6, 6, 3, 3, 1, 1, 0, 0, 0, 0, true},      // stride 1 without padding
    {1, 40, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, true},   // GoogLeNet's inception pool, many planes per chunk
};

// One pooling node over X in ONNX text; extra: further attributes ("count_include_pad = 1, ").
std::string poolModel(const char* op, const PoolCase& c, int64_t OH, int64_t OW, const std::string& extra = "") {
  return "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints({c.N, c.C, c.H, c.W}) + "] X) => (float[" +
         ints({c.N, c.C, OH, OW}) + "] Y) {\n  Y = " + op + " <" + extra + "kernel_shape = [" + ints({c.kh, c.kw}) +
         "], strides = [" + ints({c.sh, c.sw}) + "], pads = [" + ints({c.pt, c.pl, c.pb, c.pr}) +
         "], ceil_mode = " + (c.ceil ? "1" : "0") + "> (X)\n}";
}

// The naive reference: output (p, oh, ow) of every plane is window(p, h0, w0), the window's top-left
// corner (h0, w0) in input coordinates (negative in the padding).
template <class Window>
Tensor naivePool(const PoolCase& c, int64_t OH, int64_t OW, Window window) {
  Tensor want(DType::Float, {c.N, c.C, OH, OW});
  for (int64_t p = 0; p < c.N * c.C; ++p)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) want.data<float>()[(p * OH + oh) * OW + ow] = window(p, oh * c.sh - c.pt, ow * c.sw - c.pl);
  return want;
}

}  // namespace

TEST_CASE("MaxPool 2-D matches a naive loop", "[exec][maxpool]") {
  uint32_t seed = 900;
  for (const PoolCase& c : kCases)
    for (int threads : {1, 2}) {
      Tensor x = randomTensor({c.N, c.C, c.H, c.W}, seed++);
      const int64_t OH = outSize(c.H, c.kh, c.sh, c.pt, c.pb, c.ceil), OW = outSize(c.W, c.kw, c.sw, c.pl, c.pr, c.ceil);
      Tensor want = naivePool(c, OH, OW, [&](int64_t p, int64_t h0, int64_t w0) {
        float best = std::numeric_limits<float>::lowest();
        for (int64_t ih = h0; ih < h0 + c.kh; ++ih)
          for (int64_t iw = w0; iw < w0 + c.kw; ++iw)
            if (ih >= 0 && ih < c.H && iw >= 0 && iw < c.W) best = std::max(best, x.data<float>()[(p * c.H + ih) * c.W + iw]);
        return best;
      });
      const std::string text = poolModel("MaxPool", c, OH, OW);
      INFO(text << " threads " << threads);
      CHECK(closeness(runOk(*makeExecutor(modelFromText(text), threads), {&x})[0], want) <= 1.0);
    }
}

TEST_CASE("AveragePool 2-D matches a naive loop, with and without the padding counted", "[exec][avgpool]") {
  uint32_t seed = 950;
  for (const PoolCase& c : kCases)
    for (bool include_pad : {false, true})
      for (int threads : {1, 2}) {
        Tensor x = randomTensor({c.N, c.C, c.H, c.W}, seed++);
        const int64_t OH = outSize(c.H, c.kh, c.sh, c.pt, c.pb, c.ceil), OW = outSize(c.W, c.kw, c.sw, c.pl, c.pr, c.ceil);
        Tensor want = naivePool(c, OH, OW, [&](int64_t p, int64_t h0, int64_t w0) {
          double sum = 0;
          int64_t valid = 0, padded = 0;
          for (int64_t ih = h0; ih < h0 + c.kh; ++ih)
            for (int64_t iw = w0; iw < w0 + c.kw; ++iw) {
              // The padded input is [-pt, H + pb) x [-pl, W + pr): a ceil_mode window may reach past it.
              padded += ih < c.H + c.pb && iw < c.W + c.pr;
              if (ih >= 0 && ih < c.H && iw >= 0 && iw < c.W) {
                sum += x.data<float>()[(p * c.H + ih) * c.W + iw];
                ++valid;
              }
            }
          return static_cast<float>(sum / (include_pad ? padded : valid));
        });
        const std::string text = poolModel("AveragePool", c, OH, OW, include_pad ? "count_include_pad = 1, " : "");
        INFO(text << " threads " << threads);
        CHECK(closeness(runOk(*makeExecutor(modelFromText(text), threads), {&x})[0], want) <= 1.0);
      }
}
