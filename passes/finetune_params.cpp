#include "passes/finetune_params.h"

#include "lib/support/glob.h"

namespace dnnc {

const ParamFields<FinetuneParams>& FinetuneParams::fields() {
  using P = FinetuneParams;
  static const auto f =
      ParamFields<P>()
          .field("data", &P::data, "", "training inputs (.npy/.npz/.pb)")
          .field("labels", &P::labels, "", "class labels; without them, distil label-free from the teacher")
          .field("teacher", &P::teacher, "", "teacher model (.onnx) for knowledge distillation")
          .field("val-data", &P::val_data, "", "held-out inputs scored after every epoch")
          .field("val-labels", &P::val_labels, "", "held-out labels")
          .field("limit", &P::limit, "0", "use only the first N training samples (0: all)")
          .fields(&P::preprocess, PreprocessParams::fields())
          .field("epochs", &P::epochs, "1", "passes over the training data")
          .field("lr", &P::lr, "0.01", "learning rate")
          .field("batch", &P::batch, "64", "samples per step")
          .field("optimizer", &P::optimizer, "sgd", "sgd (with momentum) or adam", {"sgd", "adam"})
          .field("momentum", &P::momentum, "0.9", "SGD momentum")
          .field("weight-decay", &P::weight_decay, "0", "L2 weight decay")
          .field("schedule", &P::schedule, "none", "learning-rate schedule", {"none", "step", "cosine"})
          .field("alpha", &P::alpha, "0.5", "weight of the label loss when distilling with labels")
          .field("temperature", &P::temperature, "4", "distillation temperature T")
          .field("bn", &P::bn, "frozen",
                 "BatchNormalization while training: frozen running statistics or batch statistics", {"frozen", "batch"})
          .field("seed", &P::seed, "", "shuffling seed (default: the pipeline's --seed)")
          .field("shared-values", &P::shared_values, "256",
                 "a weight with at most this many distinct nonzero values trains with them tied (stays shared); 0: never")
          .field("freeze", &P::freeze, "", "parameters left as they are: initializer names or globs, comma-separated");
  return f;
}

Expected<train::FinetuneJob> finetuneJobFromParams(const FinetuneParams& p) {
  train::FinetuneJob j;
  j.data = p.preprocess.options(p.data.value_or(""));
  j.labels = p.labels.value_or("");
  j.teacher = p.teacher.value_or("");
  j.val_data = p.val_data.value_or("");
  j.val_labels = p.val_labels.value_or("");
  j.limit = p.limit;
  auto& o = j.options;
  o.epochs = p.epochs;
  o.batch = p.batch;
  o.optimizer.kind = p.optimizer;
  o.optimizer.lr = p.lr;
  o.optimizer.momentum = p.momentum;
  o.optimizer.weight_decay = p.weight_decay;
  o.schedule = p.schedule;
  o.loss.alpha = static_cast<float>(p.alpha);
  o.loss.temperature = static_cast<float>(p.temperature);
  o.bn_batch_stats = p.bn == "batch";
  if (p.seed) o.seed = static_cast<uint64_t>(*p.seed);
  o.shared_values = p.shared_values;
  if (p.freeze) o.freeze = splitList(*p.freeze);
  if (o.epochs < 0 || o.batch <= 0) return Error(Exit::Usage, "epochs must be >= 0 and batch positive");
  if (o.shared_values < 0) return Error(Exit::Usage, "shared-values must be >= 0");
  if (o.optimizer.lr <= 0) return Error(Exit::Usage, "lr must be positive");
  if (o.loss.temperature <= 0 || o.loss.alpha < 0 || o.loss.alpha > 1)
    return Error(Exit::Usage, "temperature must be positive and alpha in [0, 1]");
  return j;
}

Status completeFromContext(train::FinetuneJob& job, const FinetuneParams& p, const PassContext& ctx, const char* pass) {
  // Every random choice derives from --seed unless the pass was given its own.
  if (!p.seed) job.options.seed = ctx.seed;
  if (!job.data.path.empty()) return {};
  if (!ctx.calibration)
    return Error(Exit::Usage, pass, ": no training data: give data= or the command's --data")
        .withHint("dnnc run MODEL -o OUT --passes '...' --data X.npy --labels Y.npy");
  job.data = ctx.calibration->data;
  if (job.labels.empty()) job.labels = ctx.calibration->labels;
  if (job.limit == 0) job.limit = ctx.calibration->limit;
  return {};
}

}  // namespace dnnc
