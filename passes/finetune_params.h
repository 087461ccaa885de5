// The pass parameters of a fine-tuning run, declared once for the passes that fine-tune (finetune,
// prune-obd's retraining rounds): their typed struct, the FinetuneJob it describes, and what the
// pipeline (--data/--labels/--limit, --seed) fills in when the parameters leave it open.
#pragma once
#include <optional>
#include <string>

#include "lib/pass/param_fields.h"
#include "lib/pass/pass.h"
#include "lib/train/finetune_job.h"
#include "passes/preprocess_params.h"

namespace dnnc {

// Pass parameters: data, labels, teacher, val-data, val-labels, limit, scale, mean, std, epochs, lr,
// batch, optimizer, momentum, weight-decay, schedule, alpha, temperature, bn, seed, shared-values, freeze.
struct FinetuneParams {
  std::optional<std::string> data, labels, teacher, val_data, val_labels, freeze;
  PreprocessParams preprocess;  // scale, mean, std
  // Bound from fields(), defaults included: these initialisers are never what a run sees.
  int64_t limit = 0, epochs = 0, batch = 0, shared_values = 0;
  double lr = 0, momentum = 0, weight_decay = 0, alpha = 0, temperature = 0;
  std::string optimizer, schedule, bn;
  std::optional<int64_t> seed;  // unset: the pipeline's --seed
  static const ParamFields<FinetuneParams>& fields();
};

// The job the parameters describe, checked (bad values are usage errors); its data may still be open.
Expected<train::FinetuneJob> finetuneJobFromParams(const FinetuneParams& p);

// Fills what the pass parameters left open from the pipeline: the data, labels and sample limit from
// the command's --data/--labels/--limit when data= was not given, and the shuffling seed from --seed
// when seed= was not given. Exit::Usage when there is no data at all.
Status completeFromContext(train::FinetuneJob& job, const FinetuneParams& p, const PassContext& ctx, const char* pass);

}  // namespace dnnc
