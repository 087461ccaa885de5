#include "lib/train/finetune_job.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "lib/ir/onnx_io.h"
#include "lib/support/atomic_file.h"

namespace dnnc::train {

Expected<FinetuneReport> runFinetuneJob(Model& model, const FinetuneJob& job, const Model* teacher_model,
                                        const FinetuneProgress& progress) {
  if (job.data.path.empty()) return Error(Exit::Usage, "fine-tuning needs training data").withHint("give data=X.npy (--data)");
  if (job.labels.empty() && job.teacher.empty() && !teacher_model)
    return Error(Exit::Usage, "fine-tuning needs labels, a teacher, or both").withHint("give --labels Y.npy and/or --teacher T.onnx");
  if (job.val_data.empty() != job.val_labels.empty())
    return Error(Exit::Usage, "validation needs both --val-data and --val-labels");
  DNNC_ASSIGN(Dataset train, loadDataset(model, job.data, job.labels, job.limit));
  std::optional<Model> loaded;
  if (!teacher_model && !job.teacher.empty()) {
    DNNC_ASSIGN(std::string bytes, readFile(job.teacher));
    std::string base = std::filesystem::path(job.teacher).parent_path().string();
    DNNC_ASSIGN(loaded, parseModel(bytes, job.teacher, base.empty() ? "." : base));
    teacher_model = &*loaded;
  }
  std::optional<Buf> teacher;
  if (teacher_model) {
    DNNC_ASSIGN(teacher, teacherLogits(*teacher_model, train, job.options.threads));
  }
  std::optional<Dataset> val;
  if (!job.val_data.empty()) {
    DataOptions v = job.data;
    v.path = job.val_data;
    DNNC_ASSIGN(val, loadDataset(model, v, job.val_labels));
  }
  return finetune(model, train, teacher ? &*teacher : nullptr, val ? &*val : nullptr, job.options, progress);
}

nlohmann::json finetuneReportJson(const FinetuneReport& r) {
  nlohmann::json shared = nlohmann::json::array();
  for (const auto& l : r.shared)
    shared.push_back({{"weight", l.weight}, {"form", l.form}, {"values_before", l.values_before}, {"values_after", l.values_after}});
  nlohmann::json e = nlohmann::json::array();
  for (const auto& x : r.epochs)
    e.push_back({{"epoch", x.epoch}, {"loss", x.loss}, {"train_accuracy", x.train_accuracy}, {"lr", x.lr},
                 {"val_accuracy", x.val_accuracy < 0 ? nlohmann::json(nullptr) : nlohmann::json(x.val_accuracy)},
                 {"diverged", x.diverged}, {"seconds", x.seconds}});
  return {{"objective", r.objective}, {"samples", r.samples}, {"steps", r.steps}, {"params", r.params},
          {"masked_zeros", r.masked_zeros},
          {"bn_scaled_layers", r.bn_scaled_layers},
          {"lr_backoffs", r.lr_backoffs},
          {"lr_scale", r.lr_scale},
          {"val_accuracy_before", r.val_accuracy_before < 0 ? nlohmann::json(nullptr) : nlohmann::json(r.val_accuracy_before)},
          {"shared", shared},
          {"epochs", e}};
}

}  // namespace dnnc::train
