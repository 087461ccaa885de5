// Fine-tuning on the bundled models: masks keep pruned weights at zero, accuracy recovers, Gather
// codebooks get the summed gradients of their clusters, runs are deterministic for a seed, and
// label-free distillation moves the student towards the teacher.
#include <algorithm>
#include <cmath>

#include "lib/ir/onnx_io.h"
#include "lib/support/atomic_file.h"
#include "lib/train/finetune.h"
#include "lib/train/tape.h"
#include "test/unit/train/train_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

Model bundled(const std::string& name) { return bundledModel(name); }
train::Dataset trainSet(const Model& m, int64_t limit) { return fashionSet(m, "train_5000", limit); }
train::Dataset testSet(const Model& m) { return fashionSet(m, "test_2000"); }

// Zeroes the `fraction` smallest-magnitude entries of every rank >= 2 float initializer (naive sort).
void zeroSmallest(Model& m, double fraction) {
  for (auto& init : *m.graph().mutable_initializer()) {
    if (init.dims_size() < 2) continue;
    auto t = readTensor(init, "");
    REQUIRE(t.ok());
    std::vector<float> v = t->toFloats();
    std::vector<float> mags(v.size());
    for (size_t i = 0; i < v.size(); ++i) mags[i] = std::abs(v[i]);
    std::vector<float> sorted = mags;
    const size_t cut = static_cast<size_t>(fraction * static_cast<double>(v.size()));
    std::nth_element(sorted.begin(), sorted.begin() + cut, sorted.end());
    const float thr = sorted[cut];
    for (size_t i = 0; i < v.size(); ++i)
      if (mags[i] < thr) v[i] = 0.0f;
    writeTensor(Tensor::fromFloats(v, t->dims()), init);
  }
}

std::vector<float> weights(const Model& m, const std::string& name) {
  for (const auto& init : m.graph().initializer())
    if (init.name() == name) return readTensor(init, "")->toFloats();
  FAIL("no initializer " << name);
  return {};
}

}  // namespace

TEST_CASE("finetune: pruned LeNet-300-100 recovers accuracy and keeps its zeros", "[train][finetune]") {
  Model m = bundled("lenet300");
  zeroSmallest(m, 0.9);
  const auto before_w = weights(m, "fc1.weight");
  train::Dataset train_set = trainSet(m, 0), test_set = testSet(m);
  auto acc_pruned = train::accuracy(m, test_set, 1);
  REQUIRE(acc_pruned.ok());
  train::FinetuneOptions o;
  o.epochs = 1;
  o.batch = 32;
  o.optimizer.lr = 0.05;
  o.threads = 1;
  auto r = train::finetune(m, train_set, nullptr, nullptr, o);
  REQUIRE(r.ok());
  auto acc = train::accuracy(m, test_set, 1);
  REQUIRE(acc.ok());
  INFO("pruned " << *acc_pruned << " -> finetuned " << *acc << " (dense 0.9105)");
  CHECK(*acc > *acc_pruned + 0.02);
  // One epoch on 5,000 images after a one-shot 90 % cut in every layer: 47.9 % -> about 84 %.
  CHECK(*acc > 0.82);
  const auto after_w = weights(m, "fc1.weight");
  int64_t zeros = 0, moved = 0;
  for (size_t i = 0; i < before_w.size(); ++i) {
    if (before_w[i] == 0.0f) {
      ++zeros;
      CHECK(after_w[i] == 0.0f);
    } else {
      moved += after_w[i] != before_w[i];
    }
  }
  CHECK(zeros >= static_cast<int64_t>(0.89 * static_cast<double>(before_w.size())));
  CHECK(moved > 0);
  CHECK(r->masked_zeros > 0);
}

TEST_CASE("finetune: the same seed and threads give the same weights", "[train][finetune]") {
  Model base = bundled("lenet300");
  zeroSmallest(base, 0.5);
  train::Dataset d = trainSet(base, 512);
  train::FinetuneOptions o;
  o.batch = 32;
  o.threads = 1;
  o.optimizer.kind = "adam";
  o.optimizer.lr = 1e-3;
  Model a = base, b = base, c = base;
  REQUIRE(train::finetune(a, d, nullptr, nullptr, o).ok());
  REQUIRE(train::finetune(b, d, nullptr, nullptr, o).ok());
  o.seed = 1;
  REQUIRE(train::finetune(c, d, nullptr, nullptr, o).ok());
  CHECK(weights(a, "fc2.weight") == weights(b, "fc2.weight"));
  CHECK(weights(a, "fc2.weight") != weights(c, "fc2.weight"));
}

