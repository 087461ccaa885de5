// recalibrate-bn: re-estimate every BatchNormalization's running mean and variance on data, for a model
// whose layers changed under its statistics (filters removed, weights pruned or shared).
// Before/after: same graph; only the BatchNormalization mean and variance initializers change.
// Why: removing filters changes what the layers after them see, while their BatchNormalizations still
// normalise with the statistics of the unpruned network. On the residual CNN a quarter of every filter
// group removed leaves 24.2 % top-1 one-shot (2,000 test images); with its statistics re-estimated on
// 1,000 training images, 63.2 % before any retraining, and fine-tuning with frozen statistics can then
// recover it (with the stale ones, every unit behind a shifted mean can sit below its Relu and no gradient
// flows). This is the "adaptive batch normalization" of Li et al. 2020 (EagleEye), who found that pruned
// candidates scored after it rank as they do after fine-tuning.
// How: forward passes in training mode with batch statistics over the first `samples` samples, in
// batches of `batch` (each layer sees its inputs normalised as in training, and Dropout drops, as in
// PyTorch's train mode); every BatchNormalization's
// running mean and variance become the mean and unbiased variance of all the values it saw, not an
// exponential average.
// Requires: data= or the command's --data; every op on the way to the output has a forward on the
// training tape (lib/train/ops). A model without BatchNormalization is left as it is.
// Params: data, scale, mean, std (as finetune), samples (default 1024; 0: all), batch (default 64).
// Ref: Li, Chen, Wang, Su, Yu, Zhu, Chen, "EagleEye: Fast Sub-net Evaluation for Efficient Neural Network
// Pruning", ECCV 2020.
#include <algorithm>
#include <map>
#include <optional>

#include "lib/ir/node.h"
#include "lib/ir/tensor.h"
#include "lib/pass/pass.h"
#include "lib/pass/param_fields.h"
#include "lib/train/dataset.h"
#include "lib/train/tape.h"
#include "passes/preprocess_params.h"
#include "passes/registry.h"

namespace dnnc {

struct RecalibrateBnParams {
  std::optional<std::string> data;
  PreprocessParams preprocess;
  int64_t samples = 0, batch = 0;
  static const ParamFields<RecalibrateBnParams>& fields();
};

const ParamFields<RecalibrateBnParams>& RecalibrateBnParams::fields() {
  using P = RecalibrateBnParams;
  static const auto f =
      ParamFields<P>()
          .field("data", &P::data, "", "inputs to estimate the statistics on (.npy/.npz/.pb; default: --data)")
          .fields(&P::preprocess, PreprocessParams::fields())
          .field("samples", &P::samples, "1024", "use the first N samples (0: all)")
          .field("batch", &P::batch, "64", "samples per forward pass");
  return f;
}

namespace {

bool hasBatchNorm(const Model& model) {
  for (const auto& n : model.graph().node())
    if (n.op_type() == "BatchNormalization") return true;
  return false;
}

class RecalibrateBn : public Pass {
 public:
  explicit RecalibrateBn(RecalibrateBnParams p) : p_(std::move(p)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    if (!hasBatchNorm(model)) {
      ctx.log->summary = {{"batch_norms", 0}};
      return PreservedAnalyses::all();
    }
    DataOptions data = p_.preprocess.options(p_.data.value_or(""));
    int64_t limit = p_.samples;
    if (data.path.empty()) {
      if (!ctx.calibration)
        return Error(Exit::Usage, "recalibrate-bn: no data: give data= or the command's --data")
            .withHint("dnnc run MODEL -o OUT --passes 'recalibrate-bn' --data X.npy");
      data = ctx.calibration->data;
      if (ctx.calibration->limit > 0 && (limit == 0 || ctx.calibration->limit < limit)) limit = ctx.calibration->limit;
    }
    DNNC_ASSIGN(train::Dataset set, train::loadDataset(model, data, "", limit));
    if (set.samples() == 0) return Error(Exit::Input, "recalibrate-bn: the data holds no samples");
    // Batch statistics normalise each forward; the running ones gather every sample's (bn_population).
    train::TapeOptions options;
    options.threads = ctx.threads;
    options.bn_batch_stats = options.bn_population = true;
    DNNC_ASSIGN(auto tape, train::Tape::create(model, options));
    std::vector<int64_t> order(size_t(set.samples()));
    for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
    for (int64_t first = 0; first < set.samples(); first += p_.batch) {
      const int64_t n = std::min(p_.batch, set.samples() - first);
      DNNC_TRY(tape->forward(set.batch(order, first, n), train::Phase::Train));
      ctx.progress(first + n, set.samples(), "recalibrate-bn");
    }
    std::map<std::string, const train::Buf*> statistics;
    for (const auto& [name, buf] : tape->buffers()) statistics[name] = buf;
    for (auto& init : *model.graph().mutable_initializer()) {
      auto it = statistics.find(init.name());
      if (it != statistics.end()) writeTensor(Tensor::fromFloats(it->second->v, it->second->dims), init);
    }
    int updated = 0;
    for (const auto& n : model.graph().node()) {
      if (n.op_type() != "BatchNormalization") continue;
      if (n.input_size() >= 5 && statistics.count(n.input(3))) ++updated;
      else ctx.log->skip(nodeLabel(n), "statistics left as they were: not on the way to the output, or not initializers");
    }
    ctx.log->summary = {{"batch_norms", updated}, {"samples", set.samples()}};
    return weightValuesChanged();
  }

 private:
  RecalibrateBnParams p_;
};

}  // namespace

Expected<std::unique_ptr<Pass>> createRecalibrateBn(const RecalibrateBnParams& p) {
  if (p.samples < 0 || p.batch <= 0) return Error(Exit::Usage, "recalibrate-bn: samples must be >= 0 and batch positive");
  return std::unique_ptr<Pass>(std::make_unique<RecalibrateBn>(p));
}

DNNC_PASS_ENTRY(RecalibrateBn)

}  // namespace dnnc
