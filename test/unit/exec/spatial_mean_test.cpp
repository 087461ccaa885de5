// GlobalAveragePool and ReduceMean over trailing axes (lib/exec/ops/contiguous_sum.h) against sums in
// double: planes shorter than, equal to and longer than the 16 partial sums, odd sizes, two threads.
#include <catch2/catch.hpp>

#include "lib/exec/ops/contiguous_sum.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

// Mean over the last `trailing` dims of x, in double.
Tensor naiveMean(const Tensor& x, int trailing, std::vector<int64_t> out_dims) {
  int64_t count = 1;
  for (size_t d = x.dims().size() - trailing; d < x.dims().size(); ++d) count *= x.dims()[d];
  Tensor y(DType::Float, out_dims);
  for (int64_t o = 0; o < y.numel(); ++o) {
    double acc = 0;
    for (int64_t i = 0; i < count; ++i) acc += x.data<float>()[o * count + i];
    y.data<float>()[o] = static_cast<float>(acc / count);
  }
  return y;
}

}  // namespace

TEST_CASE("contiguousSum matches a sum in double for every length around its 16 lanes", "[exec][mean]") {
  Tensor x = randomTensor({1000}, 91);
  for (int64_t n : {0, 1, 5, 15, 16, 17, 31, 32, 33, 49, 196, 1000}) {
    double want = 0;
    for (int64_t i = 0; i < n; ++i) want += x.data<float>()[i];
    INFO("n " << n);
    CHECK(ops::contiguousSum(x.data<float>(), n) == Approx(want).margin(1e-5));
  }
}

TEST_CASE("GlobalAveragePool and ReduceMean over trailing axes match a mean in double", "[exec][mean]") {
  for (const std::vector<int64_t>& dims : std::vector<std::vector<int64_t>>{{2, 3, 7, 7}, {1, 5, 1, 3}, {3, 4, 17, 9}}) {
    for (int threads : {1, 2}) {
      Tensor x = randomTensor(dims, 92);
      const std::vector<int64_t> pooled = {dims[0], dims[1], 1, 1};
      Model gap = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints(dims) + "] X) => (float[" +
                                ints(pooled) + "] Y) {\n  Y = GlobalAveragePool(X)\n}");
      CHECK(closeness(runOk(*makeExecutor(gap, threads), {&x})[0], naiveMean(x, 2, pooled)) <= 1.0);
      // ReduceMean over H, W without keepdims, and over C, H, W with.
      const std::vector<int64_t> nc = {dims[0], dims[1]}, n111 = {dims[0], 1, 1, 1};
      Model hw = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints(dims) + "] X) => (float[" +
                               ints(nc) + "] Y) {\n  Y = ReduceMean <axes = [-1, 2], keepdims = 0> (X)\n}");
      CHECK(closeness(runOk(*makeExecutor(hw, threads), {&x})[0], naiveMean(x, 2, nc)) <= 1.0);
      Model chw = modelFromText("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints(dims) + "] X) => (float[" +
                                ints(n111) + "] Y) {\n  Y = ReduceMean <axes = [1, 2, 3]> (X)\n}");
      CHECK(closeness(runOk(*makeExecutor(chw, threads), {&x})[0], naiveMean(x, 3, n111)) <= 1.0);
    }
  }
}
