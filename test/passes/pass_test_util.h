// Shared by the pass tests: run a pipeline on a ModelProto, compare models in ONNX Runtime.
#pragma once
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "lib/ir/onnx_io.h"
#include "lib/ir/tensor.h"
#include "lib/pass/pipeline.h"
#include "passes/registry.h"
#include "test/support/test_support.h"

namespace dnnc::test {

// calibration: the command's --data, for passes that need data (then on one thread, so that results do
// not depend on the machine).
inline Model runPasses(const onnx::ModelProto& proto, const std::string& pipeline, nlohmann::json* report = nullptr,
                       const Calibration* calibration = nullptr) {
  Model m;
  m.proto = proto;
  m.base_dir = ".";
  auto p = parsePipeline(pipeline, builtinPasses());
  REQUIRE(p.ok());
  PassContext ctx;
  if (calibration) {
    ctx.calibration = *calibration;
    ctx.threads = 1;
  }
  auto r = runPipeline(m, *p, builtinPasses(), ctx);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  if (report) *report = *r;
  auto st = checkModel(m);
  INFO((st.ok() ? std::string() : st.error().message()));
  REQUIRE(st.ok());
  return m;
}

// Runs a pipeline expecting it to fail; returns the error.
inline Error pipelineError(const onnx::ModelProto& proto, const std::string& pipeline) {
  Model m;
  m.proto = proto;
  m.base_dir = ".";
  auto p = parsePipeline(pipeline, builtinPasses());
  if (!p) return p.error();
  PassContext ctx;
  auto r = runPipeline(m, *p, builtinPasses(), ctx);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

// Sets element `index` of the float initializer `name` of m to `value` (a weight with an inf or NaN).
inline void setWeightElement(onnx::ModelProto& m, const std::string& name, size_t index, float value) {
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.name() != name) continue;
    auto v = readTensor(t, ".");
    REQUIRE(v.ok());
    std::vector<float> f = v->toFloats();
    f.at(index) = value;
    writeTensor(Tensor::fromFloats(f, v->dims()), t);
    return;
  }
  FAIL("no initializer " << name);
}

inline std::vector<float> randomValues(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Runs both models in ONNX Runtime on the same inputs and requires every output to agree within rtol
// (relative to the output's largest magnitude). Skips with a warning where ORT is unavailable.
inline void requireSameOutputsInOrt(const onnx::ModelProto& a, const onnx::ModelProto& b,
                                    const std::vector<std::vector<float>>& inputs,
                                    const std::vector<std::vector<int64_t>>& shapes, double rtol) {
  if (ortRunner().empty()) {
    WARN("ONNX Runtime (npm onnxruntime-node) not installed: skipping the runtime comparison");
    return;
  }
  std::string dir = scratchDir("ortcmp");
  writeBytes(dir + "/a.onnx", a.SerializeAsString());
  writeBytes(dir + "/b.onnx", b.SerializeAsString());
  auto ra = runOrt(dir + "/a.onnx", inputs, shapes);
  auto rb = runOrt(dir + "/b.onnx", inputs, shapes);
  INFO(ra.error << rb.error);
  REQUIRE(ra.ok);
  REQUIRE(rb.ok);
  REQUIRE(ra.values.size() == rb.values.size());
  for (size_t k = 0; k < ra.values.size(); ++k) {
    REQUIRE(ra.shapes[k] == rb.shapes[k]);
    double scale = 0, worst = 0;
    for (float v : ra.values[k]) scale = std::max(scale, std::abs(double(v)));
    for (size_t i = 0; i < ra.values[k].size(); ++i)
      worst = std::max(worst, std::abs(double(ra.values[k][i]) - double(rb.values[k][i])));
    INFO("output " << k << ": max abs diff " << worst << " vs max magnitude " << scale);
    CHECK(worst <= rtol * std::max(scale, 1e-30));
  }
}

}  // namespace dnnc::test
