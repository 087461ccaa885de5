// Zoo models whose exports need the executor's control-flow, comparison, shape, Resize, Erf and LSTM
// ops, run by dnnc on NAME.input.npy and compared with PyTorch's own output NAME.torch.npy (the zoo in
// ${DNNC_BINARY_DIR}/zoo; models that are absent are skipped with a message). Every output element must
// be within 1e-4 of the largest |PyTorch output| (a relative error bound that does not blow up near zero).
//   [zoo]       alexnet_lrn (If, Equal), text_encoder (Erf; int64 token ids), lraspp (Resize),
//               speech_lstm (LSTM): a few seconds, in the default run.
//   [.zoo-full] vit_b_16, swin_t, convnext_tiny, deeplabv3: large, hidden; run them with
//               `build/test/integration "[zoo-full]"` (or `make zoo-check`). torchvision zero-initialises
//               ViT's head, so vit_b_16's logits are all zero whatever the encoder computes: its class-token
//               feature (the head's input) is compared with ONNX Runtime's as well.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "lib/exec/executor.h"
#include "lib/exec/npy.h"
#include "lib/ir/onnx_io.h"
#include "test/support/test_support.h"

using namespace dnnc;
namespace fs = std::filesystem;

namespace {

constexpr double kRelativeTolerance = 1e-4;

void requireAgreesWithTorch(const std::string& name) {
  const fs::path zoo = fs::path(DNNC_BINARY_DIR) / "zoo";
  const fs::path model_path = zoo / (name + ".onnx");
  if (!fs::exists(model_path) || !fs::exists(zoo / (name + ".torch.npy"))) {
    WARN("skipped: " << model_path << " or its .input.npy/.torch.npy is missing");
    return;
  }
  INFO(name);
  auto model = loadModel(model_path.string());
  REQUIRE(model.ok());
  auto input = readNpy((zoo / (name + ".input.npy")).string());
  REQUIRE(input.ok());
  auto expected = readNpy((zoo / (name + ".torch.npy")).string());
  REQUIRE(expected.ok());
  auto exec = Executor::create(*model, {.threads = 2});
  INFO((exec.ok() ? "" : exec.error().message()));
  REQUIRE(exec.ok());
  auto out = (*exec)->run({&*input});
  INFO((out.ok() ? "" : out.error().message()));
  REQUIRE(out.ok());
  REQUIRE(out->size() >= 1);
  const Tensor& got = (*out)[0];
  REQUIRE(got.dims() == expected->dims());
  auto g = got.toFloats(), w = expected->toFloats();
  double max_diff = 0, max_mag = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(double(g[i]) - w[i]));
    max_mag = std::max(max_mag, std::abs(double(w[i])));
  }
  std::cout << name << ": max abs diff vs PyTorch " << max_diff << ", relative to max |output| "
            << max_diff / std::max(max_mag, 1e-30) << "\n";
  INFO("max abs diff " << max_diff << ", max |output| " << max_mag);
  CHECK(max_diff <= kRelativeTolerance * std::max(max_mag, 1e-30));
}

// The value `name` of the zoo model, from dnnc and from ONNX Runtime (the model saved with `name` as an extra
// graph output), must agree within 1e-4 of its largest magnitude.
void requireValueAgreesWithOrt(const std::string& model_name, const std::string& name) {
  const fs::path zoo = fs::path(DNNC_BINARY_DIR) / "zoo";
  const fs::path model_path = zoo / (model_name + ".onnx");
  if (!fs::exists(model_path) || test::ortRunner().empty()) {
    WARN("skipped: " << model_path << " or ONNX Runtime is missing");
    return;
  }
  INFO(model_name << " value " << name);
  auto model = loadModel(model_path.string());
  REQUIRE(model.ok());
  auto input = readNpy((zoo / (model_name + ".input.npy")).string());
  REQUIRE(input.ok());
  auto exec = Executor::create(*model, {.threads = 2});
  REQUIRE(exec.ok());
  auto ours = (*exec)->run({&*input}, {.fetch = {name}});
  INFO((ours.ok() ? "" : ours.error().message()));
  REQUIRE(ours.ok());
  auto* out = model->graph().add_output();
  out->set_name(name);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  const std::string path = test::scratchDir("zoo_value") + "/m.onnx";
  test::writeBytes(path, model->proto.SerializeAsString());
  auto ort = test::runOrt(path, {input->toFloats()}, {input->dims()});
  INFO(ort.error);
  REQUIRE(ort.ok);
  const auto& want = ort.values.back();
  auto g = (*ours)[0].toFloats();
  REQUIRE(g.size() == want.size());
  double max_diff = 0, max_mag = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(double(g[i]) - want[i]));
    max_mag = std::max(max_mag, std::abs(double(want[i])));
  }
  std::cout << model_name << " " << name << ": max abs diff vs ONNX Runtime " << max_diff << ", relative to max |value| "
            << max_diff / std::max(max_mag, 1e-30) << "\n";
  CHECK(max_mag > 0);
  CHECK(max_diff <= kRelativeTolerance * std::max(max_mag, 1e-30));
}

}  // namespace

TEST_CASE("zoo: alexnet_lrn, text_encoder, lraspp, speech_lstm agree with PyTorch", "[zoo]") {
  for (const char* name : {"alexnet_lrn", "text_encoder", "lraspp", "speech_lstm"}) requireAgreesWithTorch(name);
}

TEST_CASE("zoo: vit_b_16, swin_t, convnext_tiny, deeplabv3 agree with PyTorch", "[.zoo-full]") {
  for (const char* name : {"vit_b_16", "swin_t", "convnext_tiny", "deeplabv3"}) requireAgreesWithTorch(name);
  requireValueAgreesWithOrt("vit_b_16", "/Gather_4_output_0");
}
