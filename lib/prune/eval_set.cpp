#include "lib/exec/top_class.h"
#include "lib/prune/eval_set.h"

#include <algorithm>

namespace dnnc {

Expected<EvalSet> EvalSet::load(const Model& model, const Calibration& calibration) {
  EvalSet set;
  DNNC_ASSIGN(set.set_, loadCalibrationSet(model, calibration));
  return set;
}

Status EvalSet::run(Executor& exec, NodeObserver& observer) const {
  ExecRunOptions options;
  options.observer = &observer;
  for (const auto& x : set_.batches) DNNC_TRY(exec.run({&x}, options));
  return {};
}

Expected<Accuracy> EvalSet::evaluate(Executor& exec, NodeObserver* observer) const {
  if (set_.labels.empty()) return Error(Exit::Usage, "accuracy needs labels").withHint("give --labels Y");
  ExecRunOptions options;
  options.observer = observer;
  Accuracy acc;
  for (const auto& x : set_.batches) {
    DNNC_ASSIGN(auto out, exec.run({&x}, options));
    const int64_t n = x.dims()[0];
    const Tensor& y = out[0];
    if (y.rank() < 1 || y.dims()[0] != n || y.numel() == 0)
      return Error(Exit::Input, "the model's output is ", dimsToString(y.dims()), ", expected [", n, ", classes]");
    const int64_t classes = y.numel() / n;
    auto s = y.toFloats();
    for (int64_t i = 0; i < n; ++i) {
      const float* row = s.data() + i * classes;
      const int64_t label = set_.labels[static_cast<size_t>(acc.samples + i)];
      if (label < 0 || label >= classes)
        return Error(Exit::Input, "label ", label, " of sample ", acc.samples + i, " is outside [0, ", classes, ")");
      acc.correct += topClass(row, classes) == label;
    }
    acc.samples += n;
  }
  return acc;
}

Expected<Accuracy> EvalSet::evaluate(const Model& model, int threads) const {
  DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = threads}));
  return evaluate(*exec);
}

}  // namespace dnnc
