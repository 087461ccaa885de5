// finetune: retrain the model's float initializers on data, keeping pruned weights at zero and shared
// weights shared; with a teacher, knowledge distillation (label-free without labels).
// Before/after: same graph; weights (and BN running statistics with bn=batch) change.
// Requires: data= (and labels= and/or teacher=); every op on the path to the output has a reverse rule
// (lib/train/ops). Params: see finetuneParamSpecs (lib/train/finetune_job.cpp).
// Refs: Han, Pool, Tran, Dally 2015 (retraining after pruning); Hinton, Vinyals, Dean 2015 (distillation);
// Han, Mao, Dally 2016 (shared-weight gradients summed per centroid).
#include "lib/pass/pass.h"
#include "lib/train/finetune_job.h"

namespace dnnc {

namespace {

class Finetune : public Pass {
 public:
  explicit Finetune(train::FinetuneJob job) : job_(std::move(job)) {}

  Expected<PreservedAnalyses> run(Model& model, PassContext& ctx) override {
    job_.options.threads = ctx.threads;
    auto progress = [&](int64_t epoch, int64_t done, int64_t total, double, double) {
      ctx.progress((epoch - 1) * total + done, job_.options.epochs * total, "finetune");
    };
    DNNC_ASSIGN(train::FinetuneReport r, train::runFinetuneJob(model, job_, nullptr, progress));
    ctx.log->summary = train::finetuneReportJson(r);
    // Weights changed: nothing computed from them survives.
    return PreservedAnalyses::none();
  }

 private:
  train::FinetuneJob job_;
};

}  // namespace

std::vector<ParamSpec> FinetuneParams() { return train::finetuneParamSpecs(1); }

Expected<std::unique_ptr<Pass>> createFinetune(const PassParams& params) {
  DNNC_ASSIGN(train::FinetuneJob job, train::finetuneJobFromParams(params, 0));
  if (job.data.path.empty()) return Error(Exit::Usage, "finetune: data= is required").withHint("finetune(data=X.npy, labels=Y.npy)");
  if (job.labels.empty() && job.teacher.empty())
    return Error(Exit::Usage, "finetune: give labels=, teacher=, or both");
  return std::unique_ptr<Pass>(new Finetune(std::move(job)));
}

}  // namespace dnnc
