// Training through shared weights: the integer paths of a shared layer (Gather(codebook, Cast(indices)),
// Shape arithmetic) are constants to training, the codebook gets the summed gradients of its cluster
// (central finite differences here; PyTorch in reference_test.cpp), and fine-tuning keeps every shared
// layer's values: a `share` model in its Gather form, and a materialized one (share(materialize=true)),
// whose weights train tied to their values and end where the Gather form ends.
#include <algorithm>
#include <set>

#include "lib/ir/onnx_io.h"
#include "lib/train/finetune.h"
#include "lib/train/tape.h"
#include "test/passes/pass_test_util.h"
#include "test/unit/train/train_test_util.h"

using namespace dnnc;
using namespace dnnc::test;

namespace {

void addUint8(Model& m, const std::string& name, std::vector<int64_t> dims, const std::vector<uint8_t>& values) {
  Tensor t(DType::Uint8, std::move(dims));
  std::copy(values.begin(), values.end(), t.data<uint8_t>());
  auto* init = m.graph().add_initializer();
  init->set_name(name);
  writeTensor(t, *init);
}

Tensor initializer(const Model& m, const std::string& name) {
  for (const auto& init : m.graph().initializer())
    if (init.name() == name) {
      auto t = readTensor(init, "");
      REQUIRE(t.ok());
      return std::move(*t);
    }
  FAIL("no initializer " << name);
  return {};
}

size_t distinctNonzero(const std::vector<float>& v) {
  std::set<float> s;
  for (float x : v)
    if (x != 0.0f) s.insert(x);
  return s.size();
}

// LeNet-300-100 with half its weights pruned and 5-bit shared layers (up to 31 centroids and the zero), as
// `dnnc run --passes 'prune-magnitude(sparsity=0.5),share(fc-bits=5,...)'` writes it.
Model sharedLenet300(bool materialize) {
  Model dense = bundledModel("lenet300");
  return runPasses(dense.proto, std::string("prune-magnitude(sparsity=0.5),share(fc-bits=5,materialize=") +
                                    (materialize ? "true" : "false") + ")");
}

const char* kLayers[] = {"fc1.weight", "fc2.weight", "fc3.weight"};

// A materialized weight as it would be after the Gather form's training: codebook[indices].
std::vector<float> expand(const Model& gather_form, const std::string& weight) {
  const Tensor book = initializer(gather_form, weight + "_codebook");
  const Tensor idx = initializer(gather_form, weight + "_indices");
  std::vector<float> w(static_cast<size_t>(idx.numel()));
  for (size_t i = 0; i < w.size(); ++i) w[i] = book.data<float>()[idx.data<uint8_t>()[i]];
  return w;
}

train::FinetuneOptions sgdOptions() {
  train::FinetuneOptions o;
  o.epochs = 1;
  o.batch = 50;
  o.threads = 1;
  o.optimizer.lr = 0.001;  // a centroid moves by the sum of thousands of weight gradients
  return o;
}

}  // namespace

TEST_CASE("train: a codebook behind Cast(uint8 indices), with Shape arithmetic, against finite differences",
          "[train][grad]") {
  // share's form of a layer, W = Gather(codebook, Cast(indices, to=int32)), then a Reshape whose shape an
  // exporter computed: Shape -> Gather -> Unsqueeze -> Concat. Also a float Cast of the indices (a
  // constant to training) and a float-to-float Cast (gradient passes straight through).
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[3,4] x, float[6] cb, uint8[4,3] idx) => (float[3,3] y) {
      i32 = Cast <to = 6> (idx)
      w = Gather (cb, i32)
      wc = Cast <to = 1> (w)
      iw = Cast <to = 1> (idx)
      ws = Mul (wc, iw)
      h = MatMul (x, ws)
      s = Shape (h)
      zero = Constant <value = int64 {0}> ()
      n = Gather (s, zero)
      ax = Constant <value = int64[1] {0}> ()
      n1 = Unsqueeze (n, ax)
      rest = Constant <value = int64[1] {-1}> ()
      shp = Concat <axis = 0> (n1, rest)
      f = Reshape (h, shp)
      y = Tanh (f)
    })";
  Model m = textModel(text, {{"cb", {6}, -1.0f, 1.0f}});
  addUint8(m, "idx", {4, 3}, {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2});
  auto tape = train::Tape::create(m, {.threads = 1});
  INFO((tape.ok() ? "" : tape.error().message()));
  REQUIRE(tape.ok());
  // The codebook is the one parameter: indices, shapes and Cast outputs carry no gradient.
  REQUIRE((*tape)->numParams() == 1);
  CHECK((*tape)->paramName(0) == "cb");
  checkGradients(m, randomBuf({3, 4}, 9), {0, 2, 1}, {}, train::Phase::Eval, 6);
}

