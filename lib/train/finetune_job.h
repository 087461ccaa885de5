// A fine-tuning run described by file paths and flags, shared by `dnnc finetune`, the `finetune` pass
// and `prune-obd`'s retraining rounds: loads the data, labels, teacher and validation set, then calls
// finetune(). The pass parameters that describe it are in passes/finetune_params.h.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/train/finetune.h"

namespace dnnc::train {

struct FinetuneJob {
  DataOptions data;            // training inputs and their preprocessing
  std::string labels;          // "" for label-free distillation
  std::string teacher;         // teacher .onnx path, "" for none
  std::string val_data, val_labels;  // optional held-out set (same preprocessing as data)
  int64_t limit = 0;           // use only the first N training samples (0: all)
  FinetuneOptions options;
};

// teacher_model (when not nullptr) is used instead of job.teacher, e.g. the model before pruning.
Expected<FinetuneReport> runFinetuneJob(Model& model, const FinetuneJob& job, const Model* teacher_model = nullptr,
                                        const FinetuneProgress& progress = {});

// A report entry for a finished run.
nlohmann::json finetuneReportJson(const FinetuneReport& r);

}  // namespace dnnc::train
