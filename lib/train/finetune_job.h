// A fine-tuning run described by file paths and flags, shared by `dnnc finetune`, the `finetune` pass
// and `prune-obd`'s retraining rounds: loads the data, labels, teacher and validation set, then calls
// finetune(). The pass parameters that describe it are declared once here.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/pass/params.h"
#include "lib/pass/pass.h"
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

// Pass parameters: data, labels, teacher, val-data, val-labels, limit, scale, mean, std, epochs, lr,
// batch, optimizer, momentum, weight-decay, schedule, alpha, temperature, bn, seed, shared-values.
std::vector<ParamSpec> finetuneParamSpecs(int64_t default_epochs);
Expected<FinetuneJob> finetuneJobFromParams(const PassParams& p, int threads);

// Fills what the pass parameters left open from the pipeline: the data, labels and sample limit from
// the command's --data/--labels/--limit when data= was not given. Exit::Usage when there is no data at all.
Status completeFromContext(FinetuneJob& job, const PassContext& ctx, const char* pass);

// A report entry for a finished run.
nlohmann::json finetuneReportJson(const FinetuneReport& r);

}  // namespace dnnc::train
