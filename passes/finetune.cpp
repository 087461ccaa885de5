// finetune: retrain the model's float initializers on data, keeping pruned weights at zero and shared
// weights shared (Gather codebooks, and weights of at most shared-values distinct values, whose values
// train tied); with a teacher, knowledge distillation (label-free without labels).
// Before/after: same graph; weights (and BN running statistics with bn=batch) change.
// Requires: data= (and labels= and/or teacher=); every op on the path to the output has a reverse rule
// (lib/train/ops). Params: see FinetuneParams (passes/finetune_params.cpp); seed defaults to --seed.
// Refs: Han, Pool, Tran, Dally 2015 (retraining after pruning); Hinton, Vinyals, Dean 2015 (distillation);
// Han, Mao, Dally 2016 (shared-weight gradients summed per centroid).
#include "lib/pass/pass.h"
#include "lib/train/finetune_job.h"
#include "passes/finetune_params.h"
#include "passes/registry.h"

namespace dnnc {

namespace {

// Shared layers stay shared (codebooks, and tied weights of few values); one that had few values and
// was trained freely is named, so that losing the sharing is never silent.
void logSharedLayers(const train::FinetuneReport& r, PassLog& log) {
  for (const auto& l : r.shared) {
    nlohmann::json d = {{"form", l.form}, {"values_before", l.values_before}, {"values_after", l.values_after}};
    if (l.form == "free")
      log.skip(l.weight, "weight sharing not kept: " + std::to_string(l.values_before) + " distinct nonzero values before, " +
                             std::to_string(l.values_after) + " after (more than shared-values; raise it to train them tied)");
    else
      log.rewrite(l.form == "codebook" ? "train codebook" : "train tied values", {l.weight}, d);
  }
}

class Finetune : public Pass {
 public:
  Finetune(train::FinetuneJob job, FinetuneParams params) : job_(std::move(job)), params_(std::move(params)) {}

  bool usesPipelineInput() const override { return job_.teacher.empty(); }

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    DNNC_TRY(completeFromContext(job_, params_, ctx, "finetune"));
    job_.options.threads = ctx.threads;
    // The default teacher is the model before the pipeline: after a compression pass that is the
    // uncompressed model, so recovery distils from it (teacher=none turns this off).
    const Model* teacher = nullptr;
    if (job_.teacher == "none") job_.teacher.clear();
    else if (job_.teacher.empty() && ctx.pipeline_input) teacher = ctx.pipeline_input.get();
    if (job_.labels.empty() && job_.teacher.empty() && !teacher)
      return Error(Exit::Usage, "finetune: give labels (labels= or --labels) or a teacher");
    auto progress = [&](int64_t epoch, int64_t done, int64_t total, double, double) {
      ctx.progress((epoch - 1) * total + done, job_.options.epochs * total, "finetune");
    };
    DNNC_ASSIGN(train::FinetuneReport r, train::runFinetuneJob(model, job_, teacher, progress));
    ctx.log->summary = train::finetuneReportJson(r);
    logSharedLayers(r, *ctx.log);
    // Weights changed: nothing computed from them survives.
    return weightValuesChanged();
  }

 private:
  train::FinetuneJob job_;
  FinetuneParams params_;
};

}  // namespace

Expected<std::unique_ptr<Pass>> createFinetune(const FinetuneParams& params) {
  DNNC_ASSIGN(train::FinetuneJob job, finetuneJobFromParams(params));
  return std::unique_ptr<Pass>(new Finetune(std::move(job), params));
}

DNNC_PASS_ENTRY(Finetune)

}  // namespace dnnc