TEST_CASE("finetune: freeze leaves the named parameters as they are and trains the others", "[train][finetune]") {
  Model base = bundled("lenet300");
  train::Dataset d = trainSet(base, 256);
  train::FinetuneOptions o;
  o.batch = 32;
  o.threads = 1;
  o.freeze = {"fc1.bias", "fc2.*"};
  Model m = base;
  REQUIRE(train::finetune(m, d, nullptr, nullptr, o).ok());
  for (const char* frozen : {"fc1.bias", "fc2.weight", "fc2.bias"}) CHECK(weights(m, frozen) == weights(base, frozen));
  for (const char* trained : {"fc1.weight", "fc3.weight", "fc3.bias"}) CHECK(weights(m, trained) != weights(base, trained));
  // A pattern that names no parameter is a usage error, not a silent no-op.
  o.freeze = {"fc9.bias"};
  Model n = base;
  auto r = train::finetune(n, d, nullptr, nullptr, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Exit::Usage);
}

TEST_CASE("finetune: label-free distillation moves a pruned student towards its teacher", "[train][finetune]") {
  Model teacher = bundled("lenet5");
  Model student = teacher;
  zeroSmallest(student, 0.9);
  train::Dataset d = trainSet(student, 2000);
  d.labels.clear();  // label-free
  train::Dataset test_set = testSet(student);
  auto tl = train::teacherLogits(teacher, d, 1);
  REQUIRE(tl.ok());
  auto before = train::accuracy(student, test_set, 1);
  train::FinetuneOptions o;
  o.threads = 1;
  o.optimizer.lr = 0.01;
  auto r = train::finetune(student, d, &*tl, nullptr, o);
  REQUIRE(r.ok());
  CHECK(r->objective == "distillation");
  auto after = train::accuracy(student, test_set, 1);
  INFO("student " << *before << " -> " << *after);
  CHECK(*after > *before + 0.01);
}

TEST_CASE("finetune: a Gather codebook moves by the summed gradients of its cluster", "[train][finetune]") {
  // W [4,3] = Gather(codebook [5], idx [4,3]); one plain-SGD step over the whole batch.
  const std::string shared = R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[6,4] x, float[5] cb) => (float[6,3] y) {
      w = Gather (cb, idx)
      y = MatMul (x, w)
    })";
  Model m = textModel(shared, {{"cb", {5}, -1.0f, 1.0f}});
  auto* idx = m.graph().add_initializer();
  idx->set_name("idx");
  idx->set_data_type(onnx::TensorProto::INT64);
  idx->add_dims(4), idx->add_dims(3);
  const std::vector<int64_t> clusters = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1};
  for (int64_t v : clusters) idx->add_int64_data(v);
  const std::vector<float> cb = weights(m, "cb");
  // Reference: the same model with W expanded to a plain initializer; its gradient summed per cluster.
  const std::string plain = R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[6,4] x, float[4,3] w) => (float[6,3] y) { y = MatMul (x, w) })";
  Model p = textModel(plain, {});
  std::vector<float> wv(12);
  for (int i = 0; i < 12; ++i) wv[i] = cb[clusters[i]];
  auto* wi = p.graph().add_initializer();
  wi->set_name("w");
  wi->set_data_type(onnx::TensorProto::FLOAT);
  wi->add_dims(4), wi->add_dims(3);
  writeTensor(Tensor::fromFloats(wv, {4, 3}), *wi);
  train::Dataset d;
  d.x = randomBuf({6, 4}, 21);
  d.labels = {0, 1, 2, 0, 1, 2};
  auto tape = train::Tape::create(p, {.threads = 1});
  REQUIRE(tape.ok());
  REQUIRE((*tape)->forward(d.x, train::Phase::Train).ok());
  train::Buf g;
  train::lossAndGrad((*tape)->output(), d.labels, nullptr, {}, g);
  (*tape)->seedGrad(g);
  (*tape)->backward(train::Mode::Gradient);
  std::vector<double> summed(5, 0.0);
  for (int i = 0; i < 12; ++i) summed[clusters[i]] += (*tape)->paramGrad(0).v[i];

  train::FinetuneOptions o;
  o.batch = 6;
  o.threads = 1;
  o.optimizer.lr = 0.5;
  o.optimizer.momentum = 0.0;
  REQUIRE(train::finetune(m, d, nullptr, nullptr, o).ok());
  const std::vector<float> after = weights(m, "cb");
  for (int k = 0; k < 5; ++k) CHECK(after[k] == Approx(cb[k] - 0.5 * summed[k]).margin(1e-6));
  // The graph still shares: the indices are untouched.
  bool found = false;
  for (const auto& init : m.graph().initializer())
    if (init.name() == "idx") found = readTensor(init, "")->dims() == std::vector<int64_t>{4, 3};
  CHECK(found);
}
