// Transpose against a naive index loop: the permutations that reach the batched plane transpose
// (lib/exec/ops/transpose_planes.cpp: NCHW -> NHWC and back, at batch 1 and 3, a 2-D transpose), with
// sizes that are not multiples of its 8 x 8 blocks or 32 x 32 tiles, on one and two threads; and
// permutations that take the general strided copy. Each ISA path runs through the DNNC_ISA test entries.
#include <catch2/catch.hpp>

#include <string>

#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

Tensor naiveTranspose(const Tensor& x, const std::vector<int64_t>& perm) {
  const auto& xd = x.dims();
  const int r = static_cast<int>(xd.size());
  std::vector<int64_t> dims(r), in_strides(r, 1);
  for (int i = r - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * xd[i + 1];
  for (int i = 0; i < r; ++i) dims[i] = xd[perm[i]];
  Tensor y(DType::Float, dims);
  for (int64_t e = 0; e < y.numel(); ++e) {
    int64_t rest = e, off = 0;
    for (int i = r - 1; i >= 0; --i) {
      off += rest % dims[i] * in_strides[perm[i]];
      rest /= dims[i];
    }
    y.data<float>()[e] = x.data<float>()[off];
  }
  return y;
}

}  // namespace

TEST_CASE("Transpose matches a naive loop, through the plane transpose and the strided copy", "[exec][transpose]") {
  struct Case {
    std::vector<int64_t> dims, perm;
  };
  const Case cases[] = {
      {{1, 96, 56, 56}, {0, 2, 3, 1}},  // ConvNeXt's NCHW -> NHWC at batch 1: one 3136 x 96 plane
      {{3, 13, 5, 37}, {0, 2, 3, 1}},   // a batch of 185 x 13 planes: no whole 32 x 32 tile
      {{2, 9, 7, 40}, {0, 3, 1, 2}},    // NHWC -> NCHW
      {{37, 70}, {1, 0}},               // 2-D, edges in both directions
      {{64, 64}, {1, 0}},               // whole blocks only
      {{2, 3, 4, 5}, {3, 1, 0, 2}},     // the general strided copy
      {{4, 1, 6}, {2, 1, 0}},           // a size-1 dim dropped first
  };
  uint32_t seed = 700;
  for (const Case& c : cases)
    for (int threads : {1, 2}) {
      Tensor x = randomTensor(c.dims, seed++);
      Tensor want = naiveTranspose(x, c.perm);
      const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints(c.dims) +
                               "] X) => (float[" + ints(want.dims()) + "] Y) {\n  Y = Transpose <perm = [" +
                               ints(c.perm) + "]> (X)\n}";
      INFO(text << " threads " << threads);
      CHECK(closeness(runOk(*makeExecutor(modelFromText(text), threads), {&x})[0], want, 0.0, 0.0) == 0.0);
    }
}
