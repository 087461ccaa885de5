// The executor's recurrent, Resize and If kernels against ONNX Runtime on small models whose attribute
// combinations the ONNX backend node tests leave out: bidirectional and reverse passes with
// sequence_lens, initial states and peepholes, clip, input_forget, GRU's linear_before_reset; cubic
// Resize with exclude_outside, tf_crop_and_resize with extrapolation, nearest modes on shrinking; an If
// whose condition is computed at run time and whose branches read values of the enclosing graph.
// Weights are seeded random initializers; every output must match at rtol 1e-4, atol 1e-5.
#include <catch2/catch.hpp>

#include "test/support/test_support.h"
#include "test/unit/exec/exec_test_util.h"

using namespace dnnc;
using namespace dnnc::exectest;

namespace {

bool ortAvailable() {
  if (!test::ortRunner().empty()) return true;
  WARN("skipped: ONNX Runtime (npm onnxruntime-node) is not installed; `make ort` installs it");
  return false;
}

// Runs `m` in dnnc and in ONNX Runtime on the float inputs and requires every output to match.
void requireMatchesOrt(const Model& m, const std::vector<Tensor>& inputs, const std::string& tag) {
  INFO(tag);
  auto exec = makeExecutor(m, 2);
  std::vector<const Tensor*> ptrs;
  std::vector<std::vector<float>> values;
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& t : inputs) {
    ptrs.push_back(&t);
    values.push_back(t.toFloats());
    shapes.push_back(t.dims());
  }
  auto ours = runOk(*exec, ptrs);
  const std::string dir = test::scratchDir("ort_ops");
  test::writeBytes(dir + "/m.onnx", m.proto.SerializeAsString());
  auto ort = test::runOrt(dir + "/m.onnx", values, shapes);
  INFO(ort.error);
  REQUIRE(ort.ok);
  REQUIRE(ort.values.size() == ours.size());
  for (size_t k = 0; k < ours.size(); ++k) {
    INFO("output " << k);
    REQUIRE(ours[k].dims() == ort.shapes[k]);
    Tensor want = Tensor::fromFloats(ort.values[k], ort.shapes[k]);
    CHECK(closeness(ours[k], want) <= 1.0);
  }
}

Tensor int32Tensor(std::vector<int64_t> dims, std::vector<int32_t> values) {
  Tensor t(DType::Int32, std::move(dims));
  std::copy(values.begin(), values.end(), t.span<int32_t>().begin());
  return t;
}

Tensor floatTensor(std::vector<int64_t> dims, std::vector<float> values) {
  Tensor t(DType::Float, std::move(dims));
  std::copy(values.begin(), values.end(), t.span<float>().begin());
  return t;
}

}  // namespace

TEST_CASE("LSTM: bidirectional with sequence_lens, initial states and peepholes matches ONNX Runtime", "[ort][rnn]") {
  if (!ortAvailable()) return;
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 14]>
g (float[5,3,3] X) => (float[5,2,3,4] Y, float[2,3,4] Yh, float[2,3,4] Yc) {
  Y, Yh, Yc = LSTM <hidden_size: int = 4, direction: string = "bidirectional"> (X, W, R, B, lens, h0, c0, P)
})");
  addInitializer(m, "W", randomTensor({2, 16, 3}, 1));
  addInitializer(m, "R", randomTensor({2, 16, 4}, 2));
  addInitializer(m, "B", randomTensor({2, 32}, 3));
  addInitializer(m, "lens", int32Tensor({3}, {5, 2, 4}));
  addInitializer(m, "h0", randomTensor({2, 3, 4}, 4));
  addInitializer(m, "c0", randomTensor({2, 3, 4}, 5));
  addInitializer(m, "P", randomTensor({2, 12}, 6));
  requireMatchesOrt(m, {randomTensor({5, 3, 3}, 7, -2, 2)}, "lstm bidirectional");
}

TEST_CASE("LSTM: reverse with clip and input_forget matches ONNX Runtime", "[ort][rnn]") {
  if (!ortAvailable()) return;
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 14]>
g (float[6,2,5] X) => (float[6,1,2,3] Y, float[1,2,3] Yh, float[1,2,3] Yc) {
  Y, Yh, Yc = LSTM <hidden_size: int = 3, direction: string = "reverse", clip: float = 0.7, input_forget: int = 1> (X, W, R, B, lens)
})");
  addInitializer(m, "W", randomTensor({1, 12, 5}, 11));
  addInitializer(m, "R", randomTensor({1, 12, 3}, 12));
  addInitializer(m, "B", randomTensor({1, 24}, 13));
  addInitializer(m, "lens", int32Tensor({2}, {3, 6}));
  requireMatchesOrt(m, {randomTensor({6, 2, 5}, 14, -2, 2)}, "lstm reverse");
}

TEST_CASE("GRU: both linear_before_reset modes, bidirectional with sequence_lens, match ONNX Runtime", "[ort][rnn]") {
  if (!ortAvailable()) return;
  for (int lbr : {0, 1}) {
    Model m = modelFromText(std::string(R"(<ir_version: 8, opset_import: ["" : 14]>
g (float[4,3,2] X) => (float[4,2,3,5] Y, float[2,3,5] Yh) {
  Y, Yh = GRU <hidden_size: int = 5, direction: string = "bidirectional", linear_before_reset: int = )") +
                            std::to_string(lbr) + R"(> (X, W, R, B, lens, h0)
})");
    addInitializer(m, "W", randomTensor({2, 15, 2}, 21));
    addInitializer(m, "R", randomTensor({2, 15, 5}, 22));
    addInitializer(m, "B", randomTensor({2, 30}, 23));
    addInitializer(m, "lens", int32Tensor({3}, {4, 1, 3}));
    addInitializer(m, "h0", randomTensor({2, 3, 5}, 24));
    requireMatchesOrt(m, {randomTensor({4, 3, 2}, 25, -2, 2)}, "gru lbr=" + std::to_string(lbr));
  }
}

