// quantize: QDQ weights that ONNX Runtime runs, with every weight within half a step of the original
// (checked against the dequantization formula computed here), per tensor and per channel.
#include <cmath>
#include <limits>

#include "lib/ir/graph.h"
#include "test/passes/pass_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

onnx::ModelProto convGemm() {
  auto m = modelFromText(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[1, 3, 8, 8] x) => (float[1, 10] y) {
      c = Conv <kernel_shape = [3, 3]> (x, wc)
      r = Relu(c)
      f = Flatten(r)
      y = Gemm <transB = 1> (f, wf, bf)
    }
  )");
  auto add = [&](const std::string& name, std::vector<int64_t> dims, uint32_t seed) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    auto v = randomValues(size_t(n), seed);
    for (size_t i = 0; i < v.size(); i += 5) v[i] = 0.0f;
    // Channel scales that differ by 100x make per-channel quantisation matter.
    for (size_t i = 0; i < v.size(); ++i) v[i] *= (i * size_t(dims[0]) / v.size()) % 2 ? 1.0f : 0.01f;
    auto* p = m.mutable_graph()->add_initializer();
    p->set_name(name);
    writeTensor(Tensor::fromFloats(v, dims), *p);
  };
  add("wc", {4, 3, 3, 3}, 1);
  add("wf", {10, 144}, 2);
  add("bf", {10}, 3);
  return m;
}

const onnx::TensorProto* init(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return &t;
  return nullptr;
}

// Dequantized weight from the QDQ initializers, by the ONNX formula (q - zp) * scale.
std::vector<float> dequantized(const onnx::ModelProto& m, const std::string& w, int64_t rows) {
  auto q = readTensor(*init(m, w + "_quantized"), ".");
  auto s = readTensor(*init(m, w + "_scale"), ".");
  auto z = readTensor(*init(m, w + "_zero_point"), ".");
  REQUIRE(q.ok());
  REQUIRE(s.ok());
  REQUIRE(z.ok());
  auto qv = q->toFloats(), sv = s->toFloats(), zv = z->toFloats();
  std::vector<float> out(qv.size());
  size_t per = qv.size() / size_t(rows);
  for (size_t i = 0; i < qv.size(); ++i) {
    size_t c = sv.size() == 1 ? 0 : i / per;
    out[i] = (qv[i] - zv[c]) * sv[c];
  }
  return out;
}

}  // namespace

TEST_CASE("quantize: QDQ per tensor and per channel, symmetric and asymmetric, runs in ORT") {
  auto m = convGemm();
  auto wf = readTensor(*init(m, "wf"), ".")->toFloats();
  auto x = randomValues(3 * 64, 4);
  double err_tensor = 0, err_channel = 0;
  for (const char* g : {"per-tensor", "per-channel"}) {
    for (const char* s : {"symmetric", "asymmetric"}) {
      std::string pipe = std::string("quantize(granularity=") + g + ",scheme=" + s + ")";
      INFO(pipe);
      Model q = runPasses(m, pipe);
      const auto* qi = init(q.proto, "wf_quantized");
      REQUIRE(qi);
      CHECK(qi->data_type() == (std::string(s) == "symmetric" ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8));
      CHECK(init(q.proto, "wf") == nullptr);
      auto d = dequantized(q.proto, "wf", 10);
      auto sc = readTensor(*init(q.proto, "wf_scale"), ".")->toFloats();
      size_t per = d.size() / 10;
      double err = 0;
      for (size_t i = 0; i < d.size(); ++i) {
        float step = sc[sc.size() == 1 ? 0 : i / per];
        CHECK(std::abs(d[i] - wf[i]) <= 0.5f * step * 1.0001f);
        if (wf[i] == 0.0f) CHECK(d[i] == 0.0f);
        err += (d[i] - wf[i]) * (d[i] - wf[i]);
      }
      (std::string(g) == "per-tensor" ? err_tensor : err_channel) += err;
      requireSameOutputsInOrt(m, q.proto, {x}, {{1, 3, 8, 8}}, 0.05);
    }
  }
  // Half the rows are 100x smaller: per tensor they quantise to a few levels, per channel they get
  // their own step, which removes their error (the large rows' error is the same either way).
  CHECK(err_channel < 0.6 * err_tensor);
}

TEST_CASE("quantize refuses a weight with inf or NaN values, naming it, instead of garbage int8") {
  for (float bad : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    onnx::ModelProto m = convGemm();
    setWeightElement(m, "wc", 3, bad);
    for (const char* pipeline : {"quantize", "quantize(granularity=per-tensor,scheme=asymmetric)"}) {
      INFO(pipeline << " with " << bad);
      Error e = pipelineError(m, pipeline);
      CHECK(e.code() == Exit::Input);
      CHECK(e.message().find("weight 'wc'") != std::string::npos);
      CHECK(e.message().find("non-finite") != std::string::npos);
    }
  }
}

TEST_CASE("quantize layers= quantizes only the layers it names, and refuses a name that is no layer") {
  auto m = convGemm();
  auto x = randomValues(3 * 64, 4);
  // By weight name, and by the weight's name without a suffix (the Gemm's node is unnamed).
  for (const char* pipe : {"quantize(layers=wf)", "quantize(layers=\"w?\")"}) {
    INFO(pipe);
    Model q = runPasses(m, pipe);
    const bool both = std::string(pipe).find('?') != std::string::npos;
    CHECK(init(q.proto, "wf_quantized") != nullptr);
    CHECK(init(q.proto, "wf") == nullptr);
    CHECK((init(q.proto, "wc_quantized") != nullptr) == both);
    CHECK((init(q.proto, "wc") == nullptr) == both);
    requireSameOutputsInOrt(m, q.proto, {x}, {{1, 3, 8, 8}}, 0.05);
  }
  Error e = pipelineError(m, "quantize(layers=wq)");
  CHECK(e.code() == Exit::Usage);
  CHECK(e.message().find("no weight layer named 'wq'") != std::string::npos);
}
