// Helpers for the training tests: small models from ONNX text with seeded random weights, and the
// central-finite-difference gradient check.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "lib/ir/model.h"
#include "lib/ir/onnx_io.h"
#include "lib/support/atomic_file.h"
#include "lib/train/dataset.h"
#include "lib/train/loss.h"
#include "lib/train/tape.h"
#include "test/support/test_support.h"

namespace dnnc::test {

struct WeightSpec {
  std::string name;
  std::vector<int64_t> dims;
  float lo = -0.5f, hi = 0.5f;
};

// Parses `text` (weights declared as graph inputs) and adds each weight as a seeded random initializer.
inline Model textModel(const std::string& text, const std::vector<WeightSpec>& weights, uint64_t seed = 1) {
  Model m;
  m.proto = modelFromText(text);
  std::mt19937_64 rng(seed);
  for (const auto& w : weights) {
    std::uniform_real_distribution<float> u(w.lo, w.hi);
    std::vector<float> v(static_cast<size_t>(train::Buf::count(w.dims)));
    for (auto& x : v) x = u(rng);
    auto* init = m.graph().add_initializer();
    init->set_name(w.name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : w.dims) init->add_dims(d);
    writeTensor(Tensor::fromFloats(v, w.dims), *init);
  }
  return m;
}

inline train::Buf randomBuf(std::vector<int64_t> dims, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  train::Buf b(std::move(dims));
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  for (auto& x : b.v) x = u(rng);
  return b;
}

// A bundled model (test/data/NAME.onnx).
inline Model bundledModel(const std::string& name) {
  auto bytes = readFile(testData(name + ".onnx"));
  REQUIRE(bytes.ok());
  auto m = parseModel(*bytes, name, testData(""));
  REQUIRE(m.ok());
  return std::move(*m);
}

// Reading test/data/fashion_SET_images.npy with the bundled models' preprocessing.
inline DataOptions fashionData(const std::string& set) {
  DataOptions d;
  d.path = testData("fashion_" + set + "_images.npy");
  d.scale = 1.0f / 255.0f;
  d.mean = "0.2860";
  d.std = "0.3530";
  return d;
}

// The bundled Fashion-MNIST set SET ("train_5000" or "test_2000") with its labels, first `limit` samples (0: all).
inline train::Dataset fashionSet(const Model& m, const std::string& set, int64_t limit = 0) {
  auto d = train::loadDataset(m, fashionData(set), testData("fashion_" + set + "_labels.npy"), limit);
  REQUIRE(d.ok());
  return std::move(*d);
}

// Mean cross-entropy of the tape's output against labels (double), after a forward.
inline double tapeLoss(train::Tape& tape, const train::Buf& x, const std::vector<int64_t>& labels, train::Phase phase) {
  REQUIRE(tape.forward(x, phase).ok());
  train::Buf g;
  return train::lossAndGrad(tape.output(), labels, nullptr, {}, g).loss;
}

// Checks every parameter's gradient against central differences on up to `probes` elements each:
// |analytic - numeric| <= rtol * max(|analytic|, |numeric|) + atol.
inline void checkGradients(const Model& model, const train::Buf& x, const std::vector<int64_t>& labels,
                           train::TapeOptions opts = {}, train::Phase phase = train::Phase::Eval, int probes = 12,
                           double eps = 1e-2, double rtol = 2e-2, double atol = 5e-4) {
  opts.threads = 1;
  auto tape = train::Tape::create(model, opts);
  REQUIRE(tape.ok());
  auto& t = **tape;
  REQUIRE(t.forward(x, phase).ok());
  train::Buf g;
  train::lossAndGrad(t.output(), labels, nullptr, {}, g);
  t.seedGrad(g);
  t.backward(train::Mode::Gradient);
  REQUIRE(t.numParams() > 0);
  std::mt19937_64 rng(7);
  for (int k = 0; k < t.numParams(); ++k) {
    const std::vector<float> analytic = t.paramGrad(k).v;
    REQUIRE(analytic.size() == t.param(k).v.size());
    const int64_t n = static_cast<int64_t>(analytic.size());
    for (int p = 0; p < std::min<int64_t>(probes, n); ++p) {
      const int64_t i = n <= probes ? p : static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
      const float saved = t.param(k).v[i];
      t.param(k).v[i] = saved + static_cast<float>(eps);
      const double up = tapeLoss(t, x, labels, phase);
      t.param(k).v[i] = saved - static_cast<float>(eps);
      const double down = tapeLoss(t, x, labels, phase);
      t.param(k).v[i] = saved;
      const double numeric = (up - down) / (2 * eps), a = analytic[i];
      INFO("param " << t.paramName(k) << "[" << i << "]: analytic " << a << ", numeric " << numeric);
      CHECK(std::abs(a - numeric) <= rtol * std::max(std::abs(a), std::abs(numeric)) + atol);
    }
  }
}

}  // namespace dnnc::test
