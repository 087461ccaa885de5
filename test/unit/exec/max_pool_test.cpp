// MaxPool's 2-D path (lib/exec/ops/pool_common.h: column maxima, then tap by tap over a padded row)
// against a naive loop: stride 1 with padding (GoogLeNet's inception branch), ceil_mode, unequal strides
// and asymmetric pads, windows wider than the map, two threads.
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

}  // namespace

TEST_CASE("MaxPool 2-D matches a naive loop", "[exec][maxpool]") {
  const PoolCase cases[] = {
      {1, 3, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, false},   // inception branch
      {2, 4, 13, 11, 3, 3, 2, 2, 0, 0, 0, 0, true},    // ceil_mode
      {1, 2, 9, 17, 2, 3, 1, 2, 1, 0, 0, 2, false},    // unequal strides, asymmetric pads
      {1, 2, 7, 5, 5, 5, 3, 3, 2, 2, 2, 2, true},      // window wider than the map
      {3, 5, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, false},
  };
  uint32_t seed = 900;
  for (const PoolCase& c : cases)
    for (int threads : {1, 2}) {
      Tensor x = randomTensor({c.N, c.C, c.H, c.W}, seed++);
      const int64_t OH = outSize(c.H, c.kh, c.sh, c.pt, c.pb, c.ceil), OW = outSize(c.W, c.kw, c.sw, c.pl, c.pr, c.ceil);
      Tensor want(DType::Float, {c.N, c.C, OH, OW});
      for (int64_t p = 0; p < c.N * c.C; ++p)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            float best = std::numeric_limits<float>::lowest();
            for (int64_t a = 0; a < c.kh; ++a)
              for (int64_t b = 0; b < c.kw; ++b) {
                const int64_t ih = oh * c.sh - c.pt + a, iw = ow * c.sw - c.pl + b;
                if (ih >= 0 && ih < c.H && iw >= 0 && iw < c.W) best = std::max(best, x.data<float>()[(p * c.H + ih) * c.W + iw]);
              }
            want.data<float>()[(p * OH + oh) * OW + ow] = best;
          }
      auto s = [](std::initializer_list<int64_t> v) {
        std::string r;
        for (int64_t i : v) r += (r.empty() ? "" : ", ") + std::to_string(i);
        return r;
      };
      const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + s({c.N, c.C, c.H, c.W}) +
                               "] X) => (float[" + s({c.N, c.C, OH, OW}) + "] Y) {\n  Y = MaxPool <kernel_shape = [" +
                               s({c.kh, c.kw}) + "], strides = [" + s({c.sh, c.sw}) + "], pads = [" +
                               s({c.pt, c.pl, c.pb, c.pr}) + "], ceil_mode = " + (c.ceil ? "1" : "0") + "> (X)\n}";
      INFO(text << " threads " << threads);
      CHECK(closeness(runOk(*makeExecutor(modelFromText(text), threads), {&x})[0], want) <= 1.0);
    }
}