TEST_CASE("train: integers reaching an op that computes on floats are an error naming it", "[train][grad]") {
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
    g (float[3,4] x, uint8[4,3] idx) => (float[3,3] y) { y = MatMul (x, idx) })";
  Model m = textModel(text, {});
  addUint8(m, "idx", {4, 3}, std::vector<uint8_t>(12, 1));
  auto tape = train::Tape::create(m);
  REQUIRE_FALSE(tape.ok());
  CHECK(tape.error().code() == Exit::Input);
  CHECK_THAT(tape.error().message(), Catch::Contains("MatMul node") && Catch::Contains("'idx' holds integers"));
}

TEST_CASE("finetune: a share model trains its codebooks and keeps its indices, zeros and value counts",
          "[train][finetune][shared]") {
  Model m = sharedLenet300(false);
  train::Dataset train_set = fashionSet(m, "train_5000", 1000), test_set = fashionSet(m, "test_2000");
  auto before = train::accuracy(m, test_set, 1);
  REQUIRE(before.ok());
  const Model start = m;
  auto r = train::finetune(m, train_set, nullptr, nullptr, sgdOptions());
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  auto after = train::accuracy(m, test_set, 1);
  REQUIRE(after.ok());
  INFO("shared " << *before << " -> fine-tuned " << *after);
  CHECK(*after >= *before - 0.005);
  REQUIRE(r->shared.size() == 3);
  for (size_t l = 0; l < 3; ++l) {
    const std::string w = kLayers[l];
    INFO(w);
    // 5 bits: the zero and up to 31 centroids (Lloyd leaves some empty in fc3's 500 nonzeros).
    const std::vector<float> start_w = expand(start, w), end_w = expand(m, w);
    const int64_t values = static_cast<int64_t>(distinctNonzero(start_w));
    CHECK(values >= 20);
    CHECK(values <= 31);
    CHECK(r->shared[l].weight == w + "_codebook");
    CHECK(r->shared[l].form == "codebook");
    CHECK(r->shared[l].values_before == values);
    CHECK(r->shared[l].values_after == values);
    CHECK(static_cast<int64_t>(distinctNonzero(end_w)) == values);
    // The indices are untouched; the codebook moved, its pruned entry stayed exactly 0.
    CHECK(initializer(m, w + "_indices").toFloats() == initializer(start, w + "_indices").toFloats());
    const auto book = initializer(m, w + "_codebook").toFloats();
    CHECK(book[0] == 0.0f);
    CHECK(book != initializer(start, w + "_codebook").toFloats());
    CHECK(std::count(end_w.begin(), end_w.end(), 0.0f) == std::count(start_w.begin(), start_w.end(), 0.0f));
  }
}

TEST_CASE("finetune: a materialized shared layer trains tied to its values, as its Gather form does",
          "[train][finetune][shared]") {
  Model gathered = sharedLenet300(false), materialized = sharedLenet300(true);
  std::vector<int64_t> values;
  for (const char* w : kLayers) {
    REQUIRE(expand(gathered, w) == initializer(materialized, w).toFloats());
    values.push_back(static_cast<int64_t>(distinctNonzero(expand(gathered, w))));
  }
  train::Dataset train_set = fashionSet(gathered, "train_5000", 1000);
  auto rg = train::finetune(gathered, train_set, nullptr, nullptr, sgdOptions());
  auto rm = train::finetune(materialized, train_set, nullptr, nullptr, sgdOptions());
  REQUIRE(rg.ok());
  REQUIRE(rm.ok());
  REQUIRE(rm->shared.size() == 3);
  for (size_t l = 0; l < 3; ++l) {
    const std::string w = kLayers[l];
    INFO(w);
    CHECK(rm->shared[l].weight == w);
    CHECK(rm->shared[l].form == "tied");
    CHECK(rm->shared[l].values_before == values[l]);
    CHECK(rm->shared[l].values_after == values[l]);
    // Both forms sum the same gradients per value; only the order of the sums differs.
    const auto a = initializer(materialized, w).toFloats(), b = expand(gathered, w);
    CHECK(static_cast<int64_t>(distinctNonzero(a)) == values[l]);
    double diff = 0, norm = 0;
    int64_t zeros_differ = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      zeros_differ += (a[i] == 0.0f) != (b[i] == 0.0f);
      diff = std::max(diff, std::abs(double(a[i]) - b[i]));
      norm = std::max(norm, std::abs(double(b[i])));
    }
    CHECK(zeros_differ == 0);
    INFO("largest difference " << diff << " of " << norm);
    CHECK(diff <= 1e-5 * norm);
    CHECK(a != initializer(sharedLenet300(true), w).toFloats());  // it trained
  }
}

