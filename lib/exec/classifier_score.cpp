#include "lib/exec/classifier_score.h"

#include <algorithm>

#include "lib/exec/executor.h"
#include "lib/exec/top_class.h"

namespace dnnc {

Expected<ClassifierScore> ClassifierScorer::score(const Model& model, const ActivationStatsOptions* stats) const {
  DNNC_ASSIGN(auto exec, Executor::create(model, {.threads = threads_}));
  std::unique_ptr<ActivationStatsCollector> collector;
  if (stats) collector = std::make_unique<ActivationStatsCollector>(*exec, *stats);
  ClassifierScore s;
  for (const Tensor& batch : set_.batches) {
    ExecRunOptions run;
    run.observer = collector.get();
    DNNC_ASSIGN(auto out, exec->run({&batch}, run));
    const Tensor& logits = out.at(0);
    if (logits.dims().size() != 2)
      return Error(Exit::Input, "scoring needs a classifier: the first output must be [N, classes], got rank ",
                   logits.dims().size());
    auto values = logits.toFloats();
    const int64_t rows = logits.dims()[0], cols = logits.dims()[1];
    for (int64_t r = 0; r < rows; ++r) {
      auto row = values.begin() + r * cols;
      s.predictions.push_back(topClass(&*row, cols));
    }
  }
  const auto& truth = set_.labels.empty() ? reference_ : set_.labels;
  int64_t hits = 0;
  for (size_t i = 0; i < s.predictions.size() && i < truth.size(); ++i) hits += s.predictions[i] == truth[i];
  s.accuracy = 100.0 * double(hits) / double(std::max<size_t>(1, s.predictions.size()));
  if (collector) s.stats = collector->results();
  return s;
}

}  // namespace dnnc