TEST_CASE("RNN: bidirectional with Relu and Tanh activations and sequence_lens matches ONNX Runtime", "[ort][rnn]") {
  if (!ortAvailable()) return;
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 14]>
g (float[5,2,3] X) => (float[5,2,2,4] Y, float[2,2,4] Yh) {
  Y, Yh = RNN <hidden_size: int = 4, direction: string = "bidirectional", activations: strings = ["Relu", "Tanh"]> (X, W, R, B, lens)
})");
  addInitializer(m, "W", randomTensor({2, 4, 3}, 31));
  addInitializer(m, "R", randomTensor({2, 4, 4}, 32, -0.5f, 0.5f));
  addInitializer(m, "B", randomTensor({2, 8}, 33));
  addInitializer(m, "lens", int32Tensor({2}, {2, 5}));
  requireMatchesOrt(m, {randomTensor({5, 2, 3}, 34)}, "rnn");
}

TEST_CASE("Resize: cubic, tf_crop_and_resize and nearest variants match ONNX Runtime", "[ort][resize]") {
  if (!ortAvailable()) return;
  struct Case {
    const char* attrs;
    std::vector<float> roi, scales;  // empty scales: the output size `out` is given as `sizes`
    std::vector<int64_t> out;
  };
  const Case cases[] = {
      {R"(mode: string = "cubic", exclude_outside: int = 1, cubic_coeff_a: float = -0.5)", {}, {1, 1, 1.7f, 0.6f}, {2, 3, 11, 4}},
      {R"(mode: string = "cubic", coordinate_transformation_mode: string = "align_corners")", {}, {1, 1, 2, 2}, {2, 3, 14, 16}},
      {R"(mode: string = "linear", coordinate_transformation_mode: string = "tf_crop_and_resize", extrapolation_value: float = 3.5)",
       {0, 0, -0.2f, 0.3f, 1, 1, 0.8f, 1.4f}, {}, {2, 3, 10, 10}},
      {R"(mode: string = "nearest", coordinate_transformation_mode: string = "tf_crop_and_resize")",
       {0, 0, 0.1f, 0.2f, 1, 1, 0.9f, 1.2f}, {}, {2, 3, 5, 12}},
      {R"(mode: string = "nearest", nearest_mode: string = "round_prefer_ceil")", {}, {1, 1, 0.5f, 0.75f}, {2, 3, 3, 6}},
      {R"(mode: string = "nearest", nearest_mode: string = "ceil", coordinate_transformation_mode: string = "pytorch_half_pixel")",
       {}, {1, 1, 2.5f, 0.5f}, {2, 3, 17, 4}},
      {R"(mode: string = "linear", coordinate_transformation_mode: string = "pytorch_half_pixel")", {}, {1, 1, 0.45f, 3}, {2, 3, 3, 24}},
  };
  for (const Case& c : cases) {
    std::string out_dims;
    for (int64_t d : c.out) out_dims += (out_dims.empty() ? "" : ",") + std::to_string(d);
    Model m = modelFromText(std::string(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3,7,8] X) => (float[)") + out_dims + R"(] Y) {
  Y = Resize <)" + c.attrs + R"(> (X, roi, scales)" + (c.scales.empty() ? ", sizes" : "") + R"()
})");
    addInitializer(m, "roi", floatTensor({static_cast<int64_t>(c.roi.size())}, c.roi));
    addInitializer(m, "scales", floatTensor({static_cast<int64_t>(c.scales.size())}, c.scales));
    if (c.scales.empty()) {
      Tensor sizes(DType::Int64, {4});
      std::copy(c.out.begin(), c.out.end(), sizes.span<int64_t>().begin());
      addInitializer(m, "sizes", sizes);
    }
    requireMatchesOrt(m, {randomTensor({2, 3, 7, 8}, 41)}, c.attrs);
  }
}

TEST_CASE("If: a run-time condition picks the branch, and branches read the enclosing graph", "[ort][if]") {
  if (!ortAvailable()) return;
  // then: X * W (W an initializer of the outer graph); else: Neg(T) (T an intermediate of the outer graph).
  Model m = modelFromText(R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[2,3] X) => (float[2,3] Y) {
  S = ReduceSum <keepdims: int = 0> (X)
  zero = Constant <value: tensor = float {0}> ()
  C = Greater (S, zero)
  T = Add (X, X)
  Y = If (C) <
    then_branch: graph = thenb () => (float[2,3] A) { A = Mul (X, W) },
    else_branch: graph = elseb () => (float[2,3] B) { B = Neg (T) }
  >
})");
  addInitializer(m, "W", randomTensor({2, 3}, 51));
  requireMatchesOrt(m, {randomTensor({2, 3}, 52, 0.1f, 1.0f)}, "then branch");
  requireMatchesOrt(m, {randomTensor({2, 3}, 53, -1.0f, -0.1f)}, "else branch");
}
