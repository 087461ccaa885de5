// The pass parameters of a fine-tuning run, declared once for the passes that fine-tune (finetune,
// prune-obd's retraining rounds): their specs, the FinetuneJob they describe, and what the pipeline's
// --data/--labels/--limit fill in when the parameters leave the data open.
#pragma once
#include <vector>

#include "lib/pass/params.h"
#include "lib/pass/pass.h"
#include "lib/train/finetune_job.h"

namespace dnnc {

// Pass parameters: data, labels, teacher, val-data, val-labels, limit, scale, mean, std, epochs, lr,
// batch, optimizer, momentum, weight-decay, schedule, alpha, temperature, bn, seed, shared-values.
std::vector<ParamSpec> finetuneParamSpecs(int64_t default_epochs);
Expected<train::FinetuneJob> finetuneJobFromParams(const PassParams& p, int threads);

// Fills what the pass parameters left open from the pipeline: the data, labels and sample limit from
// the command's --data/--labels/--limit when data= was not given. Exit::Usage when there is no data at all.
Status completeFromContext(train::FinetuneJob& job, const PassContext& ctx, const char* pass);

}  // namespace dnnc
