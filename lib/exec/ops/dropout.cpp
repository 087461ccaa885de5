// Dropout, inference: y = x and an all-true mask. Training mode (opset 12+: the training_mode input) with a
// ratio above 0 draws a random mask, which no inference engine reproduces: that is an error.
#include "lib/exec/ops/common.h"

namespace dnnc {
namespace {
struct DropoutKernel {
  bool inputs_from_12 = true;
  Status run(KernelContext& ctx) {
    const Value& x = ctx.input(0);
    if (inputs_from_12 && ctx.hasInput(2)) {
      const Value& training = ctx.input(2);
      if (training.dtype != DType::Bool || training.numel() != 1) return ctx.error("training_mode must be a bool scalar");
      float ratio = ctx.hasInput(1) ? ops::scalarAsFloat(ctx.input(1)) : 0.5f;
      if (*static_cast<const uint8_t*>(training.data) == 0) {
      } else if (ratio != 0.0f) {
        return ctx.error("training-mode Dropout (ratio ", ratio, ") is random and not supported by the executor");
      }
    }
    ctx.outputAlias(0, 0, x.dims);
    if (ctx.numOutputs() > 1 && ctx.wantsOutput(1)) {
      Value& mask = ctx.output(1, DType::Bool, x.dims);
      std::memset(mask.data, 1, mask.sizeBytes());
    }
    return {};
  }
};
}  // namespace

Expected<std::unique_ptr<Kernel>> makeDropout(const NodeInfo& info) {
  return makeKernel(DropoutKernel{info.opset() >= 12});
}

}  // namespace dnnc
