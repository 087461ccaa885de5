// Pad (lib/exec/ops/pad.cpp) against a naive loop over every output element: constant (zero, filled by
// memset, and not), edge and reflect modes, pads on every axis, negative pads that crop, and all-zero pads (DenseNet's exported pools carry
// one), whose output is the input's buffer passed on: a reader after it must still see the input.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

// Input index along one axis for output index o, or -1 for the constant (ONNX Pad semantics).
int64_t sourceIndex(int64_t o, int64_t begin, int64_t d, const std::string& mode) {
  int64_t i = o - begin;
  if (i >= 0 && i < d) return i;
  if (mode == "constant") return -1;
  if (mode == "edge") return i < 0 ? 0 : d - 1;
  while (i < 0 || i >= d) i = i < 0 ? -i : 2 * (d - 1) - i;  // reflect
  return i;
}

Tensor naivePad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode, float value) {
  const auto& xd = x.dims();
  const int r = static_cast<int>(xd.size());
  std::vector<int64_t> dims(r);
  for (int i = 0; i < r; ++i) dims[i] = xd[i] + pads[i] + pads[i + r];
  Tensor y(DType::Float, dims);
  std::vector<int64_t> idx(r, 0);
  for (int64_t e = 0; e < y.numel(); ++e) {
    int64_t rest = e, off = 0, stride = 1;
    bool constant = false;
    for (int d = r - 1; d >= 0; --d) {
      idx[d] = rest % dims[d];
      rest /= dims[d];
    }
    for (int d = r - 1; d >= 0; --d) {
      const int64_t s = sourceIndex(idx[d], pads[d], xd[d], mode);
      constant |= s < 0;
      off += s * stride;
      stride *= xd[d];
    }
    y.data<float>()[e] = constant ? value : x.data<float>()[off];
  }
  return y;
}

}  // namespace

TEST_CASE("Pad matches a naive loop in every mode, with crops and zero pads", "[exec][pad]") {
  struct Case {
    std::vector<int64_t> dims, pads;
  };
  const Case cases[] = {
      {{2, 3, 5, 7}, {0, 0, 1, 2, 0, 0, 2, 1}},     // spatial borders
      {{2, 3, 5, 7}, {0, 1, 0, 0, 1, 0, 0, 3}},     // channels and the last axis
      {{1, 2, 6, 6}, {0, 0, -1, -2, 0, 0, 1, -1}},  // crops, mixed with padding
      {{1, 2, 6, 6}, {0, 0, 0, 0, 0, 0, 0, 0}},     // nothing to pad
      {{4, 9}, {1, -3, 0, 2}},
  };
  uint32_t seed = 1200;
  for (const Case& c : cases)
    for (const auto& [mode, value] : {std::pair<std::string, float>{"constant", 0.5f}, {"constant", 0.0f}, {"edge", 0.0f},
                                      {"reflect", 0.0f}}) {
      Tensor x = randomTensor(c.dims, seed++);
      Tensor want = naivePad(x, c.pads, mode, value);
      std::vector<int64_t> out_dims = want.dims();
      // Y is Pad's output; Z reads X after it, so an aliased Y must not have written over X.
      const std::string text = "<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[" + ints(c.dims) +
                               "] X) => (float[" + ints(out_dims) + "] Y, float[" + ints(c.dims) +
                               "] Z) {\n  pads = Constant <value = int64[" + std::to_string(c.pads.size()) + "] {" +
                               ints(c.pads) + "}> ()\n  value = Constant <value = float {" + std::to_string(value) + "}> ()\n  Y = Pad <mode = \"" +
                               mode + "\"> (X, pads, value)\n  Z = Identity (X)\n}";
      INFO(text);
      auto out = runOk(*makeExecutor(modelFromText(text), 1), {&x});
      CHECK(closeness(out[0], want) == 0.0);
      CHECK(closeness(out[1], x) == 0.0);
    }
}
