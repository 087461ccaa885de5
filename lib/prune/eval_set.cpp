#include "lib/prune/eval_set.h"

#include <algorithm>

namespace dnnc {

Expected<EvalSet> EvalSet::load(const Model& model, const DataOptions& data, const std::string& labels, int64_t limit,
                                int64_t batch) {
  DNNC_ASSIGN(auto exec, Executor::create(model));
  if (exec->inputs().size() != 1)
    return Error(Exit::Input, "the model has ", exec->inputs().size(), " inputs; calibration feeds models with exactly one");
  DNNC_ASSIGN(auto loader, openData(data, exec->inputs()[0]));
  const auto& dims = exec->inputs()[0].dims;
  if (!dims.empty() && dims[0] > 0) batch = dims[0];  // a fixed batch dimension decides
  EvalSet set;
  const int64_t total = limit > 0 ? std::min(limit, loader->samples()) : loader->samples();
  while (set.samples_ < total) {
    Tensor x;
    DNNC_ASSIGN(bool more, loader->next(std::min(batch, total - set.samples_), x));
    if (!more) break;
    set.samples_ += x.dims()[0];
    set.batches_.push_back(std::move(x));
  }
  if (set.samples_ == 0) return Error(Exit::Input, "the data '", data.path, "' holds no samples");
  if (!labels.empty()) {
    DNNC_ASSIGN(set.labels_, readLabels(labels));
    if (static_cast<int64_t>(set.labels_.size()) < set.samples_)
      return Error(Exit::Input, "'", labels, "' holds ", set.labels_.size(), " labels for ", set.samples_, " samples");
    set.labels_.resize(static_cast<size_t>(set.samples_));
  }
  return set;
}

Status EvalSet::run(Executor& exec, NodeObserver& observer) const {
  ExecRunOptions options;
  options.observer = &observer;
  for (const auto& x : batches_) DNNC_TRY(exec.run({&x}, options));
  return {};
}

Expected<Accuracy> EvalSet::evaluate(Executor& exec, NodeObserver* observer) const {
  if (labels_.empty()) return Error(Exit::Usage, "accuracy needs labels").withHint("give --labels Y");
  ExecRunOptions options;
  options.observer = observer;
  Accuracy acc;
  for (const auto& x : batches_) {
    DNNC_ASSIGN(auto out, exec.run({&x}, options));
    const int64_t n = x.dims()[0];
    const Tensor& y = out[0];
    if (y.rank() < 1 || y.dims()[0] != n || y.numel() == 0)
      return Error(Exit::Input, "the model's output is ", dimsToString(y.dims()), ", expected [", n, ", classes]");
    const int64_t classes = y.numel() / n;
    auto s = y.toFloats();
    for (int64_t i = 0; i < n; ++i) {
      const float* row = s.data() + i * classes;
      const int64_t label = labels_[static_cast<size_t>(acc.samples + i)];
      if (label < 0 || label >= classes)
        return Error(Exit::Input, "label ", label, " of sample ", acc.samples + i, " is outside [0, ", classes, ")");
      acc.correct += (std::max_element(row, row + classes) - row) == label;
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
