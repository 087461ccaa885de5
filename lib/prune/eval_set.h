// A data set held in memory as preprocessed batches, with optional labels: what the sensitivity
// analysis and the activation-pruning calibration run many times over. Loading once keeps each
// evaluation to the executor's own work.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/exec/dataset.h"
#include "lib/exec/executor.h"
#include "lib/ir/model.h"

namespace dnnc {

struct Accuracy {
  int64_t correct = 0, samples = 0;
  double top1() const { return samples ? double(correct) / double(samples) : 0.0; }
};

class EvalSet {
 public:
  // Reads `data` (first `limit` samples when > 0) for the model's single input; labels optional ("").
  static Expected<EvalSet> load(const Model& model, const DataOptions& data, const std::string& labels,
                                int64_t limit = 0, int64_t batch = 100);
  const std::vector<Tensor>& batches() const { return batches_; }
  int64_t samples() const { return samples_; }
  bool hasLabels() const { return !labels_.empty(); }
  // Top-1 accuracy: argmax of the first output (flattened per sample) against the labels.
  // An observer, when given, sees every node of every batch.
  Expected<Accuracy> evaluate(Executor& exec, NodeObserver* observer = nullptr) const;
  // Runs every batch for the observer's sake (no labels needed).
  Status run(Executor& exec, NodeObserver& observer) const;
  Expected<Accuracy> evaluate(const Model& model, int threads = 0) const;

 private:
  std::vector<Tensor> batches_;
  std::vector<int64_t> labels_;
  int64_t samples_ = 0;
};

}  // namespace dnnc
