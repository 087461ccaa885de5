// Helpers for the executor tests: models from ONNX text, seeded random tensors, closeness checks.
#pragma once
#include <onnx/defs/parser.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>

#include "lib/exec/executor.h"
#include "lib/ir/model.h"
#include "lib/ir/tensor.h"

namespace dnnc::exectest {

inline Model modelFromText(const std::string& text) {
  Model m;
  auto status = onnx::OnnxParser::Parse(m.proto, text.c_str());
  INFO(status.ErrorMessage());
  REQUIRE(status.IsOK());
  m.source = "<text>";
  return m;
}

// "1, 2, 3": dims and int-list attributes for the ONNX text of a test model.
inline std::string ints(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s;
}

// A float tensor of uniform values in [lo, hi) from a fixed seed.
inline Tensor randomTensor(std::vector<int64_t> dims, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::Float, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.span<float>()) v = dist(rng);
  return t;
}

// Adds `t` as an initializer named `name`.
inline void addInitializer(Model& m, const std::string& name, const Tensor& t) {
  auto* init = m.graph().add_initializer();
  init->set_name(name);
  writeTensor(t, *init);
}

inline std::unique_ptr<Executor> makeExecutor(const Model& m, int threads = 1) {
  auto e = Executor::create(m, {.threads = threads});
  if (!e) FAIL(e.error().message());
  return std::move(*e);
}

inline std::vector<Tensor> runOk(Executor& e, std::vector<const Tensor*> inputs, const ExecRunOptions& opts = {}) {
  auto out = e.run(inputs, opts);
  if (!out) FAIL(out.error().message());
  return std::move(*out);
}

// Max of |a - b| / (atol + rtol |b|): <= 1 means close.
inline double closeness(const Tensor& a, const Tensor& b, double rtol = 1e-4, double atol = 1e-5) {
  REQUIRE(a.dims() == b.dims());
  auto x = a.toFloats(), y = b.toFloats();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(double(x[i]) - y[i]) / (atol + rtol * std::abs(double(y[i]))));
  return worst;
}

}  // namespace dnnc::exectest
