#include "passes/finetune_params.h"

namespace dnnc {

std::vector<ParamSpec> finetuneParamSpecs(int64_t default_epochs) {
  return {
      {"data", ParamType::String, "", "training inputs (.npy/.npz/.pb)"},
      {"labels", ParamType::String, "", "class labels; without them, distil label-free from the teacher"},
      {"teacher", ParamType::String, "", "teacher model (.onnx) for knowledge distillation"},
      {"val-data", ParamType::String, "", "held-out inputs scored after every epoch"},
      {"val-labels", ParamType::String, "", "held-out labels"},
      {"limit", ParamType::Int, "0", "use only the first N training samples (0: all)"},
      {"scale", ParamType::Float, "1", "input preprocessing: x * scale"},
      {"mean", ParamType::String, "", "input preprocessing: subtract (one value or one per channel)"},
      {"std", ParamType::String, "", "input preprocessing: divide (one value or one per channel)"},
      {"epochs", ParamType::Int, std::to_string(default_epochs), "passes over the training data"},
      {"lr", ParamType::Float, "0.01", "learning rate"},
      {"batch", ParamType::Int, "64", "samples per step"},
      {"optimizer", ParamType::String, "sgd", "sgd (with momentum) or adam", {"sgd", "adam"}},
      {"momentum", ParamType::Float, "0.9", "SGD momentum"},
      {"weight-decay", ParamType::Float, "0", "L2 weight decay"},
      {"schedule", ParamType::String, "none", "learning-rate schedule", {"none", "step", "cosine"}},
      {"alpha", ParamType::Float, "0.5", "weight of the label loss when distilling with labels"},
      {"temperature", ParamType::Float, "4", "distillation temperature T"},
      {"bn", ParamType::String, "frozen", "BatchNormalization while training: frozen running statistics or batch statistics",
       {"frozen", "batch"}},
      {"seed", ParamType::Int, "0", "shuffling seed"},
      {"shared-values", ParamType::Int, "256",
       "a weight with at most this many distinct nonzero values trains with them tied (stays shared); 0: never"},
  };
}

namespace {
// A String parameter without a default has no value unless given.
std::string optString(const PassParams& p, const std::string& name) { return p.has(name) ? p.getString(name) : std::string(); }
}  // namespace

Expected<train::FinetuneJob> finetuneJobFromParams(const PassParams& p, int threads) {
  train::FinetuneJob j;
  j.data.path = optString(p, "data");
  j.data.scale = static_cast<float>(p.getFloat("scale"));
  j.data.mean = optString(p, "mean");
  j.data.std = optString(p, "std");
  j.labels = optString(p, "labels");
  j.teacher = optString(p, "teacher");
  j.val_data = optString(p, "val-data");
  j.val_labels = optString(p, "val-labels");
  j.limit = p.getInt("limit");
  auto& o = j.options;
  o.epochs = p.getInt("epochs");
  o.batch = p.getInt("batch");
  o.optimizer.kind = p.getString("optimizer");
  o.optimizer.lr = p.getFloat("lr");
  o.optimizer.momentum = p.getFloat("momentum");
  o.optimizer.weight_decay = p.getFloat("weight-decay");
  o.schedule = p.getString("schedule");
  o.loss.alpha = static_cast<float>(p.getFloat("alpha"));
  o.loss.temperature = static_cast<float>(p.getFloat("temperature"));
  o.bn_batch_stats = p.getString("bn") == "batch";
  o.seed = static_cast<uint64_t>(p.getInt("seed"));
  o.shared_values = p.getInt("shared-values");
  o.threads = threads;
  if (o.epochs < 0 || o.batch <= 0) return Error(Exit::Usage, "epochs must be >= 0 and batch positive");
  if (o.shared_values < 0) return Error(Exit::Usage, "shared-values must be >= 0");
  if (o.optimizer.lr <= 0) return Error(Exit::Usage, "lr must be positive");
  if (o.loss.temperature <= 0 || o.loss.alpha < 0 || o.loss.alpha > 1)
    return Error(Exit::Usage, "temperature must be positive and alpha in [0, 1]");
  return j;
}

Status completeFromContext(train::FinetuneJob& job, const PassContext& ctx, const char* pass) {
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
