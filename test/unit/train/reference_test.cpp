// dnnc's gradients on the bundled models against PyTorch's (tools/grad_reference.py wrote them in
// float64 to test/data/grad_ref/): first 16 training images, mean cross-entropy. Every parameter's
// gradient must match to 1e-4 relative (||g - g_ref|| / ||g_ref||), and the loss too.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "lib/exec/dataset.h"
#include "lib/ir/onnx_io.h"
#include "lib/support/atomic_file.h"
#include "lib/train/loss.h"
#include "lib/train/tape.h"
#include "test/support/test_support.h"

using namespace dnnc;
using namespace dnnc::test;
namespace fs = std::filesystem;

namespace {

std::vector<float> npzMember(const std::string& path, const std::string& member) {
  auto src = openArray(path, member);
  REQUIRE(src.ok());
  auto& s = **src;
  Tensor t(s.dtype(), s.dims());
  REQUIRE(s.readRows(0, s.rows(), t.rawData()).ok());
  return t.toFloats();
}

bool hasArray(const std::string& path, const std::string& member) { return openArray(path, member).ok(); }

// The loss and every parameter gradient the reference holds, to `tol` relative (||g - g_ref|| / ||g_ref||
// per tensor); all_params: the reference must hold every parameter.
void compareToReference(train::Tape& tape, const std::vector<int64_t>& labels, const std::string& ref_name, double tol,
                        bool all_params) {
  train::Buf g;
  const double loss = train::lossAndGrad(tape.output(), labels, nullptr, {}, g).loss;
  tape.seedGrad(g);
  tape.backward(train::Mode::Gradient);
  const std::string ref = testData("grad_ref/" + ref_name + ".npz");
  const double ref_loss = npzMember(ref, "loss")[0];
  INFO(ref_name << ": loss " << loss << ", PyTorch's " << ref_loss << " (a different loss: the model or its input changed; "
                << "tools/grad_reference.py rewrites the references)");
  REQUIRE(std::abs(loss - ref_loss) <= tol * std::abs(ref_loss));
  REQUIRE(tape.numParams() > 0);
  double worst = 0;
  int compared = 0;
  for (int k = 0; k < tape.numParams(); ++k) {
    const std::string& name = tape.paramName(k);
    if (!all_params && !hasArray(ref, name)) continue;
    std::vector<float> r = npzMember(ref, name);
    const auto& a = tape.paramGrad(k).v;
    REQUIRE(a.size() == r.size());
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) diff += (double(a[i]) - r[i]) * (double(a[i]) - r[i]), norm += double(r[i]) * r[i];
    const double rel = std::sqrt(diff / norm);
    INFO(ref_name << " " << name << ": relative difference " << rel);
    CHECK(norm > 0);
    CHECK(rel <= tol);
    worst = std::max(worst, rel);
    ++compared;
  }
  // Shown with -s: the figure for the closing note.
  WARN(ref_name << ": loss " << loss << " vs " << ref_loss << ", " << compared << " of " << tape.numParams()
                << " parameters compared, worst per-tensor relative gradient difference " << worst);
}

void checkModel(const std::string& model_name, const std::string& ref_name, bool bn_batch) {
  auto bytes = readFile(testData(model_name + ".onnx"));
  REQUIRE(bytes.ok());
  auto model = parseModel(*bytes, model_name, testData(""));
  REQUIRE(model.ok());
  auto tape = train::Tape::create(*model, {.threads = 2, .bn_batch_stats = bn_batch});
  REQUIRE(tape.ok());
  // The reference's batch: the first 16 training images, normalised as the models expect.
  std::vector<int64_t> shape;
  std::vector<float> images = readNpyAsFloat(testData("fashion_train_5000_images.npy"), shape);
  train::Buf x({16, shape[1], shape[2], shape[3]});
  for (size_t i = 0; i < x.v.size(); ++i) x.v[i] = static_cast<float>((images[i] / 255.0 - 0.2860) / 0.3530);
  std::vector<float> labf = readNpyAsFloat(testData("fashion_train_5000_labels.npy"), shape);
  std::vector<int64_t> labels(labf.begin(), labf.begin() + 16);
  REQUIRE((*tape)->forward(x, bn_batch ? train::Phase::Train : train::Phase::Eval).ok());
  compareToReference(**tape, labels, ref_name, 1e-4, true);
}

// A zoo model (torchvision export, ${DNNC_BINARY_DIR}/zoo) on its seeded batch of 2 (NAME.input.npy),
// BatchNormalization frozen (tools/grad_reference.py says why not batch statistics; rescnn_bnbatch and
// gradient_test.cpp cover those), labels as its ZOO_LABELS. Skipped with a message when the zoo is absent.
void checkZooModel(const std::string& name, double tol) {
  const fs::path zoo = fs::path(DNNC_BINARY_DIR) / "zoo";
  if (!fs::exists(zoo / (name + ".onnx"))) {
    WARN("skipped: " << (zoo / (name + ".onnx")) << " is missing (make zoo exports it with python3-torch)");
    return;
  }
  auto bytes = readFile((zoo / (name + ".onnx")).string());
  REQUIRE(bytes.ok());
  auto model = parseModel(*bytes, name, zoo.string());
  REQUIRE(model.ok());
  auto tape = train::Tape::create(*model, {.threads = 2});
  REQUIRE(tape.ok());
  std::vector<int64_t> shape;
  std::vector<float> input = readNpyAsFloat((zoo / (name + ".input.npy")).string(), shape);
  train::Buf x(shape);
  x.v = input;
  REQUIRE((*tape)->forward(x, train::Phase::Eval).ok());
  compareToReference(**tape, {7, 512}, name + "_zoo", tol, false);
}

}  // namespace

TEST_CASE("train: LeNet-300-100 gradients match PyTorch", "[train][reference]") { checkModel("lenet300", "lenet300", false); }
TEST_CASE("train: LeNet-5 gradients match PyTorch", "[train][reference]") { checkModel("lenet5", "lenet5", false); }
TEST_CASE("train: residual CNN gradients match PyTorch, BN frozen", "[train][reference]") { checkModel("rescnn", "rescnn", false); }
TEST_CASE("train: residual CNN gradients match PyTorch, BN batch statistics", "[train][reference]") {
  checkModel("rescnn", "rescnn_bnbatch", true);
}
// LeNet-300-100 as `dnnc share` writes it (90 % pruned, 5-bit codebooks): each layer's weight is
// Gather(codebook, Cast(uint8 indices)), so the parameters are the codebooks and each entry's gradient
// is the sum over its cluster (PyTorch sums it through the indexing; index 0 is the pruned zero).
TEST_CASE("train: shared LeNet-300-100 codebook gradients match PyTorch", "[train][reference]") {
  checkModel("grad_ref/lenet300_shared", "lenet300_shared", false);
}

// The zoo's 3x224x224 ImageNet models: strided 7x7 and 3x3 convolutions, 1x1 projections, MaxPool with
// pads, residual Adds, GlobalAveragePool, Flatten and Gemm(transB) (ResNet-18); depthwise convolutions at
// strides 1 and 2 and Clip(0, 6) from Constant bounds (MobileNetV2). PyTorch computed in float64.
TEST_CASE("train: zoo ResNet-18 gradients match PyTorch", "[train][reference][zoo]") {
  checkZooModel("resnet18", 1e-4);
}
TEST_CASE("train: zoo MobileNetV2 gradients match PyTorch", "[train][reference][zoo]") {
  checkZooModel("mobilenet_v2", 1e-4);
}