TEST_CASE("finetune: a materialized shared residual CNN trains as its Gather form does, BN frozen",
          "[train][finetune][shared]") {
  // The frozen-BN step scaling (frozen_bn_scaling.h) has no Gather form, so tied layers step without it.
  Model dense = bundledModel("rescnn");
  Model gathered = runPasses(dense.proto, "share(conv-bits=6,fc-bits=5)");
  Model materialized = runPasses(dense.proto, "share(conv-bits=6,fc-bits=5,materialize=true)");
  train::Dataset train_set = fashionSet(gathered, "train_5000", 128);
  train::FinetuneOptions o = sgdOptions();
  o.batch = 32;
  auto rg = train::finetune(gathered, train_set, nullptr, nullptr, o);
  auto rm = train::finetune(materialized, train_set, nullptr, nullptr, o);
  REQUIRE(rg.ok());
  REQUIRE(rm.ok());
  CHECK(rm->bn_scaled_layers == 0);
  REQUIRE(rm->shared.size() == 7);  // six Convs and the Gemm
  for (const auto& l : rm->shared) {
    INFO(l.weight);
    CHECK(l.form == "tied");
    CHECK(l.values_after == l.values_before);
    const auto a = initializer(materialized, l.weight).toFloats(), b = expand(gathered, l.weight);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      diff = std::max(diff, std::abs(double(a[i]) - b[i]));
      norm = std::max(norm, std::abs(double(b[i])));
    }
    INFO("largest difference " << diff << " of " << norm);
    CHECK(diff <= 1e-5 * norm);
  }
}

TEST_CASE("finetune: shared-values=0 trains a materialized shared layer freely and says so",
          "[train][finetune][shared]") {
  Model m = sharedLenet300(true);
  Calibration data;
  data.data = fashionData("train_5000");
  data.labels = testData("fashion_train_5000_labels.npy");
  data.limit = 500;
  nlohmann::json log;
  Model out = runPasses(m.proto, "finetune(shared-values=0,teacher=none,lr=0.001)", &log, &data);
  const auto& pass = log.at(0);
  INFO(pass.dump());
  REQUIRE(pass["summary"]["shared"].size() == 3);
  for (size_t l = 0; l < 3; ++l) {
    const auto& s = pass["summary"]["shared"][l];
    const int64_t values = static_cast<int64_t>(distinctNonzero(initializer(m, kLayers[l]).toFloats()));
    CHECK(s["form"] == "free");
    CHECK(s["values_before"] == values);
    CHECK(s["values_after"].get<int64_t>() > 100);
    CHECK(s["values_after"].get<int64_t>() == int64_t(distinctNonzero(initializer(out, kLayers[l]).toFloats())));
  }
  REQUIRE(pass["skipped"].size() == 3);
  CHECK_THAT(pass["skipped"][0]["reason"].get<std::string>(), Catch::Contains("weight sharing not kept"));
  // With the default, the same pass keeps them.
  Model kept = runPasses(m.proto, "finetune(teacher=none,lr=0.001)", &log, &data);
  for (const char* w : kLayers) CHECK(distinctNonzero(initializer(kept, w).toFloats()) == distinctNonzero(initializer(m, w).toFloats()));
  CHECK(log.at(0)["skipped"].empty());
}
